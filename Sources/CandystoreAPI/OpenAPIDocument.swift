import BloodbankModel
import EventStoreQueries
import Foundation
import HTTPTypes
import OpenAPIKit

/// The OpenAPI 3.1 description of every endpoint, served at `/openapi.json`, built with OpenAPIKit from the
/// endpoint descriptors (``APIEndpoint/all``) that the router registers and the handlers parse with.
///
/// The component schemas (response bodies, ``bodySchemas``, and one `<event_type>.payload` per catalogued type
/// from the event catalogue's JSON Schema export) are JSON Schema 2020-12 values placed into the encoded
/// document verbatim: OpenAPIKit's typed `JSONSchema` would rewrite `anyOf: [T, null]` with an extra
/// `type: null` (which then admits only null) and emits `required` in hash order. `RouteParityTests` checks the
/// document against the live router, and `scripts/test contract` checks the running server against it with
/// schemathesis.
enum OpenAPIDocument {
    /// The document as served: with the bearer requirement when `API_TOKEN` is set, without any security
    /// requirement when it is not (so clients and contract tests see what the server really enforces).
    /// Keys are sorted at every level, so the bytes are the same from run to run.
    static func served(requiresToken: Bool, endpoints: [APIEndpoint] = APIEndpoint.all) -> [UInt8] {
        do {
            let encoded = try JSONEncoder().encode(build(requiresToken: requiresToken, endpoints: endpoints))
            guard case .object(var document) = try JSONValue(parsing: Array(encoded)) else {
                preconditionFailure("the OpenAPI document is not an object")
            }
            var components = document["components"]?.objectValue ?? JSONObject()
            var schemas = JSONObject()
            for (name, schema) in componentSchemas() { schemas[name] = schema }
            components["schemas"] = .object(schemas)
            document["components"] = .object(components)
            return canonical(.object(document)).encodedBytes()
        } catch {
            // Every part is a value built here from descriptors; `CandystoreAPITests` encodes both variants.
            preconditionFailure("the OpenAPI document does not encode: \(error)")
        }
    }

    /// The typed document (paths, operations, parameters, responses, links, security); its component schemas
    /// are added by ``served(requiresToken:endpoints:)``.
    static func build(requiresToken: Bool, endpoints: [APIEndpoint] = APIEndpoint.all) -> OpenAPI.Document {
        var paths: OpenAPI.PathItem.Map = [:]
        for endpoint in endpoints {
            let key = OpenAPI.Path(rawValue: endpoint.path)
            var item = paths[key]?.pathItemValue ?? OpenAPI.PathItem()
            item.set(operation: operation(endpoint), for: OpenAPI.HttpMethod(rawValue: endpoint.method.rawValue)!)
            paths[key] = .b(item)
        }
        return OpenAPI.Document(
            openAPIVersion: .v3_1_0,
            info: .init(
                title: "Candystore Event Store API",
                description:
                    "Queries over stored Bloodbank events, causation chains, workflow and session projections, and a live WebSocket stream. Every event carries its gapless commit-order `position`, the value for `after=`. Errors are `{\"error\":{\"code\",\"message\"}}`. Query parameters not listed for an operation are ignored. When the server runs without API_TOKEN, the served document declares no security requirement.",
                version: "1.0.0"),
            servers: [.init(url: URL(string: "/")!, description: "The server that serves this document.")],
            paths: paths,
            components: OpenAPI.Components(
                securitySchemes: [
                    "bearer": .b(
                        .http(
                            scheme: "bearer",
                            description: "Required on every endpoint except /health when API_TOKEN is set."))
                ]),
            security: requiresToken ? [[.component(named: "bearer"): []]] : [])
    }

    /// Component schemas by name: the response bodies, then one `<event_type>.payload` per catalogued type.
    static func componentSchemas() -> [(name: String, schema: JSONValue)] {
        let payloads = payloadSchemas()
        let bodies = bodySchemas.map { name, schema in
            (name, name == "Event" ? eventSchema(schema, payloadNames: payloads.map(\.name)) : schema)
        }
        return bodies + payloads
    }

    /// `value` with the members of every object sorted by key (stable bytes; member order carries no meaning).
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(JSONObject(object.entries.sorted { $0.key < $1.key }.map { ($0.key, canonical($0.value)) }))
        case .array(let items): return .array(items.map(canonical))
        default: return value
        }
    }

    /// `<event_type>.payload` → the catalogue's payload schema, in catalogue (sorted) order.
    static func payloadSchemas(catalogue: EventCatalogue = .standard) -> [(name: String, schema: JSONValue)] {
        catalogue.eventTypes.compactMap { eventType in
            catalogue[eventType].map { ("\(eventType).payload", EventCatalogue.payloadSchema(of: $0)) }
        }
    }

    /// The `Event` body schema with `payload` pointing at the catalogued payload schemas (any object stays
    /// valid: uncatalogued types are stored too).
    static func eventSchema(_ schema: JSONValue, payloadNames: [String]) -> JSONValue {
        guard case .object(var event) = schema, case .object(var properties)? = event["properties"],
            let payload = properties["payload"]?.objectValue
        else { return schema }
        properties["payload"] = .object([
            "description": payload["description"] ?? "",
            "anyOf": .array(payloadNames.map { APIResponse.ref($0) } + [["type": "object"]]),
        ])
        event["properties"] = .object(properties)
        return .object(event)
    }

    // MARK: Operations

    static func operation(_ endpoint: APIEndpoint) -> OpenAPI.Operation {
        var responses: OpenAPI.Response.Map = [:]
        for response in endpoint.responses {
            responses[.status(code: response.status)] = .b(self.response(response))
        }
        return OpenAPI.Operation(
            summary: endpoint.summary,
            description: endpoint.description,
            operationId: endpoint.operationID,
            parameters: endpoint.parameters.map { .b(parameter($0)) },
            responses: responses,
            security: endpoint.requiresToken ? nil : [])
    }

    static func parameter(_ descriptor: APIParameter) -> OpenAPI.Parameter {
        let location: OpenAPI.Parameter.Context.Location = descriptor.location == .path ? .path : .query
        let context = OpenAPI.Parameter.SchemaContext(
            jsonSchema(parameterSchema(descriptor.kind)), style: .default(for: location),
            example: descriptor.example.map { AnyCodable($0) })
        switch descriptor.location {
        case .path:
            return .path(name: descriptor.name, schemaOrContent: .a(context), description: descriptor.description)
        case .query:
            return .query(name: descriptor.name, schemaOrContent: .a(context), description: descriptor.description)
        }
    }

    /// The JSON Schema of a parameter kind: exactly the constraints its parser enforces.
    static func parameterSchema(_ kind: APIParameter.Kind) -> JSONValue {
        switch kind {
        case .uuid: return ["type": "string", "format": "uuid"]
        case .text:
            return [
                "type": "string", "minLength": 1, "maxLength": 255,
                "pattern": .string(#"^[^\u0000-\u001f\u007f-\u009f]*$"#),
            ]
        case .eventTypes:
            let item = "[a-z0-9._*#-]{1,255}"
            return [
                "type": "string",
                "pattern": .string("^(\(item)(,\(item)){0,\(EventTypePattern.maximumCount - 1)})?$"),
            ]
        case .timestamp: return ["type": "string", "format": "date-time"]
        case .integer(let range, let defaultValue):
            var schema: JSONObject = [
                "type": "integer", "minimum": .number(JSONNumber(range.lowerBound)),
                "maximum": .number(JSONNumber(range.upperBound)),
            ]
            if let defaultValue { schema["default"] = .number(JSONNumber(defaultValue)) }
            return .object(schema)
        case .position:
            return ["type": "integer", "minimum": 0, "maximum": .number(JSONNumber(Int64.max)), "format": "int64"]
        case .choice(let values, let defaultValue):
            var schema: JSONObject = ["type": "string", "enum": .array(values.map { .string($0) })]
            if let defaultValue { schema["default"] = .string(defaultValue) }
            return .object(schema)
        case .boolean(let defaultValue):
            var schema: JSONObject = ["type": "boolean"]
            if let defaultValue { schema["default"] = .bool(defaultValue) }
            return .object(schema)
        case .string: return ["type": "string"]
        }
    }

    static func response(_ descriptor: APIResponse) -> OpenAPI.Response {
        var content: OpenAPI.Content.Map = [:]
        if let type = descriptor.contentType, let schema = descriptor.schema {
            content[OpenAPI.ContentType(rawValue: type)!] = .b(
                OpenAPI.Content(schema: jsonSchema(schema), encoding: nil))
        }
        var headers: OpenAPI.Header.Map?
        if !descriptor.headers.isEmpty {
            var map: OpenAPI.Header.Map = [:]
            for header in descriptor.headers {
                map[header.name] = .b(
                    OpenAPI.Header(
                        schemaOrContent: .a(
                            .init(jsonSchema(["type": .string(header.type)]), style: .default(for: .header))),
                        description: header.description))
            }
            headers = map
        }
        var links: OpenAPI.Link.Map = [:]
        for link in descriptor.links {
            var parameters: OrderedDictionary<String, Either<OpenAPI.RuntimeExpression, AnyCodable>> = [:]
            for (name, expression) in link.parameters {
                parameters[name] = .a(OpenAPI.RuntimeExpression(rawValue: expression)!)
            }
            links[link.name] = .b(
                OpenAPI.Link(operationId: link.operationID, parameters: parameters, description: link.description))
        }
        return OpenAPI.Response(description: descriptor.description, headers: headers, content: content, links: links)
    }

    // MARK: Schemas

    /// A JSON Schema value as OpenAPIKit's typed schema (the one conversion every schema goes through).
    static func jsonSchema(_ value: JSONValue) -> JSONSchema {
        do {
            return try JSONDecoder().decode(JSONSchema.self, from: Data(value.encodedBytes()))
        } catch {
            preconditionFailure("not a JSON Schema OpenAPIKit reads: \(error)")
        }
    }
}
