import Foundation

extension LettaClient {
    /// How to reach a Letta server and which models new agents get by default.
    public struct Configuration: Sendable {
        /// How the client proves who it is.
        public enum Authorization: Sendable, Hashable {
            /// `Authorization: Bearer <token>`: a Letta Cloud API key, or the password of a server started
            /// with `--secure` (Letta accepts it either way).
            case bearer(String)
            /// `X-BARE-PASSWORD: password <password>`: the other header a `--secure` server accepts.
            case password(String)
        }

        /// The server's base URL without `/v1`, e.g. `http://127.0.0.1:8283`.
        public var baseURL: String
        /// Credentials, or nil for an open local server.
        public var authorization: Authorization?
        /// Deadline for ordinary calls (health, agents, memory). Default 30 s.
        public var requestTimeout: Duration
        /// Deadline for ``LettaClient/sendMessage(agentID:text:)``, which waits for the whole agent turn
        /// (one or more model calls). Default 300 s.
        public var messageTimeout: Duration
        /// TCP connect timeout of the HTTP client that ``LettaClient/withClient(configuration:logger:_:)``
        /// creates. Default 5 s.
        public var connectTimeout: Duration
        /// The model configuration for agents created without one.
        public var defaultLLMConfig: LettaLLMConfig
        /// The embedding configuration for agents created without one.
        public var defaultEmbeddingConfig: LettaEmbeddingConfig
        /// Extra headers sent with every request (e.g. `X-Project` on Letta Cloud).
        public var additionalHeaders: [String: String]
        /// Largest response body accepted, so a misbehaving server cannot exhaust memory. Default 32 MiB.
        public var maxResponseBytes: Int
        /// Whether connections are kept alive for later calls. Default false: every call sends
        /// `Connection: close`. Letta's server (uvicorn) drops the connection after an unhandled error (for
        /// example a failed model call) without announcing it, so a pooled connection makes the *next* call fail
        /// with a reset; a fresh connection per call costs a handshake, negligible next to an agent turn.
        public var reuseConnections: Bool

        /// Creates a configuration; model defaults point at the local stack's model stub.
        public init(
            baseURL: String = "http://127.0.0.1:8283",
            authorization: Authorization? = nil,
            requestTimeout: Duration = .seconds(30),
            messageTimeout: Duration = .seconds(300),
            connectTimeout: Duration = .seconds(5),
            defaultLLMConfig: LettaLLMConfig = .modelStub(),
            defaultEmbeddingConfig: LettaEmbeddingConfig = .modelStub(),
            additionalHeaders: [String: String] = [:],
            maxResponseBytes: Int = 32 * 1024 * 1024,
            reuseConnections: Bool = false
        ) {
            self.baseURL = baseURL
            self.authorization = authorization
            self.requestTimeout = requestTimeout
            self.messageTimeout = messageTimeout
            self.connectTimeout = connectTimeout
            self.defaultLLMConfig = defaultLLMConfig
            self.defaultEmbeddingConfig = defaultEmbeddingConfig
            self.additionalHeaders = additionalHeaders
            self.maxResponseBytes = maxResponseBytes
            self.reuseConnections = reuseConnections
        }

        /// Checks what can be checked before any request: an http(s) base URL with a host, positive limits.
        public func validate() throws(LettaClientError) {
            guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
            else {
                throw LettaClientError(
                    code: .invalidConfiguration,
                    message: "the Letta base URL must be an http(s) URL with a host, not '\(baseURL)'"
                )
            }
            guard requestTimeout > .zero, messageTimeout > .zero, connectTimeout > .zero, maxResponseBytes > 0 else {
                throw LettaClientError(code: .invalidConfiguration, message: "timeouts and limits must be positive")
            }
        }

        /// The headers every request carries: JSON, credentials, extras.
        var headers: [(name: String, value: String)] {
            var headers: [(name: String, value: String)] = [("Accept", "application/json")]
            if !reuseConnections { headers.append(("Connection", "close")) }
            switch authorization {
            case .bearer(let token): headers.append(("Authorization", "Bearer \(token)"))
            case .password(let password): headers.append(("X-BARE-PASSWORD", "password \(password)"))
            case nil: break
            }
            for (name, value) in additionalHeaders.sorted(by: { $0.key < $1.key }) {
                headers.append((name, value))
            }
            return headers
        }
    }
}
