/// The declarations an `AMQPClient` replays on every new connection, in order: exchanges, queues, queue
/// bindings, exchange bindings. Only what was declared through the client is recorded; deleting through the
/// client forgets it (and the bindings that referenced it).
struct AMQPTopology: Sendable {
    struct Exchange: Sendable, Hashable {
        var name: String
        var type: AMQPExchangeType
        var durable: Bool
        var autoDelete: Bool
        var `internal`: Bool
        var arguments: AMQPTable
    }

    struct Queue: Sendable, Hashable {
        var name: String
        var durable: Bool
        var exclusive: Bool
        var autoDelete: Bool
        var arguments: AMQPTable
    }

    struct Binding: Sendable, Hashable {
        var destination: String
        var source: String
        var routingKey: String
        var arguments: AMQPTable
        var isExchangeBinding: Bool
    }

    private(set) var exchanges: [Exchange] = []
    private(set) var queues: [Queue] = []
    private(set) var bindings: [Binding] = []

    mutating func record(_ exchange: Exchange) {
        if let index = self.exchanges.firstIndex(where: { $0.name == exchange.name }) {
            self.exchanges[index] = exchange
        } else {
            self.exchanges.append(exchange)
        }
    }

    mutating func record(_ queue: Queue) {
        // Server-named queues get a new name on every connection; they cannot be re-declared by name.
        guard !queue.name.isEmpty else { return }
        if let index = self.queues.firstIndex(where: { $0.name == queue.name }) {
            self.queues[index] = queue
        } else {
            self.queues.append(queue)
        }
    }

    mutating func record(_ binding: Binding) {
        if !self.bindings.contains(binding) { self.bindings.append(binding) }
    }

    mutating func forget(binding: Binding) {
        self.bindings.removeAll { $0 == binding }
    }

    mutating func forget(queue name: String) {
        self.queues.removeAll { $0.name == name }
        self.bindings.removeAll { !$0.isExchangeBinding && $0.destination == name }
    }

    mutating func forget(exchange name: String) {
        self.exchanges.removeAll { $0.name == name }
        self.bindings.removeAll { $0.source == name || ($0.isExchangeBinding && $0.destination == name) }
    }

    /// Re-declares everything on `channel`. A failing declaration closes the channel; the error is reported
    /// to `onError` and replay continues on a fresh channel, so one bad record does not block the rest.
    func replay(
        on connection: AMQPConnection,
        onError: (String, any Error) -> Void
    ) async throws {
        var channel = try await connection.openChannel()
        func attempt(_ what: String, _ body: (AMQPChannel) async throws -> Void) async throws {
            do {
                try await body(channel)
            } catch let error as AMQPError where error.code == .channelClosedByBroker {
                onError(what, error)
                channel = try await connection.openChannel()
            }
        }
        for exchange in self.exchanges {
            try await attempt("exchange \(exchange.name)") {
                try await $0.exchangeDeclare(
                    exchange.name,
                    type: exchange.type,
                    durable: exchange.durable,
                    autoDelete: exchange.autoDelete,
                    internal: exchange.internal,
                    arguments: exchange.arguments
                )
            }
        }
        for queue in self.queues {
            try await attempt("queue \(queue.name)") {
                try await $0.queueDeclare(
                    queue.name,
                    durable: queue.durable,
                    exclusive: queue.exclusive,
                    autoDelete: queue.autoDelete,
                    arguments: queue.arguments
                )
            }
        }
        for binding in self.bindings {
            try await attempt("binding \(binding.source) -> \(binding.destination)") {
                if binding.isExchangeBinding {
                    try await $0.exchangeBind(
                        destination: binding.destination,
                        source: binding.source,
                        routingKey: binding.routingKey,
                        arguments: binding.arguments
                    )
                } else {
                    try await $0.queueBind(
                        queue: binding.destination,
                        exchange: binding.source,
                        routingKey: binding.routingKey,
                        arguments: binding.arguments
                    )
                }
            }
        }
        try? await channel.close()
    }
}
