import NIOCore

/// The `basic` class content properties (spec §1.8, content header §4.2.6.1).
///
/// Only properties that are set are put on the wire; the property-flags word says which.
public struct AMQPProperties: Sendable, Hashable {
    /// MIME content type, e.g. `application/json`.
    public var contentType: String?
    /// MIME content encoding, e.g. `utf-8`.
    public var contentEncoding: String?
    /// Application headers.
    public var headers: AMQPTable?
    /// 1 = transient, 2 = persistent (survives a broker restart when the queue is durable).
    public var deliveryMode: UInt8?
    /// Message priority, 0–9.
    public var priority: UInt8?
    /// Application correlation identifier.
    public var correlationID: String?
    /// Address to reply to.
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as a decimal string (RabbitMQ's convention).
    public var expiration: String?
    /// Application message identifier.
    public var messageID: String?
    /// Message timestamp, POSIX seconds.
    public var timestamp: UInt64?
    /// Message type name.
    public var type: String?
    /// Creating user id; RabbitMQ validates it against the connection's user.
    public var userID: String?
    /// Creating application id.
    public var appID: String?
    /// Deprecated cluster id (reserved in 0-9-1); kept for round trips.
    public var clusterID: String?

    /// Creates properties; every field defaults to absent.
    public init(
        contentType: String? = nil,
        contentEncoding: String? = nil,
        headers: AMQPTable? = nil,
        deliveryMode: UInt8? = nil,
        priority: UInt8? = nil,
        correlationID: String? = nil,
        replyTo: String? = nil,
        expiration: String? = nil,
        messageID: String? = nil,
        timestamp: UInt64? = nil,
        type: String? = nil,
        userID: String? = nil,
        appID: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
    }

    /// Delivery mode 2: the broker writes the message to disk in durable queues.
    public static let persistentDeliveryMode: UInt8 = 2
}

/// A decoded content header frame (spec §4.2.6.1).
struct AMQPContentHeader: Sendable, Hashable {
    var classID: UInt16
    var bodySize: UInt64
    var properties: AMQPProperties
}

extension ByteBuffer {
    /// Writes the content header payload: class, weight, body size, flags, then the present properties.
    mutating func writeContentHeaderPayload(classID: UInt16, bodySize: UInt64, properties p: AMQPProperties)
        throws(AMQPError)
    {
        self.writeInteger(classID)
        self.writeInteger(UInt16(0))  // weight, unused
        self.writeInteger(bodySize)
        var flags: UInt16 = 0
        if p.contentType != nil { flags |= 1 << 15 }
        if p.contentEncoding != nil { flags |= 1 << 14 }
        if p.headers != nil { flags |= 1 << 13 }
        if p.deliveryMode != nil { flags |= 1 << 12 }
        if p.priority != nil { flags |= 1 << 11 }
        if p.correlationID != nil { flags |= 1 << 10 }
        if p.replyTo != nil { flags |= 1 << 9 }
        if p.expiration != nil { flags |= 1 << 8 }
        if p.messageID != nil { flags |= 1 << 7 }
        if p.timestamp != nil { flags |= 1 << 6 }
        if p.type != nil { flags |= 1 << 5 }
        if p.userID != nil { flags |= 1 << 4 }
        if p.appID != nil { flags |= 1 << 3 }
        if p.clusterID != nil { flags |= 1 << 2 }
        self.writeInteger(flags)
        if let v = p.contentType { try self.writeShortString(v) }
        if let v = p.contentEncoding { try self.writeShortString(v) }
        if let v = p.headers { try self.writeFieldTable(v) }
        if let v = p.deliveryMode { self.writeInteger(v) }
        if let v = p.priority { self.writeInteger(v) }
        if let v = p.correlationID { try self.writeShortString(v) }
        if let v = p.replyTo { try self.writeShortString(v) }
        if let v = p.expiration { try self.writeShortString(v) }
        if let v = p.messageID { try self.writeShortString(v) }
        if let v = p.timestamp { self.writeInteger(v) }
        if let v = p.type { try self.writeShortString(v) }
        if let v = p.userID { try self.writeShortString(v) }
        if let v = p.appID { try self.writeShortString(v) }
        if let v = p.clusterID { try self.writeShortString(v) }
    }

    mutating func readContentHeaderPayload() throws(AMQPError) -> AMQPContentHeader {
        let classID: UInt16 = try self.readAMQPInteger()
        let _: UInt16 = try self.readAMQPInteger()  // weight
        let bodySize: UInt64 = try self.readAMQPInteger()
        var flags: UInt16 = try self.readAMQPInteger()
        // Flag words continue while bit 0 is set (spec §4.2.6.1); basic uses only the first word.
        var extra = flags
        while extra & 1 == 1 {
            extra = try self.readAMQPInteger()
        }
        flags &= ~1
        var p = AMQPProperties()
        if flags & (1 << 15) != 0 { p.contentType = try self.readShortString() }
        if flags & (1 << 14) != 0 { p.contentEncoding = try self.readShortString() }
        if flags & (1 << 13) != 0 { p.headers = try self.readFieldTable() }
        if flags & (1 << 12) != 0 { p.deliveryMode = try self.readAMQPInteger() }
        if flags & (1 << 11) != 0 { p.priority = try self.readAMQPInteger() }
        if flags & (1 << 10) != 0 { p.correlationID = try self.readShortString() }
        if flags & (1 << 9) != 0 { p.replyTo = try self.readShortString() }
        if flags & (1 << 8) != 0 { p.expiration = try self.readShortString() }
        if flags & (1 << 7) != 0 { p.messageID = try self.readShortString() }
        if flags & (1 << 6) != 0 { p.timestamp = try self.readAMQPInteger() }
        if flags & (1 << 5) != 0 { p.type = try self.readShortString() }
        if flags & (1 << 4) != 0 { p.userID = try self.readShortString() }
        if flags & (1 << 3) != 0 { p.appID = try self.readShortString() }
        if flags & (1 << 2) != 0 { p.clusterID = try self.readShortString() }
        return AMQPContentHeader(classID: classID, bodySize: bodySize, properties: p)
    }
}
