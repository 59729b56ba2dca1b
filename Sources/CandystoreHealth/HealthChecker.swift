public import BloodbankModel
import Retry

/// Runs named health checks concurrently, each bounded by a timeout, into ``ComponentHealth`` results.
///
/// The checks themselves (a PostgreSQL query, the RabbitMQ management API, a Redis PING, another role's
/// `/health`) are built by `CandystoreOps`; this type only runs them, so a role that must not link the servers'
/// clients (the API) can still report health.
public struct HealthChecker: Sendable {
    /// A named check; returns a detail string or throws what is wrong.
    public typealias Check = @Sendable () async throws -> String

    private let checks: [(name: String, run: Check)]
    private let timeout: Duration

    /// Creates a checker from explicit checks (each gets `timeout`).
    public init(checks: [(name: String, run: Check)], timeout: Duration = .seconds(5)) {
        self.checks = checks
        self.timeout = timeout
    }

    /// The names of the checks, in order.
    public var names: [String] { checks.map(\.name) }

    /// Runs every check concurrently into a report for `role`; components keep the checks' order.
    public func run(role: String = "stack", running: Bool = true, details: JSONObject = [:]) async -> HealthReport {
        HealthReport(role: role, components: await components(), running: running, details: details)
    }

    /// Runs every check concurrently; results keep the checks' order.
    public func components() async -> [ComponentHealth] {
        let timeout = self.timeout
        let results = await withTaskGroup(of: (Int, ComponentHealth).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let outcome: Result<String, any Error>
                    do {
                        outcome = .success(try await withDeadline(timeout, check.run))
                    } catch {
                        outcome = .failure(error)
                    }
                    let elapsed = clock.now - start
                    let milliseconds =
                        Int(elapsed.components.seconds) * 1000
                        + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
                    switch outcome {
                    case .success(let detail):
                        return (
                            index,
                            ComponentHealth(
                                name: check.name, healthy: true, detail: detail, latencyMilliseconds: milliseconds)
                        )
                    case .failure(let error):
                        return (
                            index,
                            ComponentHealth(
                                name: check.name, healthy: false, detail: "\(error)", latencyMilliseconds: milliseconds)
                        )
                    }
                }
            }
            var collected: [(Int, ComponentHealth)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        return results.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
