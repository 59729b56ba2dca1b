import BloodbankModel
import CandystoreApp
import CandystoreConfig
import CandystoreHealth
import CandystoreOps
import EventStore
import EventStoreQueries
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import Testing
import WSCore

@testable import CandystoreAPI

/// Endpoints that never reach a backing service: runs anywhere (database and Redis point at closed ports).
@Suite struct CandystoreAPITests {
    static func offlineConfiguration(_ overrides: [String: String] = [:]) throws -> APIRole.Configuration {
        var values = overrides
        values["DATABASE_URL"] = "postgres://candystore:candystore@127.0.0.1:1/none"
        values["REDIS_URL"] = "redis://127.0.0.1:1/0"
        values["API_PORT"] = "0"
        return try APIRole.Configuration(settings: Settings(values))
    }

    /// Parses a body as an object; empty when it is not one (non-throwing on purpose, see the integration suite).
    func json(_ buffer: ByteBuffer) -> JSONObject {
        (try? JSONValue(parsing: Array(buffer.readableBytesView)))?.objectValue ?? JSONObject()
    }

    @Test func configurationDefaultsAndValidation() throws {
        let configuration = try APIConfiguration(settings: Settings([:]))
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8088)
        #expect(configuration.token == nil)
        #expect(configuration.corsOrigins.isEmpty)
        #expect(configuration.heartbeatInterval == .seconds(30))
        let custom = try APIConfiguration(
            settings: Settings([
                "API_CORS_ORIGINS": "http://a.test, http://b.test,", "API_TOKEN": "t", "API_WS_HEARTBEAT_SECONDS": "5",
            ]))
        #expect(custom.corsOrigins == ["http://a.test", "http://b.test"])
        #expect(custom.token == "t")
        #expect(custom.heartbeatInterval == .seconds(5))
        #expect(throws: ConfigurationError.self) { try APIConfiguration(settings: Settings(["API_PORT": "70000"])) }
        #expect(throws: ConfigurationError.self) {
            try APIConfiguration(settings: Settings(["API_WS_HEARTBEAT_SECONDS": "0"]))
        }
    }

    @Test func badParametersAreJSON400sNamingTheParameter() async throws {
        let app = try TestApplication.build(try Self.offlineConfiguration(), logLevel: .critical)
        try await app.test(.router) { client in
            let cases: [(String, String)] = [
                ("/api/v1/events?limit=1001", "limit"),
                ("/api/v1/events?limit=0", "limit"),
                ("/api/v1/events?workflow_id=nope", "workflow_id"),
                ("/api/v1/events?correlation_id=1", "correlation_id"),
                ("/api/v1/events?start_time=yesterday", "start_time"),
                ("/api/v1/events?until=2026-02-30T00:00:00Z", "until"),
                ("/api/v1/events?order=up", "order"),
                ("/api/v1/events?event_type=a.%25", "event_type"),
                ("/api/v1/events?after=-3", "after"),
                ("/api/v1/events/not-a-uuid", "event_id"),
                ("/api/v1/events/\(UUID())/descendants?max_depth=101", "max_depth"),
                ("/api/v1/events/\(UUID())/descendants?format=xml", "format"),
                ("/api/v1/events/\(UUID())/ancestors?max_depth=-1", "max_depth"),
                ("/api/v1/workflows?phase=lunch", "phase"),
                ("/api/v1/workflows?limit=5000", "limit"),
                ("/api/v1/workflows/123", "workflow_id"),
                ("/api/v1/workflows/123/timeline", "workflow_id"),
                ("/api/v1/sessions/agent-x/events?limit=1001", "limit"),
                ("/api/v1/sessions/agent-%00/events", "session_id"),
                ("/api/v1/sessions/a%01b", "session_id"),
                ("/api/v1/events?agent=a%00b", "agent"),
                ("/api/v1/workflows?project=%01", "project"),
                ("/api/v1/events?event_type=" + (1...51).map { "a.t\($0)" }.joined(separator: ","), "event_type"),
            ]
            for (uri, parameter) in cases {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                    let error = try #require(json(response.body)["error"]?.objectValue, "\(uri)")
                    #expect(error["code"] == "invalid_parameter")
                    #expect(error["message"]?.stringValue?.hasPrefix("\(parameter):") == true, "\(uri)")
                }
            }
            try await client.execute(
                uri: "/api/v1/events?start_time=2026-02-01&end_time=2026-01-01", method: .get
            ) { response in
                #expect(response.status == .unprocessableContent)
                let body = json(response.body)
                #expect(body["error"]?.objectValue?["code"] == "invalid_range")
            }
            try await client.execute(uri: "/api/v1/nothing/here", method: .get) { response in
                #expect(response.status == .notFound)
                let body = json(response.body)
                #expect(body["error"]?.objectValue?["code"] == "not_found")
            }
        }
    }

    @Test func openAPIDocumentDescribesEveryRoute() async throws {
        let bytes = OpenAPIDocument.served(requiresToken: true)
        let document = try #require(try JSONValue(parsing: bytes).objectValue)
        #expect(document["openapi"] == "3.1.0")
        let paths = try #require(document["paths"]?.objectValue)
        #expect(Set(paths.keys) == Set(APIEndpoint.all.map(\.path)))
        // The parameters EventStoreQueries parses are exactly the ones the descriptors document.
        func names(_ path: String) -> Set<String> {
            let parameters = paths[path]?.objectValue?["get"]?.objectValue?["parameters"]?.arrayValue ?? []
            return Set(parameters.compactMap { $0.objectValue?["name"]?.stringValue })
        }
        #expect(names("/api/v1/events") == Set(EventQuery.parameterNames))
        #expect(Set(Parameters.listEvents.map(\.name)) == Set(EventQuery.parameterNames))
        // Path parameters are declared for every {segment}, with a seed example.
        for endpoint in APIEndpoint.all {
            let declared = endpoint.parameters.filter { $0.location == .path }
            #expect(declared.map(\.name) == endpoint.pathParameterNames, "\(endpoint.path)")
            #expect(declared.allSatisfy { $0.example?.contains("5eed0000-") == true }, "\(endpoint.path)")
        }
        // Every $ref resolves.
        let schemas = try #require(document["components"]?.objectValue?["schemas"]?.objectValue)
        let text = String(decoding: bytes, as: UTF8.self)
        let references = text.matches(of: /"#\/components\/schemas\/([\w.\-]+)"/).map { String($0.1) }
        #expect(references.count > 20)
        for name in references { #expect(schemas[name] != nil, "\(name)") }
        // Stable bytes, sorted keys.
        #expect(OpenAPIDocument.served(requiresToken: true) == bytes)
        #expect(document.keys == document.keys.sorted())

        let app = try TestApplication.build(try Self.offlineConfiguration(), logLevel: .critical)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == OpenAPIDocument.served(requiresToken: false))
                #expect(json(response.body)["info"] != nil)
            }
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let page = String(buffer: response.body)
                for endpoint in APIEndpoint.all { #expect(page.contains(endpoint.path), "\(endpoint.path)") }
                #expect(page.contains("<code>max_depth</code>"))
            }
        }
    }

    /// The event payload schemas in the document are the catalogue's JSON Schema export, unchanged by the
    /// conversion into OpenAPIKit's typed schema.
    @Test func payloadSchemasComeFromTheCatalogue() throws {
        let document = try #require(try JSONValue(parsing: OpenAPIDocument.served(requiresToken: false)).objectValue)
        let schemas = try #require(document["components"]?.objectValue?["schemas"]?.objectValue)
        let catalogue = EventCatalogue.standard
        #expect(!catalogue.eventTypes.isEmpty)
        for eventType in catalogue.eventTypes {
            let entry = try #require(catalogue[eventType])
            let served = try #require(schemas["\(eventType).payload"], "\(eventType)")
            #expect(sorted(served) == sorted(EventCatalogue.payloadSchema(of: entry)), "\(eventType)")
        }
        let payload = schemas["Event"]?.objectValue?["properties"]?.objectValue?["payload"]?.objectValue
        #expect(payload?["anyOf"]?.arrayValue?.count == catalogue.eventTypes.count + 1)
    }

    /// A JSON value with every object's keys sorted (the served document sorts keys).
    func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(JSONObject(object.entries.sorted { $0.key < $1.key }.map { ($0.key, sorted($0.value)) }))
        case .array(let items): return .array(items.map(sorted))
        default: return value
        }
    }

    @Test func tokenProtectsEverythingButHealth() async throws {
        let app = try TestApplication.build(try Self.offlineConfiguration(["API_TOKEN": "s3cret"]), logLevel: .critical)
        try await app.test(.router) { client in
            for uri in ["/api/v1/events", "/openapi.json", "/metrics", "/api/v1/workflows", "/docs"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                    let body = json(response.body)
                    #expect(body["error"]?.objectValue?["code"] == "unauthorized")
                }
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer wrong"]) {
                    response in
                    #expect(response.status == .unauthorized, "\(uri)")
                }
                // Strict parsing (issue 14): the scheme exactly `Bearer`, one space, the token. (Whitespace around a
                // field value is not part of it, RFC 9110 §5.5: the HTTP parser drops a trailing space before any
                // handler sees it, so `Bearer s3cret ` is the same header as `Bearer s3cret`.)
                for loose in ["bearer s3cret", "Bearer  s3cret", "Bearer s3cret x", "Basic s3cret", "s3cret"] {
                    try await client.execute(uri: uri, method: .get, headers: [.authorization: loose]) { response in
                        #expect(response.status == .unauthorized, "\(uri) with '\(loose)'")
                    }
                }
            }
            try await client.execute(uri: "/openapi.json", method: .get, headers: [.authorization: "Bearer s3cret"]) {
                response in
                #expect(response.status == .ok)
            }
            // Authorised but invalid input is still a 400, not a 401 or 500.
            try await client.execute(
                uri: "/api/v1/events?limit=1001", method: .get, headers: [.authorization: "Bearer s3cret"]
            ) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(AuthMiddleware<BasicRequestContext>.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!AuthMiddleware<BasicRequestContext>.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!AuthMiddleware<BasicRequestContext>.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func corsAllowsOnlyConfiguredOrigins() async throws {
        let app = try TestApplication.build(
            try Self.offlineConfiguration(["API_CORS_ORIGINS": "http://dash.test,http://other.test"]),
            logLevel: .critical)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/api/v1/events", method: .options,
                headers: [.origin: "http://dash.test", .accessControlRequestMethod: "GET"]
            ) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "http://dash.test")
                #expect(response.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            }
            try await client.execute(uri: "/openapi.json", method: .get, headers: [.origin: "http://other.test"]) {
                response in
                #expect(response.headers[.accessControlAllowOrigin] == "http://other.test")
                #expect(response.headers[.accessControlExposeHeaders]?.contains("X-Total-Count") == true)
            }
            try await client.execute(uri: "/openapi.json", method: .get, headers: [.origin: "http://evil.test"]) {
                response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test func healthReportsEachComponentAndMetricsHaveRouteHistogram() async throws {
        let failing = HealthChecker(checks: [
            ("postgres", { "ok" }), ("rabbitmq", { throw ConfigurationError("queue missing") }),
            ("redis", { "PONG" }),
        ])
        let app = try TestApplication.build(try Self.offlineConfiguration(), health: failing, logLevel: .critical)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = json(response.body)
                #expect(body["status"] == "degraded")
                let components = try #require(body["components"]?.objectValue)
                #expect(components.keys == ["postgres", "rabbitmq", "redis"])
                #expect(components["rabbitmq"]?.objectValue?["status"] == "down")
                #expect(components["rabbitmq"]?.objectValue?["detail"]?.stringValue?.contains("queue missing") == true)
                #expect(components["redis"]?.objectValue?["status"] == "ok")
                #expect(body["role"] == "api")
            }
            try await client.execute(uri: "/api/v1/events?limit=5000", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("candystore_api_request_duration_seconds_bucket"))
                #expect(text.contains(#"route="/health""#))
                #expect(text.contains(#"route="/api/v1/events""#))
                #expect(text.contains(#"status="400""#))
                #expect(text.contains("candystore_api_stream_clients"))
            }
        }
    }

    /// Found by schemathesis: every method but GET was a 404 `no route`, although the path exists.
    @Test func otherMethodsGet405WithAllowAndHeadWorks() async throws {
        let app = try TestApplication.build(try Self.offlineConfiguration(), logLevel: .critical)
        try await app.test(.router) { client in
            for (method, uri) in [
                (HTTPRequest.Method.trace, "/health"), (.post, "/api/v1/events"), (.delete, "/api/v1/events/\(UUID())"),
                (.put, "/api/v1/sessions/agent-x/events"), (.patch, "/openapi.json"),
                (HTTPRequest.Method("QUERY")!, "/api/v1/workflows"),
            ] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == "GET, HEAD, OPTIONS")
                    #expect(json(response.body)["error"]?.objectValue?["code"] == "method_not_allowed")
                }
            }
            try await client.execute(uri: "/api/v1/events", method: .options) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.allow] == "GET, HEAD, OPTIONS")
            }
            try await client.execute(uri: "/openapi.json", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            // An unknown path stays a 404 whatever the method.
            try await client.execute(uri: "/api/v1/nothing", method: .post) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    /// Found by schemathesis: a plain GET (no WebSocket upgrade) on the stream got an empty, undocumented 200.
    @Test func plainGetOnTheStreamIs426() async throws {
        let app = try TestApplication.build(try Self.offlineConfiguration(), logLevel: .critical)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/events/stream?event_type=a.*", method: .get) { response in
                #expect(response.status == .upgradeRequired)
                #expect(response.headers[.upgrade] == "websocket")
                #expect(json(response.body)["error"]?.objectValue?["code"] == "upgrade_required")
            }
            // Parameters are still checked first.
            try await client.execute(uri: "/api/v1/events/stream?workflow_id=x", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    /// A refused upgrade says why, as the API's JSON error (issue 14: hummingbird-websocket's own refusal is a
    /// fixed 400 with an empty body); a missing token is a 401 on the stream as on every route.
    @Test func aRefusedUpgradeSaysWhyInJSON() async throws {
        let upgrade: HTTPFields = [
            .upgrade: "websocket", .connection: "Upgrade", .secWebSocketVersion: "13",
            .secWebSocketKey: "dGhlIHNhbXBsZSBub25jZQ==",
        ]
        let app = try TestApplication.build(try Self.offlineConfiguration(), logLevel: .critical)
        try await app.test(.live) { client in
            try await client.execute(uri: "/api/v1/events/stream?workflow_id=bad", method: .get, headers: upgrade) {
                response in
                #expect(response.status == .badRequest)
                #expect(json(response.body)["error"]?.objectValue?["code"] == "invalid_parameter")
                #expect(
                    json(response.body)["error"]?.objectValue?["message"]?.stringValue?.hasPrefix("workflow_id:")
                        == true)
            }
        }
        // A refused upgrade closes the connection, and an application runs its services once: one app per case.
        func locked() throws -> some ApplicationProtocol {
            try TestApplication.build(try Self.offlineConfiguration(["API_TOKEN": "s3cret"]), logLevel: .critical)
        }
        try await locked().test(.live) { client in
            try await client.execute(uri: "/api/v1/events/stream", method: .get, headers: upgrade) { response in
                #expect(response.status == .unauthorized)
                #expect(json(response.body)["error"]?.objectValue?["code"] == "unauthorized")
            }
        }
        try await locked().test(.live) { client in
            var wrong = upgrade
            wrong[.authorization] = "bearer s3cret"
            try await client.execute(uri: "/api/v1/events/stream?after=1", method: .get, headers: wrong) { response in
                #expect(response.status == .unauthorized)
            }
        }
        try await locked().test(.live) { client in
            // The token is right, the query is not: the parameter is named.
            var right = upgrade
            right[.authorization] = "Bearer s3cret"
            try await client.execute(uri: "/api/v1/events/stream?after=-3", method: .get, headers: right) { response in
                #expect(response.status == .badRequest)
                #expect(json(response.body)["error"]?.objectValue?["message"]?.stringValue?.hasPrefix("after") == true)
            }
        }
    }

    /// Found by schemathesis: `+` stayed a `+` (browsers' `URLSearchParams` encode a space as `+`) and malformed
    /// escapes such as `%FF` were passed through as literal text.
    @Test func queryStringsAreFormDecoded() async throws {
        let pairs = try QueryString.pairs("agent=letta+python%20dev&event_type=a.b+,+c.*&flag&x%2By=1%2B1")
        #expect(pairs.map(\.0) == ["agent", "event_type", "flag", "x+y"])
        #expect(pairs.map(\.1) == ["letta python dev", "a.b , c.*", "", "1+1"])
        #expect(QueryString.decode(Array("%e2%82%ac".utf8)) == "€")
        for bad in ["%FF", "%", "%4", "%zz", "%C3%28"] {
            #expect(QueryString.decode(Array(bad.utf8)) == nil, "\(bad)")
        }
        let app = try TestApplication.build(try Self.offlineConfiguration(), logLevel: .critical)
        try await app.test(.router) { client in
            for (uri, parameter) in [("/api/v1/events?agent=%FF", "agent"), ("/api/v1/workflows?%FF=1", "query")] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    #expect(
                        json(response.body)["error"]?.objectValue?["message"]?.stringValue?.hasPrefix("\(parameter):")
                            == true)
                }
            }
        }
    }

    /// Found by schemathesis: the document always declared the bearer requirement, so without API_TOKEN every
    /// "request without credentials" was accepted against the contract.
    @Test func servedDocumentDeclaresSecurityOnlyWithAToken() async throws {
        let open = try #require(try JSONValue(parsing: OpenAPIDocument.served(requiresToken: false)).objectValue)
        #expect(open["security"] == nil)
        #expect(open["components"]?.objectValue?["securitySchemes"] != nil)
        #expect(open.keys == open.keys.sorted())  // sorted keys: stable bytes
        let closed = try #require(try JSONValue(parsing: OpenAPIDocument.served(requiresToken: true)).objectValue)
        #expect(closed["security"]?.arrayValue?.count == 1)
        #expect(closed["paths"]?.objectValue?["/api/v1/sessions/{session_id}/events"] != nil)
        let health = open["paths"]?.objectValue?["/health"]?.objectValue?["get"]?.objectValue
        #expect(health?["security"] == .array([]))
        let app = try TestApplication.build(try Self.offlineConfiguration(), logLevel: .critical)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(json(response.body)["security"] == nil)
                #expect(json(response.body)["paths"] != nil)
            }
        }
    }

    @Test func clientFramesAreParsed() {
        func input(_ text: String) -> StreamInput { StreamSession.input(from: .text(text)) }
        guard
            case .subscribe(let filter) = input(
                #"{"type":"subscribe","filters":{"event_type":["a.*","b.c"],"workflow_id":"0B7A5D4E-2222-4A2B-9C3D-000000000001"}}"#
            )
        else {
            Issue.record("not a subscribe")
            return
        }
        #expect(filter.eventTypes.map(\.text) == ["a.*", "b.c"])
        #expect(filter.workflowID.map(BloodbankUUID.format) == "0b7a5d4e-2222-4a2b-9c3d-000000000001")
        guard case .subscribe(let all) = input(#"{"type":"subscribe","filters":{}}"#), all.isEmpty else {
            Issue.record("empty filters not accepted")
            return
        }
        for bad in [
            "not json", #"{"type":"dance"}"#, #"{"type":"subscribe","filters":{"workflow_id":"x"}}"#,
            #"{"type":"subscribe","filters":{"event_type":"A B"}}"#, #"{"type":"subscribe","filters":3}"#,
        ] {
            guard case .clientError(let message) = input(bad) else {
                Issue.record("accepted \(bad)")
                continue
            }
            #expect(!message.isEmpty)
        }
        #expect(
            StreamSession.eventFrame(position: 7, json: Array(#"{"a":1}"#.utf8))
                == #"{"type":"event","position":7,"data":{"a":1}}"#)
        #expect(StreamSession.heartbeatFrame().hasPrefix(#"{"type":"heartbeat","timestamp":""#))
        #expect(StreamSession.errorFrame("x \"y\"") == #"{"type":"error","message":"x \"y\""}"#)
    }

    @Test func redisMessagesAreParsed() throws {
        let workflow = UUID()
        let envelope = try EventEnvelope(
            eventType: "bmad.workflow.started", payload: ["workflow_id": .string(BloodbankUUID.format(workflow))])
        let bytes = envelope.encodedBytes(additionalMembers: ["position": 12])
        let event = try #require(StreamEvent(message: bytes))
        #expect(event.position == 12)
        #expect(event.eventType == "bmad.workflow.started")
        #expect(event.workflowID == workflow)
        #expect(event.workflowIDIsExact)
        #expect(event.json == bytes)
        let inherited = try #require(
            StreamEvent(
                message: try EventEnvelope(eventType: "a.b", payload: [:]).encodedBytes(
                    additionalMembers: ["position": 1])))
        #expect(!inherited.workflowIDIsExact)
        #expect(StreamEvent(message: envelope.encodedBytes()) == nil)  // no position
        #expect(StreamEvent(message: Array("{".utf8)) == nil)
    }
}

@Suite struct EventStreamHubTests {
    func hub() -> EventStreamHub {
        let database = try! DatabaseConfiguration(url: "postgres://candystore@127.0.0.1:1/none")
        let reader = EventStoreReader(
            client: PostgresClient(configuration: database.clientConfiguration), logger: Logger(label: "test"))
        return EventStreamHub(
            configuration: .init(
                redis: nil, channel: "unused", fallbackPollInterval: .seconds(1), safetyPollInterval: .seconds(1)),
            reader: reader, logger: Logger(label: "test"))
    }

    func event(_ position: Int64) throws -> StreamEvent {
        let envelope = try EventEnvelope(eventType: "a.b", payload: [:])
        return try #require(
            StreamEvent(message: envelope.encodedBytes(additionalMembers: ["position": .number(JSONNumber(position))])))
    }

    @Test func everySubscriberGetsEveryEventInOrder() async throws {
        let hub = hub()
        let first = hub.subscribe(bufferSize: 10)
        let second = hub.subscribe(bufferSize: 10)
        #expect(hub.subscriberCount == 2)
        for position in 1...3 { hub.broadcast(try event(Int64(position))) }
        for subscriber in [first, second] {
            var positions: [Int64] = []
            for await input in subscriber.inputs {
                if case .event(let event) = input { positions.append(event.position) }
                if positions.count == 3 { break }
            }
            #expect(positions == [1, 2, 3])
        }
        hub.unsubscribe(first)
        #expect(hub.subscriberCount == 1)
        #expect(try event(9).frame.hasPrefix(#"{"type":"event","position":9,"data":{"event_id":"#))
    }

    @Test func redisMessagesAreTrustedOnlyAsTheNextPosition() async throws {
        let hub = hub()
        let subscriber = hub.subscribe(bufferSize: 10)
        // Before the store's last position is known nothing from Redis is taken.
        #expect(!hub.broadcastIfNext(try event(1)))
        hub.initialize(lastPosition: 5)
        #expect(hub.broadcastIfNext(try event(3)))  // a duplicate: taken, not delivered
        #expect(!hub.broadcastIfNext(try event(Int64.max)))  // far ahead (made up?): the store decides
        #expect(!hub.broadcastIfNext(try event(7)))  // one missing in between: the store decides
        #expect(hub.broadcastIfNext(try event(6)))
        #expect(hub.broadcastIfNext(try event(7)))
        hub.unsubscribe(subscriber)
        var positions: [Int64] = []
        for await input in subscriber.inputs {
            if case .event(let event) = input { positions.append(event.position) }
        }
        #expect(positions == [6, 7])
        #expect(StreamEvent(message: Array(#"{"position":0,"event_type":"x","payload":{}}"#.utf8)) == nil)
        #expect(StreamEvent(message: Array(#"{"position":-4,"event_type":"x","payload":{}}"#.utf8)) == nil)
    }

    @Test func aFullQueueEvictsOnlyThatSubscriber() async throws {
        let hub = hub()
        let slow = hub.subscribe(bufferSize: 2)
        let fast = hub.subscribe(bufferSize: 100)
        for position in 1...3 { hub.broadcast(try event(Int64(position))) }
        #expect(slow.evicted.withLockedValue { $0 })
        #expect(!fast.evicted.withLockedValue { $0 })
        #expect(hub.subscriberCount == 1)
        #expect(hub.evictionCount == 1)
        var signals = 0
        for await _ in slow.eviction { signals += 1 }
        #expect(signals == 1)
        hub.broadcast(try event(4))  // the evicted queue is no longer offered anything
        #expect(hub.evictionCount == 1)
    }
}
