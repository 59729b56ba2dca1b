import AMQPClient
import NIOCore
import Testing

@Suite(.serialized) struct AMQPConnectionIntegrationTests {
    @Test func publishAndConsumeRoundTripKeepsProperties() async throws {
        let configuration = try TestEnvironment.configuration(name: "roundtrip")
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            try await connection.withChannel { channel in
                let queue = TestEnvironment.uniqueName("roundtrip")
                try await channel.queueDeclare(queue, durable: false)
                try await channel.confirmSelect()
                let properties = AMQPProperties(
                    contentType: "application/json",
                    contentEncoding: "utf-8",
                    headers: ["x-int": 42, "x-str": "v", "x-nested": .table(["a": .array([1, "b"])])],
                    deliveryMode: 2,
                    priority: 3,
                    correlationID: "c1",
                    replyTo: "r1",
                    expiration: "60000",
                    messageID: "m1",
                    timestamp: 1_700_000_000,
                    type: "t1",
                    userID: "candystore",
                    appID: "tests"
                )
                // Larger than frame_max, so the body is split over several body frames both ways.
                let body = ByteBuffer(repeating: 0x5A, count: 300_000)
                let confirm = try await channel.basicPublish(routingKey: queue, body: body, properties: properties)
                #expect(confirm == .ack)
                try await channel.withConsumer(queue: queue) { deliveries in
                    for try await delivery in deliveries {
                        #expect(delivery.body == body)
                        #expect(delivery.properties == properties)
                        #expect(delivery.routingKey == queue)
                        try await delivery.ack()
                        break
                    }
                }
                #expect(try await channel.queueDelete(queue) == 0)
            }
        }
    }

    /// A content header over frame_max makes RabbitMQ close the whole connection (issue 14: an oversized
    /// dead-letter reason looped the bridge). The client refuses it instead, and the connection carries on.
    @Test func oversizedHeadersAreRefusedAndTheConnectionSurvives() async throws {
        let configuration = try TestEnvironment.configuration(name: "oversized")
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            try await connection.withChannel { channel in
                let queue = TestEnvironment.uniqueName("oversized")
                try await channel.queueDeclare(queue, durable: false)
                try await channel.confirmSelect()
                let huge = AMQPProperties(headers: [
                    "x-candystore-reason": .string(String(repeating: "r", count: 1 << 20))
                ])
                await #expect {
                    try await channel.basicPublish(routingKey: queue, body: [1], properties: huge)
                } throws: { error in
                    (error as? AMQPError)?.code == .frameTooLarge
                }
                // Same connection, same channel: the next publish is confirmed and is the only message queued.
                #expect(try await channel.basicPublish(routingKey: queue, body: [2]) == .ack)
                let message = try await channel.basicGet(queue: queue, noAck: true)
                #expect(message?.body == ByteBuffer(bytes: [2]))
                #expect(try await channel.queueDelete(queue) == 0)
            }
        }
    }

    @Test func declareWithArgumentsThenMismatchIs406ChannelError() async throws {
        let configuration = try TestEnvironment.configuration(name: "declare")
        let queue = TestEnvironment.uniqueName("declare")
        let dlx = TestEnvironment.uniqueName("dlx")
        let arguments: AMQPTable = [
            "x-queue-type": "classic",
            "x-max-length": 100_000,
            "x-overflow": "reject-publish",
            "x-dead-letter-exchange": .string(dlx),
            "x-dead-letter-routing-key": "dead",
            "x-message-ttl": 604_800_000,
        ]
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            let channel = try await connection.openChannel()
            try await channel.exchangeDeclare(dlx, type: .topic, durable: true)
            try await channel.queueDeclare(queue, durable: true, arguments: arguments)
            // Identical re-declare is fine; passive sees it.
            try await channel.queueDeclare(queue, durable: true, arguments: arguments)
            let passive = try await channel.queueDeclare(queue, passive: true)
            #expect(passive.queue == queue)
            #expect(passive.messageCount == 0)
            // Bind, route one message through the binding, unbind: the next one is unroutable.
            try await channel.queueBind(queue: queue, exchange: dlx, routingKey: "k.#")
            try await channel.confirmSelect()
            #expect(
                try await channel.basicPublish(exchange: dlx, routingKey: "k.1", body: [1], mandatory: true) == .ack)
            try await channel.queueUnbind(queue: queue, exchange: dlx, routingKey: "k.#")
            let unrouted = try await channel.basicPublish(exchange: dlx, routingKey: "k.2", body: [2], mandatory: true)
            guard case .returned = unrouted else {
                Issue.record("expected a return after unbind, got \(unrouted)")
                return
            }
            #expect(try await channel.queuePurge(queue) == 1)

            var mismatched = arguments
            mismatched["x-max-length"] = 5
            let error = await #expect(throws: AMQPError.self) {
                try await channel.queueDeclare(queue, durable: true, arguments: mismatched)
            }
            #expect(error?.code == .channelClosedByBroker)
            #expect(error?.replyCode == 406)
            #expect(error?.classID == 50)
            #expect(error?.methodID == 10)
            #expect(error?.isRecoverable == false)
            #expect(error?.isConnectionError == false)
            #expect(!channel.isOpen)
            // Later calls on the dead channel report its close reason.
            let again = await #expect(throws: AMQPError.self) { try await channel.queuePurge(queue) }
            #expect(again?.replyCode == 406)

            // The connection survives a channel error.
            #expect(connection.isOpen)
            try await connection.withChannel { cleanup in
                try await cleanup.queueDelete(queue)
                try await cleanup.exchangeDelete(dlx)
            }
        }
    }

    @Test func basicGetFetchesOneMessageOrNil() async throws {
        let configuration = try TestEnvironment.configuration(name: "get")
        let queue = TestEnvironment.uniqueName("get")
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            try await connection.withChannel { channel in
                try await channel.queueDeclare(queue, durable: false)
                #expect(try await channel.basicGet(queue: queue) == nil)
                try await channel.basicPublish(routingKey: queue, body: Array("one".utf8))
                // Without confirms the publish is only queued; poll until the broker routed it.
                var fetched: AMQPDelivery?
                for _ in 0..<50 where fetched == nil {
                    fetched = try await channel.basicGet(queue: queue)
                    if fetched == nil { try await Task.sleep(for: .milliseconds(20)) }
                }
                let delivery = try #require(fetched)
                #expect(String(buffer: delivery.body) == "one")
                #expect(delivery.routingKey == queue)
                try await delivery.ack()
                #expect(try await channel.basicGet(queue: queue) == nil)
                try await channel.queueDelete(queue)
            }
        }
    }

    @Test func passiveDeclareOfMissingQueueIs404() async throws {
        let configuration = try TestEnvironment.configuration(name: "passive")
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            let channel = try await connection.openChannel()
            let error = await #expect(throws: AMQPError.self) {
                try await channel.queueDeclare(TestEnvironment.uniqueName("missing"), passive: true)
            }
            #expect(error?.replyCode == 404)
        }
    }

    @Test func mandatoryUnroutablePublishIsReturned() async throws {
        let configuration = try TestEnvironment.configuration(name: "mandatory")
        let exchange = TestEnvironment.uniqueName("mandatory")
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            try await connection.withChannel { channel in
                try await channel.exchangeDeclare(exchange, type: .topic, durable: false, autoDelete: false)
                try await channel.confirmSelect()
                let body = ByteBuffer(string: "nobody listens")
                let confirm = try await channel.basicPublish(
                    exchange: exchange,
                    routingKey: "no.such.key",
                    body: body,
                    properties: .init(messageID: "r1"),
                    mandatory: true
                )
                guard case .returned(let returned) = confirm else {
                    Issue.record("expected a basic.return, got \(confirm)")
                    return
                }
                #expect(returned.replyCode == 312)
                #expect(returned.replyText == "NO_ROUTE")
                #expect(returned.exchange == exchange)
                #expect(returned.routingKey == "no.such.key")
                #expect(returned.body == body)
                #expect(returned.properties.messageID == "r1")
                // Without mandatory the same publish is simply acked (dropped by the broker).
                let plain = try await channel.basicPublish(exchange: exchange, routingKey: "no.such.key", body: body)
                #expect(plain == .ack)
                try await channel.exchangeDelete(exchange)
            }
        }
    }

    @Test func serverCancelsConsumerWhenQueueDeleted() async throws {
        let configuration = try TestEnvironment.configuration(name: "cancel")
        let queue = TestEnvironment.uniqueName("cancel")
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            let consumerChannel = try await connection.openChannel()
            try await consumerChannel.queueDeclare(queue, durable: false)
            let consumer = try await consumerChannel.basicConsume(queue: queue)
            _ = try await connection.withChannel { try await $0.queueDelete(queue) }
            let error = await #expect(throws: AMQPError.self) {
                for try await _ in consumer {}
            }
            #expect(error?.code == .consumerCancelled)
            #expect(consumerChannel.isOpen)
        }
    }

    @Test func badCredentialsFailAuthentication() async throws {
        var configuration = try TestEnvironment.configuration(name: "badauth")
        configuration.password = "definitely-wrong"
        let error = await #expect(throws: AMQPError.self) {
            _ = try await AMQPConnection.connect(configuration: configuration)
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.replyCode == 403)
    }

    @Test func shortHeartbeatIsNegotiatedAndIdleConnectionStaysUp() async throws {
        var configuration = try TestEnvironment.configuration(name: "heartbeat")
        configuration.heartbeat = .seconds(1)
        try await AMQPConnection.withConnection(configuration: configuration) { connection in
            #expect(connection.tuning.heartbeat == 1)
            #expect(connection.tuning.frameMax == 131_072)
            let idleUntil = ContinuousClock.now + .seconds(4)
            // The broker agreed to the 1 s interval (the management API reports it as the timeout).
            let management = try RabbitMQManagement()
            let name = try await management.waitForConnection(clientProvidedName: configuration.connectionName!)
            #expect(try await management.heartbeatTimeout(connectionNamed: name) == 1)
            // Idle for several intervals: both sides must keep the connection alive with heartbeats.
            try await Task.sleep(until: idleUntil)
            #expect(connection.isOpen)
            _ = try await connection.withChannel { channel in
                let ok = try await channel.queueDeclare("", durable: false, exclusive: true, autoDelete: true)
                #expect(ok.queue.hasPrefix("amq.gen-"))
            }
        }
    }

    @Test func gracefulCloseReportsNoError() async throws {
        let connection = try await AMQPConnection.connect(
            configuration: try TestEnvironment.configuration(name: "close"))
        let channel = try await connection.openChannel()
        try await connection.close()
        #expect(await connection.closed() == nil)
        #expect(!connection.isOpen)
        #expect(!channel.isOpen)
        let error = await #expect(throws: AMQPError.self) { _ = try await connection.openChannel() }
        #expect(error?.code == .connectionClosed)
    }
}
