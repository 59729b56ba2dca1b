/// The RabbitMQ objects Bloodbank needs (brief §3), as data: one definition shared by `candystore topology
/// declare` (management API), the services (AMQP re-declare on every connect) and the tests that verify the
/// broker argument for argument. RabbitMQ refuses a re-declare whose arguments differ (406), so every
/// declaration must come from here.
public struct BloodbankTopology: Sendable, Equatable {
    /// A queue/exchange argument value (`x-…` arguments are strings or integers).
    public enum Argument: Sendable, Hashable, CustomStringConvertible {
        /// A string argument such as `x-queue-type=classic`.
        case string(String)
        /// An integer argument such as `x-max-length=100000`.
        case int(Int64)

        /// The value as it would be written in a config file.
        public var description: String {
            switch self {
            case .string(let value): return value
            case .int(let value): return String(value)
            }
        }
    }

    /// An exchange declaration.
    public struct Exchange: Sendable, Equatable {
        /// Exchange name.
        public var name: String
        /// Exchange type (`topic` for both Bloodbank exchanges).
        public var type: String
        /// Survives a broker restart.
        public var durable: Bool

        /// Creates an exchange declaration.
        public init(name: String, type: String, durable: Bool) {
            self.name = name
            self.type = type
            self.durable = durable
        }
    }

    /// A binding of a queue to an exchange.
    public struct Binding: Sendable, Equatable {
        /// Source exchange.
        public var exchange: String
        /// Binding key (topic pattern).
        public var routingKey: String

        /// Creates a binding.
        public init(exchange: String, routingKey: String) {
            self.exchange = exchange
            self.routingKey = routingKey
        }
    }

    /// A queue declaration with its bindings.
    public struct Queue: Sendable, Equatable {
        /// Queue name.
        public var name: String
        /// Survives a broker restart.
        public var durable: Bool
        /// `x-…` arguments, exactly as declared.
        public var arguments: [String: Argument]
        /// Bindings of this queue.
        public var bindings: [Binding]

        /// Creates a queue declaration.
        public init(name: String, durable: Bool, arguments: [String: Argument], bindings: [Binding]) {
            self.name = name
            self.durable = durable
            self.arguments = arguments
            self.bindings = bindings
        }
    }

    /// Prefix of every queue name (empty in production; tests and side-by-side deployments set one).
    public var queuePrefix: String
    /// The main topic exchange every event is published to.
    public var exchange: String
    /// The dead-letter exchange.
    public var deadLetterExchange: String
    /// All exchanges, in declaration order.
    public var exchanges: [Exchange]
    /// All queues, in declaration order.
    public var queues: [Queue]

    /// Name of the Event Store Manager's queue (bound `#`).
    public static let managerQueue = "event_store_manager_queue"
    /// Name of the Event Store Manager's dead-letter queue.
    public static let managerDeadLetterQueue = "event_store_manager_dlq"
    /// Name of the Letta bridge's queue (bound `bmad.workflow.handoff.#`).
    public static let lettaQueue = "letta_handoff_queue"
    /// Name of the Letta bridge's dead-letter queue.
    public static let lettaDeadLetterQueue = "letta_handoff_dlq"

    /// This topology's Event Store Manager queue (``managerQueue`` with the prefix).
    public var managerQueueName: String { queuePrefix + Self.managerQueue }
    /// This topology's Event Store Manager dead-letter queue.
    public var managerDeadLetterQueueName: String { queuePrefix + Self.managerDeadLetterQueue }
    /// This topology's Letta bridge queue.
    public var lettaQueueName: String { queuePrefix + Self.lettaQueue }
    /// This topology's Letta bridge dead-letter queue.
    public var lettaDeadLetterQueueName: String { queuePrefix + Self.lettaDeadLetterQueue }

    /// The topology of brief §3 for the given exchange names (defaults `bloodbank.events.v1`, `bloodbank.dlx`);
    /// `queuePrefix` (default none) is prepended to every queue name and dead-letter routing key.
    public init(
        exchange: String = "bloodbank.events.v1", deadLetterExchange: String = "bloodbank.dlx", queuePrefix: String = ""
    ) {
        self.queuePrefix = queuePrefix
        self.exchange = exchange
        self.deadLetterExchange = deadLetterExchange
        self.exchanges = [
            Exchange(name: exchange, type: "topic", durable: true),
            Exchange(name: deadLetterExchange, type: "topic", durable: true),
        ]
        let sevenDaysMilliseconds: Int64 = 604_800_000
        self.queues = [
            Queue(
                name: queuePrefix + Self.managerQueue,
                durable: true,
                arguments: [
                    "x-queue-type": .string("classic"),
                    "x-max-length": .int(100_000),
                    "x-overflow": .string("reject-publish"),
                    "x-dead-letter-exchange": .string(deadLetterExchange),
                    "x-dead-letter-routing-key": .string(queuePrefix + Self.managerDeadLetterQueue),
                ],
                bindings: [Binding(exchange: exchange, routingKey: "#")]
            ),
            Queue(
                name: queuePrefix + Self.managerDeadLetterQueue,
                durable: true,
                arguments: [
                    "x-queue-type": .string("classic"),
                    "x-message-ttl": .int(sevenDaysMilliseconds),
                ],
                bindings: [Binding(exchange: deadLetterExchange, routingKey: queuePrefix + Self.managerDeadLetterQueue)]
            ),
            Queue(
                name: queuePrefix + Self.lettaQueue,
                durable: true,
                arguments: [
                    "x-queue-type": .string("classic"),
                    "x-max-length": .int(10_000),
                    "x-dead-letter-exchange": .string(deadLetterExchange),
                    "x-dead-letter-routing-key": .string(queuePrefix + Self.lettaDeadLetterQueue),
                ],
                bindings: [Binding(exchange: exchange, routingKey: "bmad.workflow.handoff.#")]
            ),
            Queue(
                name: queuePrefix + Self.lettaDeadLetterQueue,
                durable: true,
                arguments: [
                    "x-queue-type": .string("classic"),
                    "x-message-ttl": .int(sevenDaysMilliseconds),
                ],
                bindings: [Binding(exchange: deadLetterExchange, routingKey: queuePrefix + Self.lettaDeadLetterQueue)]
            ),
        ]
    }

    /// The queue with this name, if the topology has one.
    public func queue(named name: String) -> Queue? {
        queues.first { $0.name == name }
    }
}
