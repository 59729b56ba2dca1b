import AMQPClient
import NIOCore
import Testing

@Suite(.serialized) struct AMQPThroughputIntegrationTests {
    /// 100,000 persistent messages with publisher confirms, then consumed exactly once each.
    @Test func hundredThousandPersistentMessagesWithConfirmsExactlyOnce() async throws {
        let total = 100_000
        let configuration = try TestEnvironment.configuration(name: "throughput")
        let queue = TestEnvironment.uniqueName("throughput")
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            let publisher = try await connection.openChannel()
            try await publisher.queueDeclare(queue, durable: true, arguments: ["x-queue-type": "classic"])
            try await publisher.confirmSelect()
            let clock = ContinuousClock()
            let start = clock.now
            let acked = try await withThrowingTaskGroup(of: AMQPPublishConfirm.self) { group in
                let window = 2_000
                var inFlight = 0
                var acked = 0
                let properties = AMQPProperties(contentType: "text/plain", deliveryMode: 2)
                for sequence in 0..<total {
                    if inFlight >= window {
                        if try await group.next() == .ack { acked += 1 }
                        inFlight -= 1
                    }
                    group.addTask {
                        try await publisher.basicPublish(
                            routingKey: queue,
                            body: ByteBuffer(string: String(sequence)),
                            properties: properties
                        )
                    }
                    inFlight += 1
                }
                for try await confirm in group where confirm == .ack {
                    acked += 1
                }
                return acked
            }
            let publishElapsed = clock.now - start
            #expect(acked == total)
            print("published \(total) persistent messages with confirms in \(publishElapsed)")

            let consumer = try await connection.openChannel()
            try await consumer.basicQos(prefetchCount: 1_000)
            var seen = [Bool](repeating: false, count: total)
            var duplicates = 0
            var received = 0
            let consumeStart = clock.now
            try await consumer.withConsumer(queue: queue) { deliveries in
                for try await delivery in deliveries {
                    let sequence = Int(String(buffer: delivery.body))!
                    if seen[sequence] { duplicates += 1 } else { seen[sequence] = true }
                    received += 1
                    if received % 250 == 0 || received == total {
                        try await delivery.ack(multiple: true)
                    }
                    if received == total { break }
                }
            }
            print("consumed \(received) in \(clock.now - consumeStart)")
            #expect(duplicates == 0)
            #expect(seen.allSatisfy { $0 })
            let remaining = try await publisher.queueDeclare(queue, passive: true)
            #expect(remaining.messageCount == 0)
            try await publisher.queueDelete(queue)
        }
    }
}
