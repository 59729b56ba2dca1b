public import Retry

/// Everything needed to open (and re-open) a connection.
///
/// Defaults: `127.0.0.1:5672`, `guest`/`guest`, vhost `/`, heartbeat 30 s (RabbitMQ's own default is
/// 60 s; 30 s detects a dead peer within a minute), frame_max 131072 (RabbitMQ's default), channel_max 2047,
/// connect timeout 10 s.
public struct AMQPConfiguration: Sendable {
    /// Broker host name or address.
    public var host: String
    /// Broker port.
    public var port: Int
    /// User name for SASL PLAIN.
    public var username: String
    /// Password for SASL PLAIN.
    public var password: String
    /// Virtual host; RabbitMQ's default is `/`.
    public var virtualHost: String
    /// Sent as the `connection_name` client property: the management UI shows it, and operators (or tests)
    /// can find and force-close this connection by it.
    public var connectionName: String?
    /// Requested heartbeat interval; `.zero` disables heartbeats. The broker may negotiate it down.
    public var heartbeat: Duration
    /// Requested maximum frame size in bytes (including framing), at least 4096.
    public var frameMax: UInt32
    /// Requested maximum channel number.
    public var channelMax: UInt16
    /// Budget for TCP connect plus the AMQP handshake.
    public var connectTimeout: Duration
    /// Backoff policy for the reconnecting `AMQPClient`.
    public var reconnect: RetryPolicy
    /// How long a confirm-mode publish waits for the broker's ack or nack before it fails with
    /// `.publishUnconfirmed` (republish it); nil waits as long as the connection lives. Default 30 s.
    public var publishConfirmTimeout: Duration?
    /// Extra client properties merged into connection.start-ok (e.g. `product`, `version`).
    public var clientProperties: AMQPTable

    /// Creates a configuration with the documented defaults.
    public init(
        host: String = "127.0.0.1",
        port: Int = 5672,
        username: String = "guest",
        password: String = "guest",
        virtualHost: String = "/",
        connectionName: String? = nil,
        heartbeat: Duration = .seconds(30),
        frameMax: UInt32 = 131_072,
        channelMax: UInt16 = 2047,
        connectTimeout: Duration = .seconds(10),
        reconnect: RetryPolicy = RetryPolicy(),
        publishConfirmTimeout: Duration? = .seconds(30),
        clientProperties: AMQPTable = [:]
    ) {
        self.publishConfirmTimeout = publishConfirmTimeout
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.virtualHost = virtualHost
        self.connectionName = connectionName
        self.heartbeat = heartbeat
        self.frameMax = frameMax
        self.channelMax = channelMax
        self.connectTimeout = connectTimeout
        self.reconnect = reconnect
        self.clientProperties = clientProperties
    }

    /// Parses `amqp://user:pass@host:port/vhost?heartbeat=10&frame_max=131072&channel_max=100&
    /// connection_timeout=5&connection_name=x&confirm_timeout=30000` (RabbitMQ URI spec; `confirm_timeout`, in ms, is ours). The vhost is percent-decoded (`%2F` is
    /// `/`); an absent or empty path means `/`. Missing parts keep the defaults. `amqps` is rejected: this
    /// client has no TLS.
    public init(url: String) throws(AMQPError) {
        self.init()
        var rest = Substring(url)
        guard let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") else {
            throw AMQPError(code: .invalidConfiguration, message: "not an AMQP URL: \(url)")
        }
        let scheme = rest[..<colon].lowercased()
        guard scheme == "amqp" else {
            throw AMQPError(code: .invalidConfiguration, message: "unsupported URL scheme '\(scheme)' (only amqp)")
        }
        rest = rest[colon...].dropFirst(3)
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                self.username = try percentDecode(userInfo[..<colon])
                self.password = try percentDecode(userInfo[userInfo.index(after: colon)...])
            } else {
                self.username = try percentDecode(userInfo)
            }
        }
        if rest.hasPrefix("[") {
            // IPv6 literal: [::1]:5672
            guard let close = rest.firstIndex(of: "]") else {
                throw AMQPError(code: .invalidConfiguration, message: "bad IPv6 host in \(url)")
            }
            self.host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if rest.hasPrefix(":") { self.port = try parsePort(rest.dropFirst(), url: url) }
        } else if let colon = rest.lastIndex(of: ":") {
            self.host = String(rest[..<colon])
            self.port = try parsePort(rest[rest.index(after: colon)...], url: url)
        } else if !rest.isEmpty {
            self.host = String(rest)
        }
        if let path, !path.isEmpty {
            self.virtualHost = try percentDecode(path)
        }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0])
            let value = parts.count > 1 ? try percentDecode(parts[1]) : ""
            switch key {
            case "heartbeat":
                guard let seconds = UInt16(value) else { throw badQuery(key, value) }
                self.heartbeat = .seconds(Int(seconds))
            case "frame_max":
                guard let frameMax = UInt32(value), frameMax >= 4096 else { throw badQuery(key, value) }
                self.frameMax = frameMax
            case "channel_max":
                guard let channelMax = UInt16(value) else { throw badQuery(key, value) }
                self.channelMax = channelMax
            case "connection_timeout":
                // RabbitMQ URI convention: milliseconds.
                guard let millis = Int(value) else { throw badQuery(key, value) }
                self.connectTimeout = .milliseconds(millis)
            case "confirm_timeout":
                // Candystore extension, milliseconds like connection_timeout; 0 waits without limit.
                guard let millis = Int(value), millis >= 0 else { throw badQuery(key, value) }
                self.publishConfirmTimeout = millis == 0 ? nil : .milliseconds(millis)
            case "connection_name":
                self.connectionName = value
            default:
                continue  // unknown parameters (e.g. TLS options) are ignored like other clients do
            }
        }
    }

    /// The connection parameters the handshake state machine needs.
    func handshakeParameters() -> ConnectionStateMachine.Parameters {
        var capabilities: AMQPTable = [
            "publisher_confirms": true,
            "consumer_cancel_notify": true,
            "basic.nack": true,
            "connection.blocked": true,
            "authentication_failure_close": true,
            "exchange_exchange_bindings": true,
        ]
        capabilities["per_consumer_qos"] = true
        var properties: AMQPTable = [
            "product": "candystore-amqp",
            "platform": "Swift",
            "version": "1.0",
            "capabilities": .table(capabilities),
        ]
        if let connectionName = self.connectionName {
            properties["connection_name"] = .string(connectionName)
        }
        for entry in self.clientProperties {
            properties[entry.key] = entry.value
        }
        return .init(
            username: self.username,
            password: self.password,
            virtualHost: self.virtualHost,
            clientProperties: properties,
            channelMax: self.channelMax,
            frameMax: max(self.frameMax, AMQPFrame.minimumFrameMax),
            heartbeat: UInt16(clamping: self.heartbeat.components.seconds)
        )
    }
}

private func badQuery(_ key: String, _ value: String) -> AMQPError {
    AMQPError(code: .invalidConfiguration, message: "invalid URL parameter \(key)=\(value)")
}

private func parsePort(_ text: Substring, url: String) throws(AMQPError) -> Int {
    guard let port = Int(text), (1...65535).contains(port) else {
        throw AMQPError(code: .invalidConfiguration, message: "invalid port in \(url)")
    }
    return port
}

private func percentDecode(_ text: Substring) throws(AMQPError) -> String {
    guard text.contains("%") else { return String(text) }
    var bytes: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
        if byte == UInt8(ascii: "%") {
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw AMQPError(code: .invalidConfiguration, message: "bad percent-encoding in '\(text)'")
            }
            bytes.append(high << 4 | low)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

extension Duration {
    var seconds: Double {
        let c = self.components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
