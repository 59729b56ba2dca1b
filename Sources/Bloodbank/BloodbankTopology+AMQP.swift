public import AMQPClient

extension BloodbankTopology.Argument {
    /// The argument as an AMQP field value (long strings and signed 64-bit integers, as RabbitMQ stores them).
    public var amqpValue: AMQPFieldValue {
        switch self {
        case .string(let value): return .string(value)
        case .int(let value): return .int64(value)
        }
    }
}

extension BloodbankTopology {
    /// Declares every exchange and queue and binds them over AMQP; the client records the declarations and
    /// replays them after a reconnect. Arguments are identical to the management-API declaration, so a
    /// re-declare never fails with 406.
    public func declare(on client: AMQPClient) async throws {
        for exchange in exchanges {
            try await client.exchangeDeclare(
                exchange.name, type: AMQPExchangeType(exchange.type), durable: exchange.durable)
        }
        for queue in queues {
            try await declare(queue, on: client)
        }
    }

    /// Declares one queue with its arguments and bindings (and the exchanges it binds to).
    public func declare(queueNamed name: String, on client: AMQPClient) async throws {
        guard let queue = queue(named: name) else {
            throw BloodbankError(.invalidEvent, "the topology has no queue named \(name)")
        }
        for binding in queue.bindings {
            if let exchange = exchanges.first(where: { $0.name == binding.exchange }) {
                try await client.exchangeDeclare(
                    exchange.name, type: AMQPExchangeType(exchange.type), durable: exchange.durable)
            }
        }
        try await declare(queue, on: client)
    }

    private func declare(_ queue: Queue, on client: AMQPClient) async throws {
        let arguments = AMQPTable(queue.arguments.sorted { $0.key < $1.key }.map { ($0.key, $0.value.amqpValue) })
        _ = try await client.queueDeclare(queue.name, durable: queue.durable, arguments: arguments)
        for binding in queue.bindings {
            try await client.queueBind(queue: queue.name, exchange: binding.exchange, routingKey: binding.routingKey)
        }
    }
}
