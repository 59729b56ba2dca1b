import NIOCore

/// A value Redis sends on a connection in subscribed mode, classified.
///
/// In RESP2 every push is an array whose first element names its kind; this is a pure function of the value, kept
/// apart from I/O so the odd cases (a null channel in a final `unsubscribe`, `pong` pushes) are unit-tested.
enum RedisPubSubPush: Equatable {
    case subscribe(channel: String, count: Int64)
    case unsubscribe(channel: String?, count: Int64)
    case message(channel: String, payload: ByteBuffer)
    case pong

    init(_ value: RESPValue) throws {
        if case .error(let message) = value {
            throw RedisClientError.serverError(String(buffer: message))
        }
        guard let elements = value.array, let kind = elements.first?.bytes else {
            throw RedisClientError.protocolError("Unexpected value on a subscribed connection: \(value)")
        }
        switch (String(buffer: kind).lowercased(), elements.count) {
        case ("message", 3):
            guard let channel = elements[1].string, let payload = elements[2].bytes else { break }
            self = .message(channel: channel, payload: payload)
            return
        case ("subscribe", 3):
            guard let channel = elements[1].string, case .integer(let count) = elements[2] else { break }
            self = .subscribe(channel: channel, count: count)
            return
        case ("unsubscribe", 3):
            guard case .integer(let count) = elements[2] else { break }
            self = .unsubscribe(channel: elements[1].string, count: count)
            return
        case ("pong", _):
            self = .pong
            return
        default:
            break
        }
        throw RedisClientError.protocolError("Unexpected push on a subscribed connection: \(value)")
    }
}
