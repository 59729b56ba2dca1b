import BloodbankModel
import CandystoreHealth
import EventStoreQueries
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Prometheus

/// Everything the handlers need, shared by all requests.
struct APIDependencies: Sendable {
    let reader: any EventStoreReading
    let hub: EventStreamHub
    let health: HealthChecker
    let registry: PrometheusCollectorRegistry
    let configuration: APIConfiguration
    let logger: Logger
}

extension Request {
    /// Query parameters as a dictionary; a name given twice is a 400 (`limit=1&limit=abc` must not pass on
    /// the strength of its first value).
    var parameters: [String: String] {
        get throws { try QueryString.parameters(uri.query) }
    }
}

/// Query-string decoding as browsers encode it (`application/x-www-form-urlencoded`, what `URLSearchParams`
/// produces): `+` is a space, `%XX` a byte, and the bytes must be UTF-8. Hummingbird's own
/// `uri.queryParameters` keeps `+` and silently passes malformed escapes through; this rejects them.
enum QueryString {
    /// The parameters by name; a name given twice is a 400 naming it.
    static func parameters(_ query: String?) throws(APIError) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in try pairs(query) {
            guard result[key] == nil else {
                throw APIError.invalidParameter(
                    key, "given more than once; give it once (several event types go in one, comma-separated)")
            }
            result[key] = value
        }
        return result
    }

    /// Name/value pairs in order; throws a 400 naming the parameter whose encoding is malformed.
    static func pairs(_ query: String?) throws(APIError) -> [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        var result: [(String, String)] = []
        for item in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = item.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else {
                throw APIError.invalidParameter("query", "a parameter name is not valid percent-encoded UTF-8")
            }
            guard let value = parts.count > 1 ? decode(parts[1]) : "" else {
                throw APIError.invalidParameter(name, "not valid percent-encoded UTF-8")
            }
            result.append((name, value))
        }
        return result
    }

    /// Decodes one component: `+` → space, `%XX` → byte; `nil` for a malformed escape or bytes that are not
    /// UTF-8.
    static func decode(_ component: some Collection<UInt8>) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(component.count)
        var iterator = component.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay as they are).
func queryEscape(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}

/// `path?name=value&…` with `replacing` applied and `removing` dropped, keeping the other parameters' order.
func link(path: String, request: Request, replacing: [String: String], removing: Set<String>) throws -> String {
    var items: [(String, String)] = []
    var seen = Set<String>()
    for (name, value) in try QueryString.pairs(request.uri.query) {
        guard !removing.contains(name), replacing[name] == nil, seen.insert(name).inserted else { continue }
        items.append((name, value))
    }
    for (name, value) in replacing.sorted(by: { $0.key < $1.key }) { items.append((name, value)) }
    return path + "?" + items.map { "\(queryEscape($0.0))=\(queryEscape($0.1))" }.joined(separator: "&")
}

func parseUUID(_ text: String?, name: String) throws -> UUID {
    guard let text, let uuid = BloodbankUUID.parse(text) else {
        throw APIError.invalidParameter(name, "expected a UUID, got \"\(text ?? "")\"")
    }
    return uuid
}

/// Registers every route on `router`, each under its ``APIEndpoint`` descriptor (the one place that names
/// its method and path).
func addRoutes<Context: WebSocketRequestContext>(to router: Router<Context>, dependencies: APIDependencies) {
    let reader = dependencies.reader
    let configuration = dependencies.configuration

    // MARK: Events
    router.add(.listEvents) { request, _ -> Response in
        let query = try EventQuery(parameters: request.parameters)
        let page = try await reader.events(matching: query)
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in page.events.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: event.jsonBytes())
        }
        bytes.append(UInt8(ascii: "]"))
        var headers: HTTPFields = [:]
        if let total = page.totalCount { headers[.xTotalCount] = String(total) }
        if let nextAfter = page.nextAfter {
            let next = try link(
                path: "/api/v1/events", request: request, replacing: ["after": String(nextAfter)],
                removing: ["offset"])
            headers[.link] = "<\(next)>; rel=\"next\""
        }
        return JSONResponse.make(bytes: bytes, headers: headers)
    }

    router.add(.getEvent) { _, context -> Response in
        let id = try Parameters.eventID.uuid(context)
        guard let event = try await reader.event(id: id) else {
            throw APIError.notFound("event \(BloodbankUUID.format(id)) not found")
        }
        return JSONResponse.make(bytes: event.jsonBytes())
    }

    for (endpoint, direction) in [(APIEndpoint.getDescendants, "descendants"), (.getAncestors, "ancestors")] {
        router.add(endpoint) { request, context -> Response in
            let id = try Parameters.eventID.uuid(context)
            let parameters = try request.parameters
            let format = try Parameters.format.choice(parameters) ?? "tree"
            let maxDepth = try Parameters.maxDepth.integer(parameters) ?? CausationGraph.maximumDepth
            let graph =
                direction == "descendants"
                ? try await reader.descendants(of: id, maxDepth: maxDepth, nodeLimit: configuration.maxCausationNodes)
                : try await reader.ancestors(of: id, maxDepth: maxDepth, nodeLimit: configuration.maxCausationNodes)
            guard let graph else { throw APIError.notFound("event \(BloodbankUUID.format(id)) not found") }
            switch format {
            case "flat": return JSONResponse.make(graph.flatJSON)
            case "graph": return JSONResponse.make(graph.graphJSON)
            default: return JSONResponse.make(graph.treeJSON)
            }
        }
    }

    // MARK: Workflows and sessions
    router.add(.listWorkflows) { request, _ -> Response in
        let query = try WorkflowQuery(parameters: request.parameters)
        let page = try await reader.workflows(matching: query)
        var headers: HTTPFields = [:]
        if let total = page.totalCount { headers[.xTotalCount] = String(total) }
        if page.hasMore {
            let next = try link(
                path: "/api/v1/workflows", request: request,
                replacing: ["offset": String(query.offset + query.limit)], removing: [])
            headers[.link] = "<\(next)>; rel=\"next\""
        }
        return JSONResponse.make(.array(page.workflows), headers: headers)
    }

    router.add(.getWorkflow) { _, context -> Response in
        let id = try Parameters.workflowIDPath.uuid(context)
        guard let workflow = try await reader.workflow(id: id) else {
            throw APIError.notFound("workflow \(BloodbankUUID.format(id)) not found")
        }
        return JSONResponse.make(workflow)
    }

    router.add(.getWorkflowTimeline) { request, context -> Response in
        let id = try Parameters.workflowIDPath.uuid(context)
        let limit = try Parameters.timelineLimit.integer(try request.parameters) ?? EventQuery.maximumLimit
        guard let entries = try await reader.timeline(workflowID: id, limit: limit) else {
            throw APIError.notFound("workflow \(BloodbankUUID.format(id)) not found")
        }
        return JSONResponse.make(
            .object([
                "workflow_id": .string(BloodbankUUID.format(id)),
                "timeline": .array(entries.map(\.jsonValue)),
            ]))
    }

    router.add(.getSession) { _, context -> Response in
        let id = try Parameters.sessionID.pathValue(context)
        guard let session = try await reader.session(id: id) else {
            throw APIError.notFound("session \(id) not found")
        }
        return JSONResponse.make(session)
    }

    router.add(.listSessionEvents) { request, context -> Response in
        let id = try Parameters.sessionID.pathValue(context)
        let parameters = try request.parameters
        let limit = try Parameters.limit.integer(parameters) ?? EventQuery.defaultLimit
        let offset = try Parameters.offset.integer(parameters) ?? 0
        let after = try Parameters.sessionAfter.position(parameters)
        guard let events = try await reader.sessionEvents(id: id, limit: limit, offset: offset, after: after) else {
            throw APIError.notFound("session \(id) not found")
        }
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: event.jsonBytes())
        }
        bytes.append(UInt8(ascii: "]"))
        return JSONResponse.make(bytes: bytes)
    }

    // MARK: Live stream
    let hub = dependencies.hub
    let logger = dependencies.logger
    router.ws(
        RouterPath(APIEndpoint.streamEvents.path),
        shouldUpgrade: { request, _ in
            let parameters = try request.parameters
            _ = try EventStreamFilter(parameters: parameters)
            _ = try Parameters.streamAfter.position(parameters)
            // A plain GET reaches this handler too; without this it would get an empty 200.
            guard request.headers[.upgrade]?.lowercased().contains("websocket") == true else {
                throw APIError(
                    .upgradeRequired, code: "upgrade_required",
                    message: "this endpoint is a WebSocket stream: connect with Upgrade: websocket",
                    headers: [.upgrade: "websocket", .connection: "Upgrade"])
            }
            return .upgrade([:])
        },
        onUpgrade: { inbound, outbound, context in
            let parameters = try context.request.parameters
            let filter = try EventStreamFilter(parameters: parameters)
            let after = try Parameters.streamAfter.position(parameters)
            let session = StreamSession(
                hub: hub, reader: reader, heartbeatInterval: configuration.heartbeatInterval,
                bufferSize: configuration.streamBufferSize, logger: logger)
            try await session.run(filter: filter, after: after, inbound: inbound, outbound: outbound)
        }
    )

    // MARK: Operations and documentation
    let health = dependencies.health
    router.add(.health) { _, _ -> Response in
        let report = await health.run(
            role: "api",
            details: [
                "stream": .object([
                    "redis_live": .bool(hub.isRedisLive), "clients": .number(JSONNumber(hub.subscriberCount)),
                ])
            ])
        return JSONResponse.make(report.json, status: report.healthy ? .ok : .serviceUnavailable)
    }

    let registry = dependencies.registry
    router.add(.metrics) { _, _ -> Response in
        for (name, value, help) in [
            ("clients", hub.subscriberCount, "Connected WebSocket stream clients."),
            ("evictions", hub.evictionCount, "Stream clients closed for being too slow since start."),
            ("redis_live", hub.isRedisLive ? 1 : 0, "1 while the Redis events subscription is established."),
        ] {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "candystore", subsystem: "api_stream", metricName: name, unitName: "", helpText: help)
            ).set(Int64(value))
        }
        var headers: HTTPFields = [:]
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    let openAPIDocument = OpenAPIDocument.served(requiresToken: configuration.token != nil)
    router.add(.openAPI) { _, _ -> Response in
        JSONResponse.make(bytes: openAPIDocument)
    }

    let docsPage = DocsPage.html()
    router.add(.docs) { _, _ -> Response in
        var headers: HTTPFields = [:]
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: docsPage)))
    }
}

extension HTTPFields.Element.Name {
    /// `X-Total-Count`.
    static let xTotalCount = Self("X-Total-Count")!
    /// `Link`.
    static let link = Self("Link")!
}
