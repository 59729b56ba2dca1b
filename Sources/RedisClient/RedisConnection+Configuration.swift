import NIOCore

extension RedisConnection {
    /// Where and how to connect; every field has a documented default except the host.
    public struct Configuration: Sendable {
        /// Host name or IP address of the Redis server.
        public var host: String
        /// TCP port. Defaults to 6379.
        public var port: Int
        /// ACL user name for `AUTH user password` (Redis 6+); `nil` uses the legacy `AUTH password` form.
        public var username: String?
        /// Password sent with `AUTH` right after connecting; `nil` skips `AUTH`.
        public var password: String?
        /// Database index sent with `SELECT` after connecting when not 0. Pub/sub ignores it (channels are global).
        public var database: Int
        /// Name announced with `CLIENT SETNAME`, visible in `CLIENT LIST`; `nil` skips it.
        public var clientName: String?
        /// Upper bound for TCP connect plus the `AUTH`/`SELECT` handshake. Defaults to 5 seconds.
        public var connectTimeout: Duration
        /// Upper bound for the reply to each command; on expiry the connection is closed. Defaults to 5 seconds.
        public var commandTimeout: Duration
        /// Bounds on what the server may make us buffer.
        public var decoderLimits: RESPDecoder.Limits

        /// Creates a configuration from its parts.
        public init(
            host: String,
            port: Int = 6379,
            username: String? = nil,
            password: String? = nil,
            database: Int = 0,
            clientName: String? = nil,
            connectTimeout: Duration = .seconds(5),
            commandTimeout: Duration = .seconds(5),
            decoderLimits: RESPDecoder.Limits = .init()
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.clientName = clientName
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.decoderLimits = decoderLimits
        }

        /// Parses `redis://[[user]:password@]host[:port][/database]`.
        ///
        /// `redis://:secret@host` and `redis://secret@host` set only a password; `redis://user:secret@host` sets
        /// both. User and password may be percent-encoded. IPv6 hosts go in brackets. TLS (`rediss://`) and unix
        /// sockets are not supported and throw ``RedisClientError/Code/invalidConfiguration``.
        public init(url: String) throws {
            func invalid(_ reason: String) -> RedisClientError {
                RedisClientError(code: .invalidConfiguration, message: "Invalid Redis URL: \(reason)")
            }
            guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else {
                throw invalid("missing scheme")
            }
            let scheme = url[..<colon].lowercased()
            guard scheme == "redis" else {
                throw invalid("unsupported scheme \"\(scheme)\", only redis:// is supported")
            }
            var rest = url[url.index(colon, offsetBy: 3)...]
            if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
                rest = rest[..<query]
            }
            let authority: Substring
            var path: Substring = ""
            if let slash = rest.firstIndex(of: "/") {
                authority = rest[..<slash]
                path = rest[rest.index(after: slash)...]
            } else {
                authority = rest
            }

            var username: String?
            var password: String?
            var hostPort = authority
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                hostPort = authority[authority.index(after: at)...]
                if let colon = userInfo.firstIndex(of: ":") {
                    let user = userInfo[..<colon]
                    username = user.isEmpty ? nil : try Self.percentDecode(user).orThrow(invalid("bad user name"))
                    password = try Self.percentDecode(userInfo[userInfo.index(after: colon)...])
                        .orThrow(invalid("bad password encoding"))
                } else if !userInfo.isEmpty {
                    password = try Self.percentDecode(userInfo).orThrow(invalid("bad password encoding"))
                }
            }

            var host: Substring
            var portText: Substring?
            if hostPort.hasPrefix("[") {
                guard let close = hostPort.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
                host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
                let after = hostPort[hostPort.index(after: close)...]
                if after.hasPrefix(":") {
                    portText = after.dropFirst()
                } else if !after.isEmpty {
                    throw invalid("unexpected text after IPv6 address")
                }
            } else if let colon = hostPort.lastIndex(of: ":") {
                host = hostPort[..<colon]
                portText = hostPort[hostPort.index(after: colon)...]
            } else {
                host = hostPort
            }
            guard !host.isEmpty else { throw invalid("missing host") }

            var port = 6379
            if let portText, !portText.isEmpty {
                guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                    throw invalid("bad port \"\(portText)\"")
                }
                port = parsed
            }
            var database = 0
            if !path.isEmpty {
                guard let parsed = Int(path), parsed >= 0 else { throw invalid("bad database \"\(path)\"") }
                database = parsed
            }
            self.init(host: String(host), port: port, username: username, password: password, database: database)
        }

        private static func percentDecode(_ text: Substring) -> String? {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.utf8.count)
            var iterator = text.utf8.makeIterator()
            while let byte = iterator.next() {
                if byte == UInt8(ascii: "%") {
                    guard let high = iterator.next().flatMap(Self.hexValue),
                        let low = iterator.next().flatMap(Self.hexValue)
                    else { return nil }
                    bytes.append(high << 4 | low)
                } else {
                    bytes.append(byte)
                }
            }
            return String(validating: bytes, as: UTF8.self)
        }

        private static func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
    }
}

extension Optional {
    fileprivate func orThrow(_ error: @autoclosure () -> some Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}
