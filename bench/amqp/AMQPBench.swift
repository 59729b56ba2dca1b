import AMQPClient
import Foundation
import NIOCore

/// AMQP throughput benchmark of our client: persistent publishes with confirms (a window of outstanding
/// confirms), then consume with manual acks, on a throwaway queue. Prints one JSON line with the rates.
///
/// usage: amqp-bench AMQP_URL [COUNT] [WINDOW] [BODY_BYTES]
@main
enum AMQPBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let url = arguments.count > 1 ? arguments[1] : "amqp://candystore:candystore@127.0.0.1:5675/%2F"
        let count = arguments.count > 2 ? Int(arguments[2]) ?? 50_000 : 50_000
        let window = arguments.count > 3 ? Int(arguments[3]) ?? 500 : 500
        let bodySize = arguments.count > 4 ? Int(arguments[4]) ?? 1024 : 1024
        var configuration = try AMQPConfiguration(url: url)
        configuration.connectionName = "amqp-bench"
        let queue = "bench_swift_\(UUID().uuidString.prefix(8))"
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: bodySize)
        let clock = ContinuousClock()

        let (publishRate, consumeRate) = try await AMQPConnection.withConnection(configuration: configuration) {
            connection in
            try await connection.withChannel { channel in
                _ = try await channel.queueDeclare(queue, durable: true)
                try await channel.confirmSelect()
                let properties = AMQPProperties(contentType: "application/json", deliveryMode: 2)
                let publishStart = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var inFlight = 0
                    for _ in 0..<count {
                        if inFlight >= window {
                            try await group.next()
                            inFlight -= 1
                        }
                        group.addTask {
                            let confirm = try await channel.basicPublish(
                                exchange: "", routingKey: queue, body: body, properties: properties)
                            guard case .ack = confirm else { throw BenchError("publish not acked: \(confirm)") }
                        }
                        inFlight += 1
                    }
                    try await group.waitForAll()
                }
                let publishSeconds = seconds(clock.now - publishStart)

                let consumeStart = clock.now
                var received = 0
                try await channel.basicQos(prefetchCount: 500)  // same prefetch as the pika run
                try await channel.withConsumer(queue: queue) { deliveries in
                    for try await delivery in deliveries {
                        received += 1
                        if received % 100 == 0 || received == count {
                            try delivery.channel.basicAck(deliveryTag: delivery.deliveryTag, multiple: true)
                        }
                        if received == count { break }
                    }
                }
                let consumeSeconds = seconds(clock.now - consumeStart)
                _ = try await channel.queueDelete(queue)
                return (Double(count) / publishSeconds, Double(count) / consumeSeconds)
            }
        }
        print(
            #"{"client":"candystore-swift","messages":\#(count),"window":\#(window),"body_bytes":\#(bodySize),"#
                + #""publish_confirmed_per_s":\#(Int(publishRate)),"consume_acked_per_s":\#(Int(consumeRate))}"#)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    struct BenchError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
