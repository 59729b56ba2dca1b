import BloodbankModel
import CandystoreApp
import CandystoreHealth
import CandystoreOps
import EventStore
import EventStoreQueries
import Hummingbird
import HummingbirdWebSocket
import Logging
import PostgresNIO
import Prometheus
import Testing

@testable import CandystoreAPI

/// The live router (what `buildRouter` registers) against the endpoint descriptors and the served document.
@Suite struct RouteParityTests {
    /// The router the application serves, built offline (nothing connects until the services run).
    static func liveRouter(_ overrides: [String: String] = [:]) throws -> Router<BasicWebSocketRequestContext> {
        let configuration = try CandystoreAPITests.offlineConfiguration(overrides)
        let logger = Logger(label: "candystore.api.tests")
        let reader = EventStoreReader(
            client: PostgresClient(configuration: configuration.shared.database.clientConfiguration), logger: logger)
        let hub = EventStreamHub(
            configuration: .init(
                redis: nil, channel: "unused", fallbackPollInterval: .seconds(1), safetyPollInterval: .seconds(1)),
            reader: reader, logger: logger)
        return buildRouter(
            dependencies: APIDependencies(
                reader: reader, hub: hub, health: TestApplication.fakeHealth, registry: PrometheusCollectorRegistry(),
                configuration: configuration.api, logger: logger))
    }

    /// `"GET /path"` for every operation of the served document.
    static func documentOperations(_ bytes: [UInt8]) throws -> Set<String> {
        let document = try #require(try JSONValue(parsing: bytes).objectValue)
        let paths = try #require(document["paths"]?.objectValue)
        var operations = Set<String>()
        for (path, item) in paths.entries {
            for (method, _) in item.objectValue?.entries ?? [] { operations.insert("\(method.uppercased()) \(path)") }
        }
        return operations
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() throws {
        let routes = RouteParity.routes(of: try Self.liveRouter())
        #expect(routes.count == APIEndpoint.all.count)
        #expect(RouteParity.problems(routes: routes, documented: RouteParity.documented(APIEndpoint.all)) == [])
        for requiresToken in [false, true] {
            let served = try Self.documentOperations(OpenAPIDocument.served(requiresToken: requiresToken))
            #expect(RouteParity.problems(routes: routes, documented: served) == [])
        }
        // Operation ids are unique (links and schemathesis address operations by them).
        #expect(Set(APIEndpoint.all.map(\.operationID)).count == APIEndpoint.all.count)
    }

    /// The test of the test: a route added without a descriptor, a descriptor without a route, and a method
    /// that differs are each reported.
    @Test func parityReportsAnUndocumentedRouteAMissingRouteAndADifferentMethod() throws {
        let router = try Self.liveRouter()
        router.get("/api/v1/extra") { _, _ in "undocumented" }
        router.post("/api/v1/workflows") { _, _ in "POST where only GET is documented" }
        let documented = RouteParity.documented(
            APIEndpoint.all + [
                APIEndpoint(
                    method: .get, path: "/api/v1/ghost", operationID: "ghost", summary: "Documented, never routed.",
                    responses: [.json(200, "Nothing.", ["type": "object"])], section: .operations)
            ])
        let problems = RouteParity.problems(routes: RouteParity.routes(of: router), documented: documented)
        #expect(
            problems == [
                "routed but not documented: GET /api/v1/extra",
                "routed but not documented: POST /api/v1/workflows",
                "documented but not routed: GET /api/v1/ghost",
            ])
        // The document built from the descriptors reports the same gap against the live router.
        let served = try Self.documentOperations(OpenAPIDocument.served(requiresToken: false))
        #expect(RouteParity.problems(routes: RouteParity.routes(of: router), documented: served).count == 2)
    }

    /// The 405 handling takes paths and methods from the same descriptors.
    @Test func methodHandlingFollowsTheDescriptors() {
        let middleware = MethodMiddleware<BasicRequestContext>(endpoints: APIEndpoint.all)
        #expect(middleware.templates.count == APIEndpoint.all.count)
        #expect(middleware.isKnown("/api/v1/events/5eed0000-0000-4000-8000-000000000001/ancestors"))
        #expect(!middleware.isKnown("/api/v1/events//ancestors"))
        #expect(middleware.templates.allSatisfy { $0.allow == "GET, HEAD, OPTIONS" })
        let withPost = MethodMiddleware<BasicRequestContext>(
            endpoints: [
                APIEndpoint(
                    method: .post, path: "/x/{id}", operationID: "postX", summary: "x",
                    responses: [.json(200, "x", ["type": "object"])], section: .operations),
                APIEndpoint(
                    method: .get, path: "/x/{id}", operationID: "getX", summary: "x",
                    responses: [.json(200, "x", ["type": "object"])], section: .operations),
            ])
        #expect(withPost.template(for: "/x/1")?.allow == "GET, HEAD, POST, OPTIONS")
    }

    /// Handlers parse with the descriptors' constraints, so the documented bounds are the enforced ones.
    @Test func descriptorsParseWithTheDocumentedConstraints() throws {
        #expect(try Parameters.maxDepth.integer([:]) == CausationGraph.maximumDepth)
        #expect(try Parameters.maxDepth.integer(["max_depth": "0"]) == 0)
        #expect(throws: EventQueryError.self) { try Parameters.maxDepth.integer(["max_depth": "101"]) }
        #expect(try Parameters.format.choice([:]) == "tree")
        do {
            _ = try Parameters.format.choice(["format": "xml"])
            Issue.record("xml accepted")
        } catch let error as APIError {
            #expect(error.message == #"format: expected tree, flat or graph, got "xml""#)
        }
        let schema = OpenAPIDocument.parameterSchema(Parameters.maxDepth.kind)
        #expect(schema.objectValue?["maximum"] == .number(JSONNumber(CausationGraph.maximumDepth)))
        #expect(schema.objectValue?["default"] == .number(JSONNumber(CausationGraph.maximumDepth)))
    }
}
