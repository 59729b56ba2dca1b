import ArgumentParser
import AsyncHTTPClient
import BloodbankModel
import Foundation
import NIOCore
import NIOHTTP1

/// `--api URL`, shared by every command that reads the Event Store API.
struct APIOptions: ParsableArguments {
    @Option(
        name: .customLong("api"),
        help: "Event Store API base URL (default CANDYSTORE_API_URL, else http://API_HOST:API_PORT; token: API_TOKEN).")
    var url: String?

    /// The settings with `--api` applied.
    func settings() throws -> ClientSettings {
        var settings = try ClientSettings.load()
        if let url {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ValidationError("--api must be an http(s) URL such as http://127.0.0.1:8088, got '\(url)'")
            }
            settings.apiBaseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        return settings
    }

    /// A client of the API these options name.
    func client() throws -> APIClient {
        let settings = try settings()
        return APIClient(baseURL: settings.apiBaseURL, token: settings.apiToken)
    }
}

/// The Event Store API over HTTP (AsyncHTTPClient): GET requests with the bearer token, and every failure turned
/// into one ``CommandFailure`` line that names what to fix (API down, wrong token, bad parameter, database down).
struct APIClient: Sendable {
    /// Base URL without a trailing slash.
    let baseURL: String
    /// `API_TOKEN`, sent as `Authorization: Bearer …` when set.
    let token: String?

    /// One answer.
    struct Response: Sendable {
        /// HTTP status code.
        var status: Int
        /// The body's bytes.
        var body: [UInt8]
        /// Response headers.
        var headers = HTTPHeaders()

        /// The body parsed as JSON (`nil` when it is not JSON).
        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    /// The WebSocket URL of the live stream (`ws://…/api/v1/events/stream`).
    var streamURL: String {
        var url = baseURL
        if url.hasPrefix("https://") {
            url = "wss://" + url.dropFirst("https://".count)
        } else if url.hasPrefix("http://") {
            url = "ws://" + url.dropFirst("http://".count)
        }
        return url + "/api/v1/events/stream"
    }

    /// Fails fast (3 s) with a clear line when nothing answers at the base URL. AsyncHTTPClient retries a refused
    /// connection until the request's deadline, so without this a down API would look like a long hang.
    func checkReachable() async throws {
        do {
            _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/health"), timeout: .seconds(3))
        } catch {
            throw unreachable(error)
        }
    }

    /// `GET path` (path and query, starting with `/`); a transport failure is a ``CommandFailure``, any status
    /// is returned.
    func get(_ path: String, timeoutSeconds: Int64 = 30) async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        if let token, !token.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/json")
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeoutSeconds))
            let buffer = try await response.body.collect(upTo: 256 << 20)
            return Response(
                status: Int(response.status.code), body: Array(buffer.readableBytesView), headers: response.headers)
        } catch {
            throw unreachable(error)
        }
    }

    /// `GET path` that must succeed: 200 → the response; 404 → `nil` when `allowNotFound`, else the API's
    /// message; anything else → ``failure(_:path:)``.
    func fetch(_ path: String, allowNotFound: Bool = false) async throws -> Response? {
        let response = try await get(path)
        switch response.status {
        case 200: return response
        case 404 where allowNotFound: return nil
        default: throw failure(response, path: path)
        }
    }

    /// The JSON of `GET path` (see ``fetch(_:allowNotFound:)``).
    func json(_ path: String, allowNotFound: Bool = false) async throws -> JSONValue? {
        guard let response = try await fetch(path, allowNotFound: allowNotFound) else { return nil }
        guard let json = response.json else {
            throw CommandFailure("the Event Store API answered GET \(path) with a body that is not JSON")
        }
        return json
    }

    /// One line for an unsuccessful answer, naming what to fix.
    func failure(_ response: Response, path: String) -> CommandFailure {
        let message = response.json?["error"]?["message"]?.stringValue
        switch response.status {
        case 401:
            return CommandFailure(
                "the Event Store API at \(baseURL) refused the token (HTTP 401): set API_TOKEN (environment or .env) "
                    + "to the API's token")
        case 400, 422:
            return CommandFailure("the Event Store API rejected the request: \(message ?? "HTTP \(response.status)")")
        case 404:
            return CommandFailure(message ?? "not found: \(path)")
        case 503:
            return CommandFailure(
                "the Event Store API at \(baseURL) cannot reach its database (HTTP 503): "
                    + "\(message ?? "service unavailable") — is PostgreSQL up? (scripts/dev status)")
        default:
            return CommandFailure(
                "the Event Store API answered GET \(path) with HTTP \(response.status)"
                    + (message.map { ": \($0)" } ?? ""))
        }
    }

    /// The line for a transport failure.
    func unreachable(_ error: any Error) -> CommandFailure {
        CommandFailure(
            "the Event Store API at \(baseURL) is not reachable (\(Self.describe(error))) — is it running? "
                + "(scripts/dev up; scripts/service status api) or pass --api URL")
    }

    /// A short description of a transport error.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("deadlineExceeded") { return "no answer in time" }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text.count > 160 ? String(text.prefix(159)) + "…" : text
    }

    /// The highest stored position (0 when the store is empty).
    func maxPosition() async throws -> Int64 {
        let page = try await json("/api/v1/events?order=desc&limit=1")
        return page?.arrayValue?.first?["position"]?.numberValue?.int64Value ?? 0
    }

    /// A stored event, or `nil` when the id is unknown.
    func event(_ id: UUID) async throws -> Response? {
        try await fetch("/api/v1/events/\(BloodbankUUID.format(id))", allowNotFound: true)
    }
}

/// Percent-encodes a query value (unreserved characters stay).
func queryValue(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~*")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// `?a=1&b=2` from the non-nil items (empty string when none).
func queryString(_ items: [(String, String?)]) -> String {
    let present = items.compactMap { name, value in value.map { "\(name)=\(queryValue($0))" } }
    return present.isEmpty ? "" : "?" + present.joined(separator: "&")
}

/// Output formats (`-o`).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case pretty, json, raw, table, tree, dot, mermaid
}
