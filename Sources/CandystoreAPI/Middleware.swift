import EventStoreQueries
import Foundation
import Hummingbird
import Logging
import Prometheus

/// Turns every thrown error into the JSON error body, so clients never see an HTML or empty error page.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return JSONResponse.make(error.jsonValue, status: error.status, headers: error.headers)
        } catch let error as EventQueryError {
            let apiError = APIError(error)
            if apiError.status.code >= 500 {
                context.logger.error("query failed", metadata: ["error": "\(error)"])
            }
            return JSONResponse.make(apiError.jsonValue, status: apiError.status)
        } catch let error as HTTPError {
            let code: String
            switch error.status {
            case .notFound: code = "not_found"
            case .methodNotAllowed: code = "method_not_allowed"
            case .badRequest: code = "bad_request"
            default: code = "http_\(error.status.code)"
            }
            let message =
                error.body
                ?? (error.status == .notFound
                    ? "no route for \(request.method) \(request.uri.path)"
                    : error.status.reasonPhrase)
            var response = JSONResponse.make(
                APIError(error.status, code: code, message: message).jsonValue, status: error.status)
            response.headers.append(contentsOf: error.headers)
            return response
        } catch let error as any HTTPResponseError {
            return JSONResponse.make(
                APIError(error.status, code: "http_\(error.status.code)", message: error.status.reasonPhrase).jsonValue,
                status: error.status)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return JSONResponse.make(
                APIError(.internalServerError, code: "internal_error", message: "internal error").jsonValue,
                status: .internalServerError)
        }
    }
}

/// Bearer-token check: when a token is configured, everything but `/health` (and CORS preflights, which
/// browsers send without credentials) needs `Authorization: Bearer <token>`. WebSocket clients in browsers
/// cannot set headers, so the stream also accepts `?access_token=`.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if request.uri.path == "/health" || request.method == .options {
            return try await next(request, context)
        }
        try APIAuthorization.check(
            authorization: request.headers[.authorization], path: request.uri.path,
            accessToken: { request.uri.queryParameters.get("access_token") }, token: token)
        return try await next(request, context)
    }

    /// Compares without an early exit, so response timing does not reveal how much of the token matched.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        APIAuthorization.constantTimeEquals(lhs, rhs)
    }
}

/// The bearer-token rule, shared by the middleware and the WebSocket-upgrade guard (``HTTPGuardHandler``).
enum APIAuthorization {
    /// The 401 every route answers without the right token.
    static let unauthorized = APIError(
        .unauthorized, code: "unauthorized",
        message: "Authorization: Bearer <API_TOKEN> is required for this endpoint")

    /// Throws ``unauthorized`` unless `authorization` is exactly `Bearer <token>` (scheme spelled so, one
    /// space, nothing after the token), or, on the stream only and without a header, `access_token` is the token
    /// (browsers cannot set headers on a WebSocket).
    static func check(
        authorization: String?, path: String, accessToken: () -> String?, token: [UInt8]
    ) throws(APIError) {
        let presented: String?
        if let authorization {
            presented = authorization.hasPrefix("Bearer ") ? String(authorization.dropFirst(7)) : nil
        } else if path == APIEndpoint.streamEvents.path {
            presented = accessToken()
        } else {
            presented = nil
        }
        guard let presented, constantTimeEquals(Array(presented.utf8), token) else { throw unauthorized }
    }

    /// Compares without an early exit, so response timing does not reveal how much of the token matched.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            let a = index < lhs.count ? lhs[index] : 0
            let b = index < rhs.count ? rhs[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}

/// CORS for a configured list of origins (Hummingbird's `CORSMiddleware` allows one fixed origin or all).
struct CORSListMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>
    let allowsAny: Bool

    init(origins: [String]) {
        self.origins = Set(origins)
        self.allowsAny = origins.contains("*")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let origin = request.headers[.origin], allowsAny || origins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [:]
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlExposeHeaders] = "X-Total-Count, Link"
        response.headers[.vary] = "Origin"
        return response
    }
}

/// Records a request-latency histogram per route template (`/api/v1/events/{id}`, not the concrete path, to
/// keep label cardinality bounded), method and status.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        registry.makeDurationHistogram(
            descriptor: requestDurationDescriptor(),
            labels: [
                ("method", request.method.rawValue), ("route", route), ("status", String(response.status.code)),
            ],
            buckets: requestDurationBuckets
        ).record(ContinuousClock.now - start)
        return response
    }
}

/// `candystore_api_request_duration_seconds` (a function: the descriptor type is not `Sendable`).
func requestDurationDescriptor() -> MetricNameDescriptor {
    MetricNameDescriptor(
        namespace: "candystore", subsystem: "api", metricName: "request_duration", unitName: "seconds",
        helpText: "HTTP request latency by route template, method and status.")
}

/// Latency buckets from 1 ms to 5 s.
let requestDurationBuckets: [Duration] = [
    .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
    .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
    .seconds(5),
]

/// Methods an API path does not serve: `OPTIONS` gets `204` with `Allow`, anything else `405 Method Not Allowed`
/// with `Allow` (RFC 9110). Without it the router would answer `404` for a path that exists. Unknown paths still
/// get the router's `404`. Paths and methods come from the endpoint descriptors (``APIEndpoint/all``), the same
/// ones the router registers; HEAD is allowed wherever GET is (the router answers it like GET, without a body).
struct MethodMiddleware<Context: RequestContext>: RouterMiddleware {
    /// A route template split into segments, with the methods it serves.
    struct Template: Sendable {
        let segments: [Substring]
        let methods: Set<HTTPRequest.Method>
        /// The `Allow` header value.
        let allow: String
    }

    /// The API's path templates (`/api/v1/events/{event_id}`).
    let templates: [Template]

    init(endpoints: [APIEndpoint]) {
        var methods: [String: Set<HTTPRequest.Method>] = [:]
        var order: [String] = []
        for endpoint in endpoints {
            if methods[endpoint.path] == nil { order.append(endpoint.path) }
            methods[endpoint.path, default: []].insert(endpoint.method)
        }
        templates = order.map { path in
            var served = methods[path] ?? []
            if served.contains(.get) { served.insert(.head) }
            served.insert(.options)
            let canonical: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]
            let listed =
                canonical.filter(served.contains)
                + served.subtracting(canonical).sorted { $0.rawValue < $1.rawValue }
            return Template(
                segments: path.split(separator: "/", omittingEmptySubsequences: false), methods: served,
                allow: listed.map(\.rawValue).joined(separator: ", "))
        }
    }

    /// The template `path` matches (`{…}` segments match any non-empty segment).
    func template(for path: String) -> Template? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return templates.first { template in
            template.segments.count == segments.count
                && zip(template.segments, segments).allSatisfy { pattern, segment in
                    pattern.hasPrefix("{") ? !segment.isEmpty : pattern == segment
                }
        }
    }

    /// Whether `path` matches a template.
    func isKnown(_ path: String) -> Bool { template(for: path) != nil }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let template = template(for: request.uri.path),
            request.method == .options || !template.methods.contains(request.method)
        else {
            return try await next(request, context)
        }
        if request.method == .options {
            return Response(status: .noContent, headers: [.allow: template.allow])
        }
        let usable = template.methods.subtracting([.head, .options]).map(\.rawValue).sorted()
        throw APIError(
            .methodNotAllowed, code: "method_not_allowed",
            message:
                "\(request.method) is not allowed on \(request.uri.path); use \(APIParameter.alternatives(usable))",
            headers: [.allow: template.allow])
    }
}
