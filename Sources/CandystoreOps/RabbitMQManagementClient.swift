public import AsyncHTTPClient
public import Bloodbank
import CandystoreConfig
import Foundation
import NIOCore
import NIOHTTP1

/// A small client for the RabbitMQ management HTTP API: declares and inspects the Bloodbank topology,
/// and lists or force-closes connections (outage tests, operations).
public struct RabbitMQManagementClient: Sendable {
    /// A queue as the broker reports it.
    public struct QueueInfo: Sendable, Equatable {
        /// Queue name.
        public var name: String
        /// Whether it is durable.
        public var durable: Bool
        /// Its `x-…` arguments.
        public var arguments: [String: BloodbankTopology.Argument]
        /// Ready + unacknowledged messages, when the broker has computed it.
        public var messages: Int?
        /// Number of consumers.
        public var consumers: Int?
    }

    /// An exchange as the broker reports it.
    public struct ExchangeInfo: Sendable, Equatable {
        /// Exchange name.
        public var name: String
        /// Exchange type.
        public var type: String
        /// Whether it is durable.
        public var durable: Bool
    }

    /// A client connection as the broker reports it.
    public struct ConnectionInfo: Sendable, Equatable {
        /// The broker's name for the connection (used to close it).
        public var name: String
        /// The `connection_name` client property, when the client set one.
        public var clientProvidedName: String?
    }

    /// A failed management call: the HTTP status and the broker's reason.
    public struct ManagementError: Error, CustomStringConvertible, Sendable {
        /// HTTP status, 0 when the broker could not be reached.
        public var status: Int
        /// The broker's reason or the transport error.
        public var message: String

        /// `HTTP <status>: <message>`.
        public var description: String { status == 0 ? message : "HTTP \(status): \(message)" }
    }

    private let baseURL: String
    private let authorization: String?
    private let vhost: String
    private let httpClient: HTTPClient

    /// Creates a client for `url` (`http://user:pass@host:port`); `vhost` defaults to `/`.
    public init(url: String, vhost: String = "/", httpClient: HTTPClient = .shared) throws {
        guard var components = URLComponents(string: url), components.host != nil else {
            throw ConfigurationError("RABBITMQ_MANAGEMENT_URL '\(url)' is not a URL")
        }
        if let user = components.user {
            let password = components.password ?? ""
            let credentials = "\(user.removingPercentEncoding ?? user):\(password.removingPercentEncoding ?? password)"
            authorization = "Basic " + Data(credentials.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
        components.user = nil
        components.password = nil
        components.path = ""
        self.baseURL = components.string ?? url
        self.vhost = vhost
        self.httpClient = httpClient
    }

    // MARK: Topology

    /// Declares every exchange, queue and binding of `topology` (idempotent; fails on inequivalent arguments).
    public func declare(_ topology: BloodbankTopology) async throws {
        for exchange in topology.exchanges {
            try await send(
                .PUT, "/api/exchanges/\(escaped(vhost))/\(escaped(exchange.name))",
                body: ["type": exchange.type, "durable": exchange.durable, "auto_delete": false, "internal": false])
        }
        for queue in topology.queues {
            let arguments = queue.arguments.mapValues { argument -> Any in
                switch argument {
                case .string(let value): return value
                case .int(let value): return value
                }
            }
            try await send(
                .PUT, "/api/queues/\(escaped(vhost))/\(escaped(queue.name))",
                body: ["durable": queue.durable, "auto_delete": false, "arguments": arguments])
            for binding in queue.bindings {
                try await send(
                    .POST, "/api/bindings/\(escaped(vhost))/e/\(escaped(binding.exchange))/q/\(escaped(queue.name))",
                    body: ["routing_key": binding.routingKey, "arguments": [String: Any]()])
            }
        }
    }

    /// The exchange named `name`, or nil when it does not exist.
    public func exchange(named name: String) async throws -> ExchangeInfo? {
        guard let object = try await getObject("/api/exchanges/\(escaped(vhost))/\(escaped(name))") else { return nil }
        return ExchangeInfo(
            name: object["name"] as? String ?? name,
            type: object["type"] as? String ?? "",
            durable: object["durable"] as? Bool ?? false)
    }

    /// The queue named `name`, or nil when it does not exist.
    public func queue(named name: String) async throws -> QueueInfo? {
        guard let object = try await getObject("/api/queues/\(escaped(vhost))/\(escaped(name))") else { return nil }
        var arguments: [String: BloodbankTopology.Argument] = [:]
        for (key, value) in object["arguments"] as? [String: Any] ?? [:] {
            if let number = value as? NSNumber, !(value is String) {
                arguments[key] = .int(number.int64Value)
            } else {
                arguments[key] = .string("\(value)")
            }
        }
        return QueueInfo(
            name: object["name"] as? String ?? name,
            durable: object["durable"] as? Bool ?? false,
            arguments: arguments,
            messages: object["messages"] as? Int,
            consumers: object["consumers"] as? Int)
    }

    /// The bindings whose destination is the queue `name` (excluding the default exchange's implicit one).
    public func bindings(ofQueue name: String) async throws -> [BloodbankTopology.Binding] {
        let (status, data) = try await request(.GET, "/api/queues/\(escaped(vhost))/\(escaped(name))/bindings")
        guard status == 200 else {
            throw ManagementError(status: status, message: String(decoding: data, as: UTF8.self))
        }
        let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
        return list.compactMap { entry in
            guard let source = entry["source"] as? String, !source.isEmpty else { return nil }
            return BloodbankTopology.Binding(exchange: source, routingKey: entry["routing_key"] as? String ?? "")
        }
    }

    /// Deletes a queue (tests and operations); a missing queue is not an error.
    public func deleteQueue(named name: String) async throws {
        let (status, data) = try await request(.DELETE, "/api/queues/\(escaped(vhost))/\(escaped(name))")
        guard status == 204 || status == 404 || status == 200 else {
            throw ManagementError(status: status, message: String(decoding: data, as: UTF8.self))
        }
    }

    /// Deletes an exchange (tests and operations); a missing exchange is not an error.
    public func deleteExchange(named name: String) async throws {
        let (status, data) = try await request(.DELETE, "/api/exchanges/\(escaped(vhost))/\(escaped(name))")
        guard status == 204 || status == 404 || status == 200 else {
            throw ManagementError(status: status, message: String(decoding: data, as: UTF8.self))
        }
    }

    /// Removes every ready message from a queue.
    public func purgeQueue(named name: String) async throws {
        let (status, data) = try await request(.DELETE, "/api/queues/\(escaped(vhost))/\(escaped(name))/contents")
        guard status == 204 || status == 200 else {
            throw ManagementError(status: status, message: String(decoding: data, as: UTF8.self))
        }
    }

    // MARK: Connections

    /// Every client connection on the broker.
    public func connections() async throws -> [ConnectionInfo] {
        let (status, data) = try await request(.GET, "/api/connections")
        guard status == 200 else {
            throw ManagementError(status: status, message: String(decoding: data, as: UTF8.self))
        }
        let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
        return list.compactMap { entry in
            guard let name = entry["name"] as? String else { return nil }
            let properties = entry["client_properties"] as? [String: Any]
            return ConnectionInfo(name: name, clientProvidedName: properties?["connection_name"] as? String)
        }
    }

    /// Force-closes a client connection (the client sees CONNECTION_FORCED, 320).
    public func closeConnection(named name: String, reason: String = "closed by candystore") async throws {
        let (status, data) = try await request(
            .DELETE, "/api/connections/\(escaped(name))", headers: ["X-Reason": reason])
        guard status == 204 || status == 200 || status == 404 else {
            throw ManagementError(status: status, message: String(decoding: data, as: UTF8.self))
        }
    }

    /// GET `/api/overview`: succeeds when the management API answers.
    public func overview() async throws -> [String: any Sendable] {
        guard let object = try await getObject("/api/overview") else {
            throw ManagementError(status: 404, message: "no overview")
        }
        return ["rabbitmq_version": object["rabbitmq_version"] as? String ?? "unknown"]
    }

    // MARK: HTTP

    private func escaped(_ segment: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    private func getObject(_ path: String) async throws -> [String: Any]? {
        let (status, data) = try await request(.GET, path)
        if status == 404 { return nil }
        guard status == 200 else {
            throw ManagementError(status: status, message: String(decoding: data, as: UTF8.self))
        }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: body)
        let (status, response) = try await request(method, path, body: data)
        guard (200..<300).contains(status) else {
            let text = String(decoding: response, as: UTF8.self)
            let reason = ((try? JSONSerialization.jsonObject(with: response)) as? [String: Any])?["reason"] as? String
            throw ManagementError(status: status, message: "\(method) \(path): \(reason ?? text)")
        }
    }

    private func request(
        _ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [String: String] = [:]
    ) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(10))
            let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
            return (Int(response.status.code), Data(buffer.readableBytesView))
        } catch let error as ManagementError {
            throw error
        } catch {
            throw ManagementError(status: 0, message: "RabbitMQ management API at \(baseURL) unreachable: \(error)")
        }
    }
}
