public import NIOCore

/// Anything that can run a Redis command: a ``RedisConnection`` or the ``RedisClient`` service.
///
/// The typed helpers are written once against this protocol so both offer the same API, and tests can supply a
/// fake.
public protocol RedisCommandExecutor: Sendable {
    /// Sends one command and returns the reply; error replies are thrown as `serverError`.
    func send(command: String, arguments: [RESPArgument]) async throws -> RESPValue

    /// Sends several commands back to back and returns the replies in order; error replies stay in their slot as
    /// ``RESPValue/error(_:)`` values, connection failures throw.
    func send(pipeline commands: [RedisCommand]) async throws -> [RESPValue]
}

/// A command name and its arguments, for ``RedisCommandExecutor/send(pipeline:)``.
public struct RedisCommand: Sendable, Hashable {
    /// The command name, such as `PUBLISH`.
    public var name: String
    /// The arguments after the name.
    public var arguments: [RESPArgument]

    /// Creates a command.
    public init(_ name: String, _ arguments: [RESPArgument] = []) {
        self.name = name
        self.arguments = arguments
    }
}

extension RedisCommandExecutor {
    /// Round-trips a `PING`; succeeding proves the server is reachable and answering, which is what health checks
    /// need.
    public func ping() async throws {
        let reply = try await self.send(command: "PING", arguments: [])
        guard reply.string == "PONG" else {
            throw RedisClientError.unexpectedResponse(reply, expected: "PONG")
        }
    }

    /// Publishes `message` on `channel` and returns how many subscribers (across the server) received it.
    ///
    /// Zero is not an error: pub/sub is fire-and-forget and nobody may be listening.
    @discardableResult
    public func publish(channel: String, message: RESPArgument) async throws -> Int {
        let reply = try await self.send(command: "PUBLISH", arguments: [RESPArgument(channel), message])
        return try Self.integer(reply, command: "PUBLISH")
    }

    /// Publishes the bytes of `message` on `channel`; same semantics as the `RESPArgument` overload.
    @discardableResult
    public func publish(channel: String, message: ByteBuffer) async throws -> Int {
        try await self.publish(channel: channel, message: RESPArgument(message))
    }

    /// Publishes the UTF-8 text `message` on `channel`; same semantics as the `RESPArgument` overload.
    @discardableResult
    public func publish(channel: String, message: String) async throws -> Int {
        try await self.publish(channel: channel, message: RESPArgument(message))
    }

    /// Publishes every message on `channel` in one pipelined batch and returns each one's receiver count, in order.
    ///
    /// This is the fast path for fan-out after a database commit: one write and one round trip for the batch.
    /// - Throws: `serverError` if Redis rejected any PUBLISH (the batch still ran), connection errors otherwise.
    @discardableResult
    public func publish(channel: String, messages: [RESPArgument]) async throws -> [Int] {
        let channelArgument = RESPArgument(channel)
        let replies = try await self.send(
            pipeline: messages.map { RedisCommand("PUBLISH", [channelArgument, $0]) }
        )
        return try replies.map { reply in
            if case .error(let message) = reply {
                throw RedisClientError.serverError(String(buffer: message))
            }
            return try Self.integer(reply, command: "PUBLISH")
        }
    }

    /// Returns the value stored at `key`, or `nil` if the key does not exist.
    ///
    /// - Throws: `serverError` (`WRONGTYPE`) if the key holds a non-string value.
    public func get(_ key: String) async throws -> ByteBuffer? {
        let reply = try await self.send(command: "GET", arguments: [RESPArgument(key)])
        switch reply {
        case .bulkString(let value):
            return value
        default:
            throw RedisClientError.unexpectedResponse(reply, expected: "a bulk string from GET")
        }
    }

    /// Stores `value` at `key`, optionally expiring after `expiration` (millisecond precision).
    public func set(_ key: String, to value: RESPArgument, expiration: Duration? = nil) async throws {
        var arguments = [RESPArgument(key), value]
        if let expiration {
            let milliseconds = max(
                1, expiration.components.seconds * 1000 + expiration.components.attoseconds / 1_000_000_000_000_000)
            arguments.append("PX")
            arguments.append(RESPArgument(milliseconds))
        }
        let reply = try await self.send(command: "SET", arguments: arguments)
        guard reply.string == "OK" else {
            throw RedisClientError.unexpectedResponse(reply, expected: "OK from SET")
        }
    }

    /// Deletes `keys` and returns how many existed.
    @discardableResult
    public func del(_ keys: [String]) async throws -> Int {
        let reply = try await self.send(command: "DEL", arguments: keys.map { RESPArgument($0) })
        return try Self.integer(reply, command: "DEL")
    }

    /// Deletes `key` and returns how many existed (0 or 1).
    @discardableResult
    public func del(_ key: String) async throws -> Int {
        try await self.del([key])
    }

    /// Atomically increments the integer at `key` (created as 0 if missing) and returns the new value.
    ///
    /// - Throws: `serverError` if the value is not an integer.
    @discardableResult
    public func incr(_ key: String) async throws -> Int64 {
        let reply = try await self.send(command: "INCR", arguments: [RESPArgument(key)])
        guard case .integer(let value) = reply else {
            throw RedisClientError.unexpectedResponse(reply, expected: "an integer from INCR")
        }
        return value
    }

    private static func integer(_ reply: RESPValue, command: String) throws -> Int {
        guard case .integer(let value) = reply else {
            throw RedisClientError.unexpectedResponse(reply, expected: "an integer from \(command)")
        }
        return Int(value)
    }
}
