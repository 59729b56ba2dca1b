public import Logging
public import ServiceLifecycle

/// Runs `services` in a `ServiceGroup` (started in order, stopped in reverse) while `body` runs, then shuts them
/// down gracefully and waits for them; when `body` throws they are shut down and cancelled, and its error rethrown.
///
/// For embedding services in a test or a benchmark; a server process uses its own `ServiceGroup` with signals.
public func withRunningServices<T: Sendable>(
    _ services: [any Service], logger: Logger, _ body: () async throws -> T
) async throws -> T {
    let group = ServiceGroup(
        configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let result = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            tasks.cancelAll()
            throw error
        }
    }
}
