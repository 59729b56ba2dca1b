import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Minimal RabbitMQ management API access for integration tests (force-closing connections).
struct RabbitMQManagement {
    let baseURL: String
    let authorization: String

    init(url: String = TestEnvironment.managementURL) throws {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw ManagementError(message: "bad management URL \(url)")
        }
        let user = components.user ?? "guest"
        let password = components.password ?? "guest"
        self.baseURL = "\(components.scheme ?? "http")://\(host):\(components.port ?? 15672)"
        self.authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    struct ManagementError: Error {
        var message: String
    }

    func request(delete: Bool = false, _ path: String) async throws -> (UInt, Data) {
        var request = HTTPClientRequest(url: self.baseURL + path)
        if delete { request.method = .DELETE }
        request.headers.add(name: "Authorization", value: self.authorization)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (response.status.code, Data(body.readableBytesView))
    }

    /// The broker-side name of the connection whose client-provided name is `connectionName`.
    func connectionName(clientProvidedName connectionName: String) async throws -> String? {
        let (status, data) = try await self.request("/api/connections")
        guard status == 200, let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw ManagementError(message: "GET /api/connections answered \(status)")
        }
        for connection in list {
            let properties = connection["client_properties"] as? [String: Any]
            if properties?["connection_name"] as? String == connectionName
                || connection["user_provided_name"] as? String == connectionName
            {
                return connection["name"] as? String
            }
        }
        return nil
    }

    /// Waits until the management API lists the connection (its stats arrive every few seconds).
    func waitForConnection(clientProvidedName: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let name = try await self.connectionName(clientProvidedName: clientProvidedName) { return name }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ManagementError(message: "connection \(clientProvidedName) never appeared in the management API")
    }

    /// The heartbeat interval (seconds) the broker negotiated for a connection.
    func heartbeatTimeout(connectionNamed name: String) async throws -> Int? {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        let (status, data) = try await self.request("/api/connections/\(encoded)")
        guard status == 200, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ManagementError(message: "GET /api/connections/{name} answered \(status)")
        }
        return object["timeout"] as? Int
    }

    /// Force-closes a connection (the broker sends connection.close 320 CONNECTION_FORCED).
    func closeConnection(named name: String) async throws {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        let (status, _) = try await self.request(delete: true, "/api/connections/\(encoded)")
        guard (200..<300).contains(status) else {
            throw ManagementError(message: "DELETE /api/connections answered \(status)")
        }
    }
}
