import BloodbankModel
public import EventStoreQueries
import Foundation
public import Logging
public import PostgresNIO

/// The read side of the event store: pooled, read-only queries for the API and the live stream.
///
/// The reader does not own its pool: the process runs the `PostgresClient` it was given (the composition root
/// adds it to the `ServiceGroup`). Every query is shaped to use an index (see `docs/api.md`), results are
/// canonical event JSON with `position`, and every failure is an ``EventQueryError``.
public struct EventStoreReader: EventStoreReading {
    let client: PostgresClient
    let logger: Logger

    /// Creates a reader over `client`, a pool the caller runs (as a service of its process).
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The pool configuration a reader wants for `database`: JIT off and the API's application name.
    ///
    /// Every read is an index lookup bounded by LIMIT, but the planner's GIN estimates make the causation walk
    /// look expensive enough to trigger JIT compilation, which costs more than the query itself.
    public static func clientConfiguration(
        for database: DatabaseConfiguration, applicationName: String = "candystore-api"
    ) -> PostgresClient.Configuration {
        var configuration = database.clientConfiguration
        configuration.options.additionalStartupParameters.append(("jit", "off"))
        configuration.options.additionalStartupParameters.append(("application_name", applicationName))
        return configuration
    }

    /// Runs a query and collects its rows, mapping failures to ``EventQueryError``.
    func rows(_ sql: String, _ bindings: PostgresBindings = PostgresBindings()) async throws -> [PostgresRow] {
        do {
            return try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).collect()
        } catch {
            throw EventQueryError.database(error)
        }
    }

    /// The highest stored position, 0 when the store is empty (positions are gapless, so this is also the
    /// number of stored events).
    public func maxPosition() async throws -> Int64 {
        let rows = try await rows("SELECT coalesce(max(position), 0)::int8 FROM events")
        return try decode(rows.first, as: Int64.self) ?? 0
    }

    func decode<T: PostgresDecodable>(_ row: PostgresRow?, as type: T.Type) throws -> T? {
        guard let row else { return nil }
        do {
            return try row.decode(T.self)
        } catch {
            throw EventQueryError(.corruptRow, "unexpected row shape: \(error)", underlying: error)
        }
    }
}

/// Builds parameterised SQL: `bind` appends a value and returns its `$n` placeholder.
struct SQLBuilder {
    var bindings = PostgresBindings()
    var conditions: [String] = []

    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) -> String {
        // Encoding UUID/String/Int64/[UUID]/[String] cannot fail.
        try? bindings.append(value)
        return "$\(bindings.count)"
    }

    var whereClause: String {
        conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }
}

/// SQL fragments shared by every event query.
enum EventSQL {
    /// UTC, microseconds, `Z`: the wire format, produced by the server so no precision is lost.
    static func timestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    /// The columns ``row(_:)`` decodes, optionally qualified by a table alias.
    static func columns(_ alias: String = "events") -> String {
        let a = alias
        return """
            \(a).position, \(a).event_id, \(a).event_type, \(timestamp("\(a).\"timestamp\"")), \(a).version, \
            \(a).source::text, \(a).correlation_ids, \(a).agent_context::text, \(a).payload::text, \(a).workflow_id
            """
    }

    /// Decodes one row selected with ``columns(_:)`` into a canonical event.
    static func row(_ row: PostgresRow) throws -> StoredEvent {
        let position: Int64
        let eventID: UUID
        let eventType: String
        let timestamp: String
        let version: String
        let source: String
        let correlationIDs: [UUID]
        let agentContext: String?
        let payload: String
        let workflowID: UUID?
        do {
            (
                position, eventID, eventType, timestamp, version, source, correlationIDs, agentContext, payload,
                workflowID
            ) = try row.decode(
                (Int64, UUID, String, String, String, String, [UUID], String?, String, UUID?).self)
        } catch {
            throw EventQueryError(.corruptRow, "unexpected event row shape: \(error)", underlying: error)
        }
        do {
            let object: JSONObject = [
                "event_id": .string(BloodbankUUID.format(eventID)),
                "event_type": .string(eventType),
                "timestamp": .string(timestamp),
                "version": .string(version),
                "source": try JSONValue(parsing: source),
                "correlation_ids": .array(correlationIDs.map { .string(BloodbankUUID.format($0)) }),
                "agent_context": try agentContext.map { try JSONValue(parsing: $0) } ?? .null,
                "payload": try JSONValue(parsing: payload),
            ]
            return StoredEvent(
                position: position, envelope: try EventEnvelope(jsonValue: .object(object)), workflowID: workflowID)
        } catch {
            throw EventQueryError(
                .corruptRow, "stored event \(eventID) at position \(position) is not a valid envelope: \(error)",
                underlying: error)
        }
    }
}

extension EventQueryError {
    /// Wraps a database failure, keeping PostgreSQL's own message.
    static func database(_ error: any Error) -> EventQueryError {
        if let error = error as? EventQueryError { return error }
        // SQLSTATE class 22 (data exception) means a value was rejected, not that the database is down; the
        // parsers should have caught it, but it must never surface as a 5xx.
        if let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState], state.hasPrefix("22") {
            return EventQueryError(
                .invalidParameter,
                "a parameter value was rejected by the database: \(EventStoreError.serverMessage(error))",
                underlying: error)
        }
        return EventQueryError(
            .databaseUnavailable, "database query failed: \(EventStoreError.serverMessage(error))", underlying: error)
    }
}
