public import BloodbankModel
public import EventStoreQueries
public import Hummingbird
import NIOCore

/// The one error type of the API module: an HTTP status plus the JSON body `{"error":{"code","message"}}`.
///
/// Handlers throw it (or ``EventStoreQueries/EventQueryError``, which ``ErrorMiddleware`` maps), so every
/// failure, including unknown routes, reaches the client as JSON and bad input is never a 500.
public struct APIError: HTTPResponseError, CustomStringConvertible, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable snake_case code (`invalid_parameter`, `not_found`, `unauthorized`, …).
    public var code: String
    /// A sentence for humans; for a bad parameter it starts with the parameter's name.
    public var message: String
    /// Extra response headers (`Allow` on a 405).
    public var headers: HTTPFields

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// A 404 for a missing resource.
    public static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    /// A 400 naming the parameter.
    public static func invalidParameter(_ name: String, _ reason: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", message: "\(name): \(reason)")
    }

    /// Maps a query error: invalid parameter → 400, inconsistent range → 422, not found → 404,
    /// database trouble → 503, anything else → 500.
    public init(_ error: EventQueryError) {
        switch error.code {
        case .invalidParameter: self.init(.badRequest, code: error.code.description, message: error.message)
        case .invalidRange: self.init(.unprocessableContent, code: error.code.description, message: error.message)
        case .notFound: self.init(.notFound, code: error.code.description, message: error.message)
        case .databaseUnavailable:
            self.init(.serviceUnavailable, code: error.code.description, message: "the event store is unavailable")
        default: self.init(.internalServerError, code: error.code.description, message: error.message)
        }
    }

    /// `{"error":{"code":…,"message":…}}`.
    public var jsonValue: JSONValue {
        .object(["error": .object(["code": .string(code), "message": .string(message)])])
    }

    /// Builds the JSON response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(jsonValue, status: status, headers: headers)
    }

    /// `status code: message`.
    public var description: String { "\(status.code) \(code): \(message)" }
}

/// JSON response construction.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        make(bytes: value.encodedBytes(), status: status, headers: headers)
    }

    static func make(bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
