public import PostgresNIO
public import ServiceLifecycle

/// Runs a `PostgresClient` pool as a service that also ends on graceful shutdown (the client itself only reacts
/// to cancellation), so a `ServiceGroup` can stop it in order with the services that use it.
public struct PostgresService: Service {
    /// The pool.
    public let client: PostgresClient

    /// Wraps `client`.
    public init(client: PostgresClient) {
        self.client = client
    }

    /// Runs the pool until graceful shutdown or cancellation.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await client.run()
        }
    }
}
