import AMQPClient
import NIOCore
import Retry
import Testing

/// Behaviour of the reconnecting client while no broker is reachable (no server needed).
@Suite struct AMQPClientOfflineTests {
    static func unreachableConfiguration() -> AMQPConfiguration {
        var configuration = AMQPConfiguration(host: "127.0.0.1", port: 1)
        configuration.connectTimeout = .milliseconds(200)
        configuration.reconnect = .init(initialDelay: .milliseconds(10), maximumDelay: .milliseconds(50))
        return configuration
    }

    @Test func refusedConnectionIsARecoverableConnectionFailure() async {
        let error = await #expect(throws: AMQPError.self) {
            _ = try await AMQPConnection.connect(configuration: Self.unreachableConfiguration())
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isRecoverable == true)
        #expect(error?.underlying != nil)
    }

    @Test func publishWaitsForAConnectionAndCanBeCancelled() async throws {
        let client = AMQPClient(configuration: Self.unreachableConfiguration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            let publish = Task {
                try await client.basicPublish(routingKey: "q", body: ByteBuffer(string: "waiting"))
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!client.isConnected)
            #expect(client.connectionGeneration == 0)
            publish.cancel()
            let result = await publish.result
            #expect(throws: CancellationError.self) { try result.get() }
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    @Test func shutdownReleasesWaitersWithNotConnected() async throws {
        let client = AMQPClient(configuration: Self.unreachableConfiguration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            group.addTask {
                let error = await #expect(throws: AMQPError.self) {
                    try await client.queueDeclare("never", durable: false)
                }
                #expect(error?.code == .notConnected)
                #expect(error?.isRecoverable == true)
            }
            try await Task.sleep(for: .milliseconds(200))
            // Cancelling run() is how ServiceGroup shuts a service down.
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}
