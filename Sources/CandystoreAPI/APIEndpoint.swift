import BloodbankModel
import Hummingbird

/// One response of an operation: status, description, body schema, headers and links.
struct APIResponse: Sendable {
    /// A response header.
    struct Header: Sendable {
        /// The header name.
        let name: String
        /// One sentence.
        let description: String
        /// `integer` or `string`.
        let type: String
    }

    /// A link to another operation, fed from this response (OpenAPI runtime expressions).
    struct Link: Sendable {
        /// The link's name.
        let name: String
        /// The target operation.
        let operationID: String
        /// Target parameter → runtime expression (`$response.body#/workflow_id`).
        let parameters: [(String, String)]
        /// Optional sentence.
        var description: String? = nil
    }

    /// The HTTP status code.
    let status: Int
    /// One sentence.
    let description: String
    /// The media type of the body, when there is one.
    var contentType: String? = "application/json"
    /// The body's JSON Schema (usually a `$ref` into the document's component schemas).
    var schema: JSONValue? = nil
    /// Response headers.
    var headers: [Header] = []
    /// Links to other operations.
    var links: [Link] = []

    /// A JSON body described by `schema`.
    static func json(_ status: Int, _ description: String, _ schema: JSONValue, links: [Link] = []) -> APIResponse {
        APIResponse(status: status, description: description, schema: schema, links: links)
    }

    /// `{"$ref": "#/components/schemas/<name>"}`.
    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    /// An array of component `name`.
    static func arrayOf(_ name: String) -> JSONValue { ["type": "array", "items": ref(name)] }

    /// An error with the JSON error body.
    static func error(_ status: Int, _ description: String) -> APIResponse {
        json(status, description, ref("Error"))
    }

    /// 400.
    static let badRequest = error(400, "A parameter is malformed or out of range; the message names the parameter.")
    /// 401.
    static let unauthorized = error(
        401, "API_TOKEN is set and the request has no valid `Authorization: Bearer` header.")
    /// 404.
    static let notFound = error(404, "Not found.")
    /// 422.
    static let unprocessable = error(
        422, "Parameters are well-formed but inconsistent (e.g. end_time before start_time).")
    /// 426.
    static let upgradeRequired = error(
        426, "A plain HTTP request without a WebSocket upgrade (`Upgrade: websocket`).")
    /// 503.
    static let unavailable = error(503, "The event store (PostgreSQL) is unavailable.")

    /// `X-Total-Count` and `Link` of a listing.
    static let pageHeaders: [Header] = [
        Header(
            name: "X-Total-Count", description: "Total matching items, ignoring pagination (only with count=true).",
            type: "integer"),
        Header(name: "Link", description: "`<…&after=N>; rel=\"next\"` when the page is full.", type: "string"),
    ]
}

/// One operation of the API: the single description the router registers, the OpenAPI document describes,
/// the `/docs` page lists and the 405 handling consults. Adding an endpoint means adding one of these to
/// ``APIEndpoint/all`` and registering its handler with `router.add(_:)` (see docs/api.md).
struct APIEndpoint: Sendable {
    /// The section of the `/docs` page.
    enum Section: String, Sendable, CaseIterable {
        /// Events and causation.
        case events = "Events"
        /// Workflow and session projections.
        case workflows = "Workflows and sessions"
        /// The WebSocket stream.
        case stream = "Live stream"
        /// Health, metrics, documentation.
        case operations = "Operations and documentation"
    }

    /// The HTTP method.
    let method: HTTPRequest.Method
    /// The path template with `{name}` segments; Hummingbird routes it as written.
    let path: String
    /// The OpenAPI `operationId`.
    let operationID: String
    /// One line.
    let summary: String
    /// More detail, when needed.
    var description: String? = nil
    /// Query and path parameters.
    var parameters: [APIParameter] = []
    /// Responses; an operation that takes parameters always documents 400.
    let responses: [APIResponse]
    /// `false` for the one operation that never needs the token (`/health`).
    var requiresToken = true
    /// Where `/docs` lists it.
    let section: Section
    /// A WebSocket upgrade (`router.ws`), not a plain handler.
    var isWebSocket = false

    /// The default error responses of a data endpoint (with or without 404).
    static func dataErrors(notFound: Bool) -> [APIResponse] {
        [.badRequest, .unauthorized, .unavailable] + (notFound ? [.notFound] : [])
    }

    /// Path parameters of the template, in order.
    var pathParameterNames: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }
}

extension APIEndpoint {
    // MARK: Events
    /// `GET /api/v1/events`.
    static let listEvents = APIEndpoint(
        method: .get, path: "/api/v1/events", operationID: "listEvents", summary: "List events (bare JSON array).",
        parameters: Parameters.listEvents,
        responses: [
            APIResponse(
                status: 200, description: "Events.", schema: APIResponse.arrayOf("Event"),
                headers: APIResponse.pageHeaders)
        ] + dataErrors(notFound: false) + [.unprocessable],
        section: .events)

    /// `GET /api/v1/events/{event_id}`.
    static let getEvent = APIEndpoint(
        method: .get, path: "/api/v1/events/{event_id}", operationID: "getEvent", summary: "One event.",
        parameters: [Parameters.eventID],
        responses: [.json(200, "The event.", APIResponse.ref("Event"))] + dataErrors(notFound: true),
        section: .events)

    /// The causation walk responses.
    static func walk(_ direction: String) -> [APIResponse] {
        [
            .json(
                200, "The \(direction) walk in the requested format.",
                [
                    "oneOf": [
                        APIResponse.ref("CausationTree"), APIResponse.ref("CausationFlat"),
                        APIResponse.ref("CausationGraph"),
                    ]
                ])
        ] + dataErrors(notFound: true)
    }

    /// `GET /api/v1/events/{event_id}/descendants`.
    static let getDescendants = APIEndpoint(
        method: .get, path: "/api/v1/events/{event_id}/descendants", operationID: "getDescendants",
        summary: "Events caused by this one (recursive over correlation_ids).",
        description:
            "Formats: `tree` (default) `{\"event\",\"depth\":0,\"children\":[…],\"truncated\"}`; `flat` `{\"root_event\",\"descendants\":[{\"event\",\"depth\",\"path\"}],\"total_descendants\",\"truncated\"}`; `graph` `{\"root_event_id\",\"nodes\":[{\"id\",\"depth\",\"event\"}],\"edges\":[{\"from\",\"to\"}],\"truncated\"}` (edges parent → child). Chronological within each depth; at most API_MAX_CAUSATION_NODES events, then `truncated: true`.",
        parameters: [Parameters.eventID, Parameters.format, Parameters.maxDepth],
        responses: walk("descendants"), section: .events)

    /// `GET /api/v1/events/{event_id}/ancestors`.
    static let getAncestors = APIEndpoint(
        method: .get, path: "/api/v1/events/{event_id}/ancestors", operationID: "getAncestors",
        summary:
            "Events that caused this one (the reverse walk; tree nodes use `parents`, flat uses `ancestors`/`total_ancestors`).",
        parameters: [Parameters.eventID, Parameters.format, Parameters.maxDepth],
        responses: walk("ancestors"), section: .events)

    // MARK: Stream
    /// `GET /api/v1/events/stream` (WebSocket upgrade).
    static let streamEvents = APIEndpoint(
        method: .get, path: "/api/v1/events/stream", operationID: "streamEvents",
        summary: "WebSocket live stream (upgrade).",
        description:
            "Server frames: `{\"type\":\"event\",\"position\":N,\"data\":Event}`, `{\"type\":\"heartbeat\",\"timestamp\":…}` (every API_WS_HEARTBEAT_SECONDS), `{\"type\":\"error\",\"message\":…}`, and `{\"type\":\"subscribed\",\"filters\":…,\"position\":N}` acknowledging a client frame `{\"type\":\"subscribe\",\"filters\":{\"event_type\":…,\"workflow_id\":…}}`. With `after=N` the stream first replays every matching event after N from the store, then continues live with no gap and no duplicate. A client that falls more than API_WS_BUFFER_SIZE events behind gets an error frame and is closed; reconnect with after=<last position>. Browsers may pass the token as `access_token`. A bad query string refuses a real upgrade with 400 and an empty body (the WebSocket layer writes that refusal); a plain HTTP request gets the JSON error.",
        parameters: [
            Parameters.eventType, Parameters.streamWorkflowID, Parameters.streamAfter, Parameters.accessToken,
        ],
        responses: [
            APIResponse(status: 101, description: "Switching protocols to WebSocket.", contentType: nil),
            .badRequest, .unauthorized, .upgradeRequired,
        ],
        section: .stream, isWebSocket: true)

    // MARK: Workflows and sessions
    /// `GET /api/v1/workflows`.
    static let listWorkflows = APIEndpoint(
        method: .get, path: "/api/v1/workflows", operationID: "listWorkflows",
        summary: "Workflow projections, most recently updated first.",
        parameters: Parameters.listWorkflows,
        responses: [
            APIResponse(
                status: 200, description: "Workflows.", schema: APIResponse.arrayOf("Workflow"),
                headers: APIResponse.pageHeaders)
        ] + dataErrors(notFound: false),
        section: .workflows)

    /// `GET /api/v1/workflows/{workflow_id}`.
    static let getWorkflow = APIEndpoint(
        method: .get, path: "/api/v1/workflows/{workflow_id}", operationID: "getWorkflow",
        summary: "One workflow with phase history and handoffs.",
        parameters: [Parameters.workflowIDPath],
        responses: [
            .json(
                200, "The workflow.", APIResponse.ref("Workflow"),
                links: [
                    .init(
                        name: "GetFirstHandoffSession", operationID: "getSession",
                        parameters: [("session_id", "$response.body#/agent_handoffs/0/session_id")],
                        description: "The agent session of the workflow's first accepted handoff."),
                    .init(
                        name: "GetTimeline", operationID: "getWorkflowTimeline",
                        parameters: [("workflow_id", "$response.body#/workflow_id")]),
                ])
        ] + dataErrors(notFound: true),
        section: .workflows)

    /// `GET /api/v1/workflows/{workflow_id}/timeline`.
    static let getWorkflowTimeline = APIEndpoint(
        method: .get, path: "/api/v1/workflows/{workflow_id}/timeline", operationID: "getWorkflowTimeline",
        summary: "The workflow's events in commit order, summarised.",
        parameters: [Parameters.workflowIDPath, Parameters.timelineLimit],
        responses: [.json(200, "Timeline.", APIResponse.ref("Timeline"))] + dataErrors(notFound: true),
        section: .workflows)

    /// `GET /api/v1/sessions/{session_id}`.
    static let getSession = APIEndpoint(
        method: .get, path: "/api/v1/sessions/{session_id}", operationID: "getSession", summary: "One agent session.",
        parameters: [Parameters.sessionID],
        responses: [
            .json(
                200, "The session.", APIResponse.ref("Session"),
                links: [
                    .init(
                        name: "ListSessionEvents", operationID: "listSessionEvents",
                        parameters: [("session_id", "$request.path.session_id")])
                ])
        ] + dataErrors(notFound: true),
        section: .workflows)

    /// `GET /api/v1/sessions/{session_id}/events`.
    static let listSessionEvents = APIEndpoint(
        method: .get, path: "/api/v1/sessions/{session_id}/events", operationID: "listSessionEvents",
        summary: "Events of one agent session (payload session_id or agent_context.instance_id), oldest first.",
        parameters: [Parameters.sessionID, Parameters.limit, Parameters.offset, Parameters.sessionAfter],
        responses: [.json(200, "Events.", APIResponse.arrayOf("Event"))] + dataErrors(notFound: true),
        section: .workflows)

    // MARK: Operations and documentation
    /// `GET /health`.
    static let health = APIEndpoint(
        method: .get, path: "/health", operationID: "health",
        summary: "PostgreSQL, Redis and RabbitMQ health (never requires a token).",
        responses: [
            .json(200, "Every component healthy.", APIResponse.ref("Health")),
            .json(503, "At least one component unhealthy.", APIResponse.ref("Health")),
        ],
        requiresToken: false, section: .operations)

    /// `GET /metrics`.
    static let metrics = APIEndpoint(
        method: .get, path: "/metrics", operationID: "metrics",
        summary: "Prometheus metrics (request latency histogram per route, stream gauges).",
        responses: [
            APIResponse(
                status: 200, description: "Prometheus text format.", contentType: "text/plain",
                schema: ["type": "string"]),
            .unauthorized,
        ],
        section: .operations)

    /// `GET /openapi.json`.
    static let openAPI = APIEndpoint(
        method: .get, path: "/openapi.json", operationID: "openapi", summary: "This document.",
        responses: [.json(200, "OpenAPI 3.1 document.", ["type": "object"]), .unauthorized],
        section: .operations)

    /// `GET /docs`.
    static let docs = APIEndpoint(
        method: .get, path: "/docs", operationID: "docs", summary: "Human-readable API documentation.",
        responses: [
            APIResponse(status: 200, description: "HTML page.", contentType: "text/html", schema: ["type": "string"]),
            .unauthorized,
        ],
        section: .operations)

    /// Every operation of the API, in document order.
    static let all: [APIEndpoint] = [
        listEvents, getEvent, getDescendants, getAncestors, streamEvents, listWorkflows, getWorkflow,
        getWorkflowTimeline, getSession, listSessionEvents, health, metrics, openAPI, docs,
    ]
}

extension Router {
    /// Registers `handler` for `endpoint`'s method and path template, so the route is the descriptor's.
    @discardableResult
    func add(
        _ endpoint: APIEndpoint, use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> Self {
        on(RouterPath(endpoint.path), method: endpoint.method, use: handler)
    }
}

/// Compares the routes a router registers with the endpoint descriptors.
enum RouteParity {
    /// `"GET /path"` for each route; HEAD is left out (the router generates it for every GET).
    static func routes(of router: Router<some RequestContext>) -> Set<String> {
        Set(router.routes.filter { $0.method != .head }.map { "\($0.method) \($0.path)" })
    }

    /// `"GET /path"` for each descriptor.
    static func documented(_ endpoints: [APIEndpoint]) -> Set<String> {
        Set(endpoints.map { "\($0.method) \($0.path)" })
    }

    /// Human-readable differences: empty when routes and descriptors agree on paths and methods.
    static func problems(routes: Set<String>, documented: Set<String>) -> [String] {
        routes.subtracting(documented).sorted().map { "routed but not documented: \($0)" }
            + documented.subtracting(routes).sorted().map { "documented but not routed: \($0)" }
    }
}
