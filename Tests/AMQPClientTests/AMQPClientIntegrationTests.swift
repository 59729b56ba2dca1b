import AMQPClient
import NIOConcurrencyHelpers
import NIOCore
import Retry
import Testing

@Suite(.serialized) struct AMQPClientIntegrationTests {
    /// Runs `client` as a service for the duration of `body`, then shuts it down by cancellation.
    func withRunningClient<Result: Sendable>(
        _ client: AMQPClient,
        _ body: @Sendable (AMQPClient) async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await client.run()
                return nil
            }
            let result = try await body(client)
            group.cancelAll()
            while try await group.next() != nil {}
            return result
        }
    }

    @Test func forceClosedConnectionRecoversWithoutLosingConfirmedMessages() async throws {
        var configuration = try TestEnvironment.configuration(name: "force-close")
        configuration.reconnect = .init(initialDelay: .milliseconds(50), maximumDelay: .seconds(1))
        let connectionName = configuration.connectionName!
        let client = AMQPClient(configuration: configuration)
        let management = try RabbitMQManagement()
        let exchange = TestEnvironment.uniqueName("recover-x")
        let queue = TestEnvironment.uniqueName("recover-q")
        let exclusiveQueue = TestEnvironment.uniqueName("recover-exclusive")

        struct Progress {
            var confirmed = Set<Int>()
            var received = [Int: Int]()
            var publisherDone = false
            var staleAcks = 0
            /// One delivery deliberately left unacknowledged across the connection loss.
            var held: AMQPDelivery?
            var heldAckError: AMQPError?
            var redelivered = 0
            var recoverableFailures = 0
        }
        let progress = NIOLockedValueBox(Progress())

        try await self.withRunningClient(client) { client in
            try await client.exchangeDeclare(exchange, type: .topic, durable: true)
            try await client.queueDeclare(queue, durable: true, arguments: ["x-queue-type": "classic"])
            try await client.queueBind(queue: queue, exchange: exchange, routingKey: "recover.#")
            // Exclusive queues die with their connection: seeing it again proves topology re-declaration.
            try await client.queueDeclare(exclusiveQueue, durable: false, exclusive: true)
            #expect(client.connectionGeneration == 1)

            try await withThrowingTaskGroup(of: Void.self) { group in
                // Consumer: records every sequence number; acks may fail for stale deliveries.
                group.addTask {
                    try await client.withConsumer(queue: queue, prefetchCount: 200) { deliveries in
                        for try await delivery in deliveries {
                            let sequence = Int(String(buffer: delivery.body))!
                            let hold = progress.withLockedValue { progress in
                                progress.received[sequence, default: 0] += 1
                                if delivery.redelivered { progress.redelivered += 1 }
                                guard progress.held == nil else { return false }
                                progress.held = delivery
                                return true
                            }
                            if hold { continue }
                            do {
                                try await delivery.ack()
                            } catch let error as AMQPError where error.code == .staleDelivery {
                                progress.withLockedValue { $0.staleAcks += 1 }
                            }
                        }
                    }
                }
                // Publisher: a window of concurrent publishes, each retried until the broker confirms it.
                group.addTask {
                    let stop = NIOLockedValueBox(false)
                    try await withThrowingTaskGroup(of: Void.self) { publishers in
                        for worker in 0..<20 {
                            publishers.addTask {
                                var sequence = worker
                                while !stop.withLockedValue({ $0 }) {
                                    while true {
                                        do {
                                            let confirm = try await client.basicPublish(
                                                exchange: exchange,
                                                routingKey: "recover.\(sequence % 7)",
                                                body: ByteBuffer(string: String(sequence)),
                                                properties: .init(deliveryMode: 2)
                                            )
                                            if confirm == .ack {
                                                progress.withLockedValue { _ = $0.confirmed.insert(sequence) }
                                                break
                                            }
                                        } catch let error as AMQPError where error.isRecoverable {
                                            progress.withLockedValue { $0.recoverableFailures += 1 }
                                        }
                                    }
                                    sequence += 20
                                    try await Task.sleep(for: .milliseconds(5))
                                }
                            }
                        }
                        publishers.addTask {
                            // Let traffic flow, kill the connection from the broker side, let traffic flow again.
                            let brokerName = try await management.waitForConnection(clientProvidedName: connectionName)
                            while progress.withLockedValue({ $0.confirmed.count }) < 500 {
                                try await Task.sleep(for: .milliseconds(20))
                            }
                            try await management.closeConnection(named: brokerName)
                            let deadline = ContinuousClock.now + .seconds(20)
                            while client.connectionGeneration < 2 && ContinuousClock.now < deadline {
                                try await Task.sleep(for: .milliseconds(20))
                            }
                            // The delivery held from the first connection cannot be acked on the second.
                            if let held = progress.withLockedValue({ $0.held }) {
                                do {
                                    try await held.ack()
                                } catch let error as AMQPError {
                                    progress.withLockedValue { $0.heldAckError = error }
                                }
                            }
                            let before = progress.withLockedValue { $0.confirmed.count }
                            while progress.withLockedValue({ $0.confirmed.count }) < before + 500
                                && ContinuousClock.now < deadline
                            {
                                try await Task.sleep(for: .milliseconds(20))
                            }
                            stop.withLockedValue { $0 = true }
                        }
                        try await publishers.waitForAll()
                    }
                    progress.withLockedValue { $0.publisherDone = true }
                }
                // Wait for the publisher, then until every confirmed message was consumed (or time runs out).
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    let done = progress.withLockedValue {
                        $0.publisherDone && $0.confirmed.isSubset(of: $0.received.keys)
                    }
                    if done { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                group.cancelAll()
                try? await group.waitForAll()
            }

            #expect(client.connectionGeneration >= 2)
            // The exclusive queue was re-declared on the new connection.
            let exclusive = try await client.withChannel { try await $0.queueDeclare(exclusiveQueue, passive: true) }
            #expect(exclusive.queue == exclusiveQueue)

            let snapshot = progress.withLockedValue { $0 }
            let lost = snapshot.confirmed.subtracting(snapshot.received.keys)
            #expect(lost.isEmpty, "confirmed but never consumed: \(lost.sorted().prefix(20))")
            #expect(snapshot.confirmed.count >= 1_000)
            #expect(snapshot.heldAckError?.code == .staleDelivery)
            if let held = snapshot.held {
                // The broker redelivered the message whose ack was impossible.
                let sequence = Int(String(buffer: held.body))!
                #expect(snapshot.received[sequence, default: 0] >= 2)
            } else {
                Issue.record("no delivery was held")
            }
            let duplicates = snapshot.received.values.filter { $0 > 1 }.count
            // Duplicates may only come from redelivery of unacked messages or republished unconfirmed ones.
            #expect(duplicates <= snapshot.redelivered + snapshot.recoverableFailures)
            print(
                "force-close: confirmed \(snapshot.confirmed.count), received \(snapshot.received.count), "
                    + "duplicates \(duplicates), stale acks \(snapshot.staleAcks), redelivered \(snapshot.redelivered), "
                    + "recoverable publish failures \(snapshot.recoverableFailures)"
            )
            try await client.queueDelete(queue)
            try await client.queueDelete(exclusiveQueue)
            try await client.exchangeDelete(exchange)
        }
    }

    @Test func publishChannelErrorIsReportedAndTheNextPublishWorks() async throws {
        let client = AMQPClient(configuration: try TestEnvironment.configuration(name: "channel-error"))
        let queue = TestEnvironment.uniqueName("channel-error")
        try await self.withRunningClient(client) { client in
            try await client.queueDeclare(queue, durable: false)
            // Publishing to a missing exchange makes the broker close the publish channel with 404.
            let error = await #expect(throws: AMQPError.self) {
                try await client.basicPublish(
                    exchange: TestEnvironment.uniqueName("missing-exchange"),
                    routingKey: "x",
                    body: ByteBuffer(string: "lost")
                )
            }
            #expect(error?.code == .channelClosedByBroker)
            #expect(error?.replyCode == 404)
            #expect(error?.isRecoverable == false)
            // The client opens a fresh confirm channel on the same connection.
            let confirm = try await client.basicPublish(routingKey: queue, body: ByteBuffer(string: "ok"))
            #expect(confirm == .ack)
            #expect(client.connectionGeneration == 1)
            let purged = try await client.queuePurge(queue)
            #expect(purged == 1)
            try await client.queueDelete(queue)
        }
    }

    @Test func brokerCancelEndsTheClientConsumerWithAnError() async throws {
        let client = AMQPClient(configuration: try TestEnvironment.configuration(name: "client-cancel"))
        let queue = TestEnvironment.uniqueName("client-cancel")
        try await self.withRunningClient(client) { client in
            try await client.queueDeclare(queue, durable: false)
            let error = await #expect(throws: AMQPError.self) {
                try await client.withConsumer(queue: queue) { deliveries in
                    _ = try await client.withChannel { try await $0.queueDelete(queue) }
                    for try await _ in deliveries {}
                }
            }
            #expect(error?.code == .consumerCancelled)
        }
    }

    @Test func mismatchedRedeclareThroughTheClientIsNotRecorded() async throws {
        let client = AMQPClient(configuration: try TestEnvironment.configuration(name: "client-406"))
        let queue = TestEnvironment.uniqueName("client-406")
        try await self.withRunningClient(client) { client in
            try await client.queueDeclare(queue, durable: true, arguments: ["x-max-length": 10])
            let error = await #expect(throws: AMQPError.self) {
                try await client.queueDeclare(queue, durable: true, arguments: ["x-max-length": 20])
            }
            #expect(error?.replyCode == 406)
            // The connection is unaffected.
            let ok = try await client.queueDeclarePassive(queue)
            #expect(ok.queue == queue)
            try await client.queueDelete(queue)
        }
    }

    @Test func clientShutdownEndsConsumersAndRejectsNewWork() async throws {
        let client = AMQPClient(configuration: try TestEnvironment.configuration(name: "shutdown"))
        let queue = TestEnvironment.uniqueName("shutdown")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            try await client.queueDeclare(queue, durable: false)
            let confirm = try await client.basicPublish(routingKey: queue, body: ByteBuffer(string: "x"))
            #expect(confirm == .ack)
            let consumed = try await client.withConsumer(queue: queue) { deliveries -> Int in
                var count = 0
                for try await delivery in deliveries {
                    try await delivery.ack()
                    count += 1
                    if count == 1 { break }
                }
                return count
            }
            #expect(consumed == 1)
            try await client.queueDelete(queue)
            group.cancelAll()
            try await group.waitForAll()
        }
        let error = await #expect(throws: AMQPError.self) {
            try await client.basicPublish(routingKey: queue, body: ByteBuffer(string: "late"))
        }
        #expect(error?.code == .notConnected)
    }

    @Test func cancellingRunClosesTheConnectionOnTheBroker() async throws {
        let configuration = try TestEnvironment.configuration(name: "cancel-close")
        let name = configuration.connectionName!
        let client = AMQPClient(configuration: configuration)
        let management = try RabbitMQManagement()
        try await withRunningClient(client) { client in
            let confirm = try await client.basicPublish(routingKey: "amq.no-such-queue", body: ByteBuffer(string: "x"))
            #expect(confirm == .ack)
            _ = try await management.waitForConnection(clientProvidedName: name)
        }
        // Cancellation (not graceful shutdown) ended run(): the connection must still be closed, not left open.
        let deadline = ContinuousClock.now + .seconds(20)
        var stillOpen = true
        while ContinuousClock.now < deadline {
            stillOpen = try await management.connectionName(clientProvidedName: name) != nil
            if !stillOpen { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(!stillOpen, "the broker still lists connection \(name) after run() was cancelled")
    }
}
