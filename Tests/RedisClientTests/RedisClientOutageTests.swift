import NIOCore
import Retry
import Testing

@testable import RedisClient

/// Outage behaviour against a port where nothing listens; needs no Redis server.
@Suite struct RedisClientOutageTests {
    static func unreachableConfiguration(connectTimeout: Duration = .milliseconds(500)) -> RedisClient.Configuration {
        // Port 1 on loopback: connection refused immediately on any normal machine.
        RedisClient.Configuration(
            connection: .init(host: "127.0.0.1", port: 1, connectTimeout: connectTimeout),
            reconnectBackoff: .init(initialDelay: .milliseconds(200), maximumDelay: .seconds(1), jitter: 0)
        )
    }

    @Test func commandsFailFastWhileRedisIsUnreachable() async throws {
        // A long connect timeout: a command that waited for it instead of failing fast would take 30 s. The bound
        // below is loose because the test machine is shared and parallel tests starve the cooperative pool.
        let client = RedisClient(configuration: Self.unreachableConfiguration(connectTimeout: .seconds(30)))
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            let clock = ContinuousClock()
            for _ in 0..<5 {
                let start = clock.now
                let error = await #expect(throws: RedisClientError.self) {
                    try await client.publish(channel: "c", message: "m")
                }
                #expect(error?.code == .connectionFailed)
                #expect(clock.now - start < .seconds(10))
            }
        }
    }

    @Test func commandsDoNotWaitForeverWhenRunWasNeverStarted() async throws {
        let client = RedisClient(configuration: Self.unreachableConfiguration())
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: RedisClientError.self) { try await client.ping() }
        #expect(error?.code == .connectionFailed)
        // Bounded by the 500 ms connect timeout; the slack is for a loaded machine, not for the design.
        #expect(clock.now - start < .seconds(5))
    }

    @Test func commandsFailWithClientShutdownAfterRunEnds() async throws {
        let client = RedisClient(configuration: Self.unreachableConfiguration())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            group.cancelAll()
            try await group.waitForAll()
        }
        let error = await #expect(throws: RedisClientError.self) { try await client.ping() }
        #expect(error?.code == .clientShutdown)
    }

    @Test func subscriptionReportsDisconnectsAndExitsPromptly() async throws {
        let client = RedisClient(configuration: Self.unreachableConfiguration())
        let clock = ContinuousClock()
        let start = clock.now
        let disconnects = try await client.withSubscription(channels: ["c"]) { events in
            var disconnects = 0
            for try await event in events {
                guard case .disconnected(let error) = event else {
                    Issue.record("only disconnects are possible, got \(event)")
                    break
                }
                #expect(error.code == .connectionFailed)
                disconnects += 1
                if disconnects == 3 { break }
            }
            return disconnects
        }
        #expect(disconnects == 3)
        // Two backoff sleeps (200 ms, 400 ms) then a prompt exit: about 0.6 s alone; the bound leaves room for a busy
        // shared machine while still catching a scope exit that hangs.
        #expect(clock.now - start < .seconds(10))
    }
}
