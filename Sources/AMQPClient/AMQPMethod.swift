import NIOCore

/// Every AMQP 0-9-1 method this client sends or understands (spec §1, class and method ids from the XML).
///
/// Field order and bit packing follow the spec: consecutive `bit` fields share one octet, lowest bit first.
enum AMQPMethod: Sendable, Hashable {
    // connection (class 10)
    case connectionStart(
        versionMajor: UInt8, versionMinor: UInt8, serverProperties: AMQPTable, mechanisms: String, locales: String)
    case connectionStartOk(clientProperties: AMQPTable, mechanism: String, response: String, locale: String)
    case connectionSecure(challenge: String)
    case connectionTune(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    case connectionTuneOk(channelMax: UInt16, frameMax: UInt32, heartbeat: UInt16)
    case connectionOpen(virtualHost: String)
    case connectionOpenOk
    case connectionClose(CloseReason)
    case connectionCloseOk
    case connectionBlocked(reason: String)
    case connectionUnblocked
    // channel (class 20)
    case channelOpen
    case channelOpenOk
    case channelFlow(active: Bool)
    case channelFlowOk(active: Bool)
    case channelClose(CloseReason)
    case channelCloseOk
    // exchange (class 40)
    case exchangeDeclare(ExchangeDeclare)
    case exchangeDeclareOk
    case exchangeDelete(exchange: String, ifUnused: Bool, noWait: Bool)
    case exchangeDeleteOk
    case exchangeBind(Binding)
    case exchangeBindOk
    case exchangeUnbind(Binding)
    case exchangeUnbindOk
    // queue (class 50)
    case queueDeclare(QueueDeclare)
    case queueDeclareOk(queue: String, messageCount: UInt32, consumerCount: UInt32)
    case queueBind(Binding)
    case queueBindOk
    case queueUnbind(Binding)
    case queueUnbindOk
    case queuePurge(queue: String, noWait: Bool)
    case queuePurgeOk(messageCount: UInt32)
    case queueDelete(queue: String, ifUnused: Bool, ifEmpty: Bool, noWait: Bool)
    case queueDeleteOk(messageCount: UInt32)
    // basic (class 60)
    case basicQos(prefetchSize: UInt32, prefetchCount: UInt16, global: Bool)
    case basicQosOk
    case basicConsume(BasicConsume)
    case basicConsumeOk(consumerTag: String)
    case basicCancel(consumerTag: String, noWait: Bool)
    case basicCancelOk(consumerTag: String)
    case basicPublish(exchange: String, routingKey: String, mandatory: Bool, immediate: Bool)
    case basicReturn(replyCode: UInt16, replyText: String, exchange: String, routingKey: String)
    case basicDeliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
    case basicGet(queue: String, noAck: Bool)
    case basicGetOk(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String, messageCount: UInt32)
    case basicGetEmpty
    case basicAck(deliveryTag: UInt64, multiple: Bool)
    case basicReject(deliveryTag: UInt64, requeue: Bool)
    case basicRecover(requeue: Bool)
    case basicRecoverOk
    case basicNack(deliveryTag: UInt64, multiple: Bool, requeue: Bool)
    // confirm (class 85)
    case confirmSelect(noWait: Bool)
    case confirmSelectOk

    struct CloseReason: Sendable, Hashable {
        var replyCode: UInt16
        var replyText: String
        var classID: UInt16
        var methodID: UInt16
    }

    struct ExchangeDeclare: Sendable, Hashable {
        var exchange: String
        var type: String
        var passive: Bool
        var durable: Bool
        var autoDelete: Bool
        var `internal`: Bool
        var noWait: Bool
        var arguments: AMQPTable
    }

    struct QueueDeclare: Sendable, Hashable {
        var queue: String
        var passive: Bool
        var durable: Bool
        var exclusive: Bool
        var autoDelete: Bool
        var noWait: Bool
        var arguments: AMQPTable
    }

    /// queue.bind/unbind (destination = queue, source = exchange) and exchange.bind/unbind.
    struct Binding: Sendable, Hashable {
        var destination: String
        var source: String
        var routingKey: String
        var noWait: Bool
        var arguments: AMQPTable
    }

    struct BasicConsume: Sendable, Hashable {
        var queue: String
        var consumerTag: String
        var noLocal: Bool
        var noAck: Bool
        var exclusive: Bool
        var noWait: Bool
        var arguments: AMQPTable
    }

    /// Class and method id, as they appear on the wire.
    var id: (classID: UInt16, methodID: UInt16) {
        switch self {
        case .connectionStart: return (10, 10)
        case .connectionStartOk: return (10, 11)
        case .connectionSecure: return (10, 20)
        case .connectionTune: return (10, 30)
        case .connectionTuneOk: return (10, 31)
        case .connectionOpen: return (10, 40)
        case .connectionOpenOk: return (10, 41)
        case .connectionClose: return (10, 50)
        case .connectionCloseOk: return (10, 51)
        case .connectionBlocked: return (10, 60)
        case .connectionUnblocked: return (10, 61)
        case .channelOpen: return (20, 10)
        case .channelOpenOk: return (20, 11)
        case .channelFlow: return (20, 20)
        case .channelFlowOk: return (20, 21)
        case .channelClose: return (20, 40)
        case .channelCloseOk: return (20, 41)
        case .exchangeDeclare: return (40, 10)
        case .exchangeDeclareOk: return (40, 11)
        case .exchangeDelete: return (40, 20)
        case .exchangeDeleteOk: return (40, 21)
        case .exchangeBind: return (40, 30)
        case .exchangeBindOk: return (40, 31)
        case .exchangeUnbind: return (40, 40)
        case .exchangeUnbindOk: return (40, 51)
        case .queueDeclare: return (50, 10)
        case .queueDeclareOk: return (50, 11)
        case .queueBind: return (50, 20)
        case .queueBindOk: return (50, 21)
        case .queuePurge: return (50, 30)
        case .queuePurgeOk: return (50, 31)
        case .queueDelete: return (50, 40)
        case .queueDeleteOk: return (50, 41)
        case .queueUnbind: return (50, 50)
        case .queueUnbindOk: return (50, 51)
        case .basicQos: return (60, 10)
        case .basicQosOk: return (60, 11)
        case .basicConsume: return (60, 20)
        case .basicConsumeOk: return (60, 21)
        case .basicCancel: return (60, 30)
        case .basicCancelOk: return (60, 31)
        case .basicPublish: return (60, 40)
        case .basicReturn: return (60, 50)
        case .basicDeliver: return (60, 60)
        case .basicGet: return (60, 70)
        case .basicGetOk: return (60, 71)
        case .basicGetEmpty: return (60, 72)
        case .basicAck: return (60, 80)
        case .basicReject: return (60, 90)
        case .basicRecover: return (60, 110)
        case .basicRecoverOk: return (60, 111)
        case .basicNack: return (60, 120)
        case .confirmSelect: return (85, 10)
        case .confirmSelectOk: return (85, 11)
        }
    }

    /// Whether a content header and body frames follow this method (spec §2.3.5.2).
    var hasContent: Bool {
        switch self {
        case .basicPublish, .basicReturn, .basicDeliver, .basicGetOk: return true
        default: return false
        }
    }
}

@inline(__always)
private func bits(_ values: Bool...) -> UInt8 {
    var octet: UInt8 = 0
    for (index, value) in values.enumerated() where value {
        octet |= 1 << UInt8(index)
    }
    return octet
}

@inline(__always)
private func bit(_ octet: UInt8, _ index: UInt8) -> Bool {
    octet & (1 << index) != 0
}

extension ByteBuffer {
    /// Writes class id, method id and arguments (the method frame payload, spec §4.2.4).
    mutating func writeMethodPayload(_ method: AMQPMethod) throws(AMQPError) {
        let id = method.id
        self.writeInteger(id.classID)
        self.writeInteger(id.methodID)
        switch method {
        case .connectionStart(let major, let minor, let properties, let mechanisms, let locales):
            self.writeInteger(major)
            self.writeInteger(minor)
            try self.writeFieldTable(properties)
            self.writeLongString(mechanisms)
            self.writeLongString(locales)
        case .connectionStartOk(let properties, let mechanism, let response, let locale):
            try self.writeFieldTable(properties)
            try self.writeShortString(mechanism)
            self.writeLongString(response)
            try self.writeShortString(locale)
        case .connectionSecure(let challenge):
            self.writeLongString(challenge)
        case .connectionTune(let channelMax, let frameMax, let heartbeat),
            .connectionTuneOk(let channelMax, let frameMax, let heartbeat):
            self.writeInteger(channelMax)
            self.writeInteger(frameMax)
            self.writeInteger(heartbeat)
        case .connectionOpen(let vhost):
            try self.writeShortString(vhost)
            try self.writeShortString("")  // reserved-1 (capabilities)
            self.writeInteger(UInt8(0))  // reserved-2 (insist)
        case .connectionOpenOk:
            try self.writeShortString("")
        case .connectionClose(let reason), .channelClose(let reason):
            self.writeInteger(reason.replyCode)
            try self.writeShortString(String(reason.replyText.utf8.prefix(255)) ?? "")
            self.writeInteger(reason.classID)
            self.writeInteger(reason.methodID)
        case .connectionCloseOk, .connectionUnblocked, .channelCloseOk, .exchangeDeclareOk, .exchangeDeleteOk,
            .exchangeBindOk, .exchangeUnbindOk, .queueBindOk, .queueUnbindOk, .basicQosOk, .basicRecoverOk,
            .confirmSelectOk:
            break
        case .connectionBlocked(let reason):
            try self.writeShortString(reason)
        case .channelOpen:
            try self.writeShortString("")
        case .channelOpenOk:
            self.writeLongString("")
        case .channelFlow(let active), .channelFlowOk(let active):
            self.writeInteger(bits(active))
        case .exchangeDeclare(let d):
            self.writeInteger(UInt16(0))
            try self.writeShortString(d.exchange)
            try self.writeShortString(d.type)
            self.writeInteger(bits(d.passive, d.durable, d.autoDelete, d.internal, d.noWait))
            try self.writeFieldTable(d.arguments)
        case .exchangeDelete(let exchange, let ifUnused, let noWait):
            self.writeInteger(UInt16(0))
            try self.writeShortString(exchange)
            self.writeInteger(bits(ifUnused, noWait))
        case .exchangeBind(let b), .exchangeUnbind(let b), .queueBind(let b):
            self.writeInteger(UInt16(0))
            try self.writeShortString(b.destination)
            try self.writeShortString(b.source)
            try self.writeShortString(b.routingKey)
            self.writeInteger(bits(b.noWait))
            try self.writeFieldTable(b.arguments)
        case .queueUnbind(let b):
            // queue.unbind has no no-wait bit.
            self.writeInteger(UInt16(0))
            try self.writeShortString(b.destination)
            try self.writeShortString(b.source)
            try self.writeShortString(b.routingKey)
            try self.writeFieldTable(b.arguments)
        case .queueDeclare(let d):
            self.writeInteger(UInt16(0))
            try self.writeShortString(d.queue)
            self.writeInteger(bits(d.passive, d.durable, d.exclusive, d.autoDelete, d.noWait))
            try self.writeFieldTable(d.arguments)
        case .queueDeclareOk(let queue, let messageCount, let consumerCount):
            try self.writeShortString(queue)
            self.writeInteger(messageCount)
            self.writeInteger(consumerCount)
        case .queuePurge(let queue, let noWait):
            self.writeInteger(UInt16(0))
            try self.writeShortString(queue)
            self.writeInteger(bits(noWait))
        case .queuePurgeOk(let count), .queueDeleteOk(let count):
            self.writeInteger(count)
        case .queueDelete(let queue, let ifUnused, let ifEmpty, let noWait):
            self.writeInteger(UInt16(0))
            try self.writeShortString(queue)
            self.writeInteger(bits(ifUnused, ifEmpty, noWait))
        case .basicQos(let size, let count, let global):
            self.writeInteger(size)
            self.writeInteger(count)
            self.writeInteger(bits(global))
        case .basicConsume(let c):
            self.writeInteger(UInt16(0))
            try self.writeShortString(c.queue)
            try self.writeShortString(c.consumerTag)
            self.writeInteger(bits(c.noLocal, c.noAck, c.exclusive, c.noWait))
            try self.writeFieldTable(c.arguments)
        case .basicConsumeOk(let tag), .basicCancelOk(let tag):
            try self.writeShortString(tag)
        case .basicCancel(let tag, let noWait):
            try self.writeShortString(tag)
            self.writeInteger(bits(noWait))
        case .basicPublish(let exchange, let routingKey, let mandatory, let immediate):
            self.writeInteger(UInt16(0))
            try self.writeShortString(exchange)
            try self.writeShortString(routingKey)
            self.writeInteger(bits(mandatory, immediate))
        case .basicReturn(let code, let text, let exchange, let routingKey):
            self.writeInteger(code)
            try self.writeShortString(text)
            try self.writeShortString(exchange)
            try self.writeShortString(routingKey)
        case .basicDeliver(let tag, let deliveryTag, let redelivered, let exchange, let routingKey):
            try self.writeShortString(tag)
            self.writeInteger(deliveryTag)
            self.writeInteger(bits(redelivered))
            try self.writeShortString(exchange)
            try self.writeShortString(routingKey)
        case .basicGet(let queue, let noAck):
            self.writeInteger(UInt16(0))
            try self.writeShortString(queue)
            self.writeInteger(bits(noAck))
        case .basicGetOk(let deliveryTag, let redelivered, let exchange, let routingKey, let count):
            self.writeInteger(deliveryTag)
            self.writeInteger(bits(redelivered))
            try self.writeShortString(exchange)
            try self.writeShortString(routingKey)
            self.writeInteger(count)
        case .basicGetEmpty:
            try self.writeShortString("")
        case .basicAck(let tag, let multiple):
            self.writeInteger(tag)
            self.writeInteger(bits(multiple))
        case .basicReject(let tag, let requeue):
            self.writeInteger(tag)
            self.writeInteger(bits(requeue))
        case .basicRecover(let requeue):
            self.writeInteger(bits(requeue))
        case .basicNack(let tag, let multiple, let requeue):
            self.writeInteger(tag)
            self.writeInteger(bits(multiple, requeue))
        case .confirmSelect(let noWait):
            self.writeInteger(bits(noWait))
        }
    }

    /// Reads a method frame payload; throws a syntax/command error for unknown or truncated methods.
    mutating func readMethodPayload() throws(AMQPError) -> AMQPMethod {
        let classID: UInt16 = try self.readAMQPInteger()
        let methodID: UInt16 = try self.readAMQPInteger()
        switch (classID, methodID) {
        case (10, 10):
            let major: UInt8 = try self.readAMQPInteger()
            let minor: UInt8 = try self.readAMQPInteger()
            let properties = try self.readFieldTable()
            let mechanisms = try self.readLongString()
            let locales = try self.readLongString()
            return .connectionStart(
                versionMajor: major,
                versionMinor: minor,
                serverProperties: properties,
                mechanisms: mechanisms,
                locales: locales
            )
        case (10, 11):
            let properties = try self.readFieldTable()
            let mechanism = try self.readShortString()
            let response = try self.readLongString()
            let locale = try self.readShortString()
            return .connectionStartOk(
                clientProperties: properties,
                mechanism: mechanism,
                response: response,
                locale: locale
            )
        case (10, 20):
            return .connectionSecure(challenge: try self.readLongString())
        case (10, 30), (10, 31):
            let channelMax: UInt16 = try self.readAMQPInteger()
            let frameMax: UInt32 = try self.readAMQPInteger()
            let heartbeat: UInt16 = try self.readAMQPInteger()
            return methodID == 30
                ? .connectionTune(channelMax: channelMax, frameMax: frameMax, heartbeat: heartbeat)
                : .connectionTuneOk(channelMax: channelMax, frameMax: frameMax, heartbeat: heartbeat)
        case (10, 40):
            let vhost = try self.readShortString()
            _ = try self.readShortString()
            let _: UInt8 = try self.readAMQPInteger()
            return .connectionOpen(virtualHost: vhost)
        case (10, 41):
            _ = try self.readShortString()
            return .connectionOpenOk
        case (10, 50):
            return .connectionClose(try self.readCloseReason())
        case (10, 51):
            return .connectionCloseOk
        case (10, 60):
            return .connectionBlocked(reason: try self.readShortString())
        case (10, 61):
            return .connectionUnblocked
        case (20, 10):
            _ = try self.readShortString()
            return .channelOpen
        case (20, 11):
            _ = try self.readLongString()
            return .channelOpenOk
        case (20, 20):
            return .channelFlow(active: bit(try self.readAMQPInteger(), 0))
        case (20, 21):
            return .channelFlowOk(active: bit(try self.readAMQPInteger(), 0))
        case (20, 40):
            return .channelClose(try self.readCloseReason())
        case (20, 41):
            return .channelCloseOk
        case (40, 10):
            let _: UInt16 = try self.readAMQPInteger()
            let exchange = try self.readShortString()
            let type = try self.readShortString()
            let flags: UInt8 = try self.readAMQPInteger()
            let arguments = try self.readFieldTable()
            return .exchangeDeclare(
                .init(
                    exchange: exchange,
                    type: type,
                    passive: bit(flags, 0),
                    durable: bit(flags, 1),
                    autoDelete: bit(flags, 2),
                    internal: bit(flags, 3),
                    noWait: bit(flags, 4),
                    arguments: arguments
                )
            )
        case (40, 11):
            return .exchangeDeclareOk
        case (40, 20):
            let _: UInt16 = try self.readAMQPInteger()
            let exchange = try self.readShortString()
            let flags: UInt8 = try self.readAMQPInteger()
            return .exchangeDelete(exchange: exchange, ifUnused: bit(flags, 0), noWait: bit(flags, 1))
        case (40, 21):
            return .exchangeDeleteOk
        case (40, 30), (40, 40), (50, 20):
            let binding = try self.readBinding(hasNoWait: true)
            switch (classID, methodID) {
            case (40, 30): return .exchangeBind(binding)
            case (40, 40): return .exchangeUnbind(binding)
            default: return .queueBind(binding)
            }
        case (40, 31):
            return .exchangeBindOk
        case (40, 51):
            return .exchangeUnbindOk
        case (50, 10):
            let _: UInt16 = try self.readAMQPInteger()
            let queue = try self.readShortString()
            let flags: UInt8 = try self.readAMQPInteger()
            let arguments = try self.readFieldTable()
            return .queueDeclare(
                .init(
                    queue: queue,
                    passive: bit(flags, 0),
                    durable: bit(flags, 1),
                    exclusive: bit(flags, 2),
                    autoDelete: bit(flags, 3),
                    noWait: bit(flags, 4),
                    arguments: arguments
                )
            )
        case (50, 11):
            let queue = try self.readShortString()
            let messages: UInt32 = try self.readAMQPInteger()
            let consumers: UInt32 = try self.readAMQPInteger()
            return .queueDeclareOk(queue: queue, messageCount: messages, consumerCount: consumers)
        case (50, 21):
            return .queueBindOk
        case (50, 30):
            let _: UInt16 = try self.readAMQPInteger()
            let queue = try self.readShortString()
            return .queuePurge(queue: queue, noWait: bit(try self.readAMQPInteger(), 0))
        case (50, 31):
            return .queuePurgeOk(messageCount: try self.readAMQPInteger())
        case (50, 40):
            let _: UInt16 = try self.readAMQPInteger()
            let queue = try self.readShortString()
            let flags: UInt8 = try self.readAMQPInteger()
            return .queueDelete(queue: queue, ifUnused: bit(flags, 0), ifEmpty: bit(flags, 1), noWait: bit(flags, 2))
        case (50, 41):
            return .queueDeleteOk(messageCount: try self.readAMQPInteger())
        case (50, 50):
            return .queueUnbind(try self.readBinding(hasNoWait: false))
        case (50, 51):
            return .queueUnbindOk
        case (60, 10):
            let size: UInt32 = try self.readAMQPInteger()
            let count: UInt16 = try self.readAMQPInteger()
            return .basicQos(prefetchSize: size, prefetchCount: count, global: bit(try self.readAMQPInteger(), 0))
        case (60, 11):
            return .basicQosOk
        case (60, 20):
            let _: UInt16 = try self.readAMQPInteger()
            let queue = try self.readShortString()
            let tag = try self.readShortString()
            let flags: UInt8 = try self.readAMQPInteger()
            let arguments = try self.readFieldTable()
            return .basicConsume(
                .init(
                    queue: queue,
                    consumerTag: tag,
                    noLocal: bit(flags, 0),
                    noAck: bit(flags, 1),
                    exclusive: bit(flags, 2),
                    noWait: bit(flags, 3),
                    arguments: arguments
                )
            )
        case (60, 21):
            return .basicConsumeOk(consumerTag: try self.readShortString())
        case (60, 30):
            let tag = try self.readShortString()
            return .basicCancel(consumerTag: tag, noWait: bit(try self.readAMQPInteger(), 0))
        case (60, 31):
            return .basicCancelOk(consumerTag: try self.readShortString())
        case (60, 40):
            let _: UInt16 = try self.readAMQPInteger()
            let exchange = try self.readShortString()
            let routingKey = try self.readShortString()
            let flags: UInt8 = try self.readAMQPInteger()
            return .basicPublish(
                exchange: exchange,
                routingKey: routingKey,
                mandatory: bit(flags, 0),
                immediate: bit(flags, 1)
            )
        case (60, 50):
            let code: UInt16 = try self.readAMQPInteger()
            let text = try self.readShortString()
            let exchange = try self.readShortString()
            let routingKey = try self.readShortString()
            return .basicReturn(replyCode: code, replyText: text, exchange: exchange, routingKey: routingKey)
        case (60, 60):
            let tag = try self.readShortString()
            let deliveryTag: UInt64 = try self.readAMQPInteger()
            let flags: UInt8 = try self.readAMQPInteger()
            let exchange = try self.readShortString()
            let routingKey = try self.readShortString()
            return .basicDeliver(
                consumerTag: tag,
                deliveryTag: deliveryTag,
                redelivered: bit(flags, 0),
                exchange: exchange,
                routingKey: routingKey
            )
        case (60, 70):
            let _: UInt16 = try self.readAMQPInteger()
            let queue = try self.readShortString()
            return .basicGet(queue: queue, noAck: bit(try self.readAMQPInteger(), 0))
        case (60, 71):
            let deliveryTag: UInt64 = try self.readAMQPInteger()
            let flags: UInt8 = try self.readAMQPInteger()
            let exchange = try self.readShortString()
            let routingKey = try self.readShortString()
            let count: UInt32 = try self.readAMQPInteger()
            return .basicGetOk(
                deliveryTag: deliveryTag,
                redelivered: bit(flags, 0),
                exchange: exchange,
                routingKey: routingKey,
                messageCount: count
            )
        case (60, 72):
            _ = try self.readShortString()
            return .basicGetEmpty
        case (60, 80):
            let tag: UInt64 = try self.readAMQPInteger()
            return .basicAck(deliveryTag: tag, multiple: bit(try self.readAMQPInteger(), 0))
        case (60, 90):
            let tag: UInt64 = try self.readAMQPInteger()
            return .basicReject(deliveryTag: tag, requeue: bit(try self.readAMQPInteger(), 0))
        case (60, 110):
            return .basicRecover(requeue: bit(try self.readAMQPInteger(), 0))
        case (60, 111):
            return .basicRecoverOk
        case (60, 120):
            let tag: UInt64 = try self.readAMQPInteger()
            let flags: UInt8 = try self.readAMQPInteger()
            return .basicNack(deliveryTag: tag, multiple: bit(flags, 0), requeue: bit(flags, 1))
        case (85, 10):
            return .confirmSelect(noWait: bit(try self.readAMQPInteger(), 0))
        case (85, 11):
            return .confirmSelectOk
        default:
            throw AMQPError(
                code: .protocolViolation,
                message: "unknown method \(classID).\(methodID)",
                replyCode: AMQPReplyCode.commandInvalid,
                classID: classID,
                methodID: methodID
            )
        }
    }

    private mutating func readCloseReason() throws(AMQPError) -> AMQPMethod.CloseReason {
        let code: UInt16 = try self.readAMQPInteger()
        let text = try self.readShortString()
        let classID: UInt16 = try self.readAMQPInteger()
        let methodID: UInt16 = try self.readAMQPInteger()
        return .init(replyCode: code, replyText: text, classID: classID, methodID: methodID)
    }

    private mutating func readBinding(hasNoWait: Bool) throws(AMQPError) -> AMQPMethod.Binding {
        let _: UInt16 = try self.readAMQPInteger()
        let destination = try self.readShortString()
        let source = try self.readShortString()
        let routingKey = try self.readShortString()
        var noWait = false
        if hasNoWait { noWait = bit(try self.readAMQPInteger(), 0) }
        let arguments = try self.readFieldTable()
        return .init(
            destination: destination, source: source, routingKey: routingKey, noWait: noWait, arguments: arguments)
    }
}
