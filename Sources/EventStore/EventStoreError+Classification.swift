import PostgresNIO

extension EventStoreError {
    /// Whether retrying the same operation later may succeed (database down, connection lost, server shutting
    /// down, serialization failure); the Event Store Manager then retries the whole batch instead of
    /// dead-lettering it, which is safe because the writer is idempotent on `event_id`.
    public var isTransient: Bool { code == .databaseUnavailable }
}

/// How the writer treats a database error.
package enum DatabaseErrorKind: Equatable, Sendable {
    /// The data itself is unacceptable to the database (SQLSTATE class 22, 23514, 54000): isolate the event.
    case poison(reason: String)
    /// Retrying later may succeed (connection, shutdown, serialization, resources).
    case transient
    /// Anything else: a bug or a schema mismatch; retrying the same batch will fail the same way.
    case permanent
}

extension DatabaseErrorKind {
    /// Classifies an error thrown by postgres-nio (or anything else) for the writer.
    package static func classify(_ error: any Error) -> DatabaseErrorKind {
        if let error = error as? EventStoreError {
            return error.isTransient ? .transient : .permanent
        }
        // A cancelled write (shutdown) was rolled back; the batch is retried on the next run.
        if error is CancellationError { return .transient }
        guard let psql = error as? PSQLError else { return .permanent }
        guard psql.code == .server else {
            switch psql.code {
            case .clientClosedConnection, .serverClosedConnection, .connectionError, .uncleanShutdown, .poolClosed,
                .queryCancelled, .sslUnsupported, .failedToAddSSLHandler:
                return .transient
            default:
                return .permanent
            }
        }
        let sqlState = psql.serverInfo?[.sqlState] ?? ""
        let message = psql.serverInfo?[.message] ?? "\(psql.code)"
        return classify(sqlState: sqlState, message: message)
    }

    /// Whether the connection is gone (a FATAL server error such as 57P01, or a client-side connection error),
    /// so the transaction is already discarded and no `ROLLBACK` must be sent.
    package static func connectionIsLost(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError else { return false }
        guard psql.code == .server else { return classify(error) == .transient }
        let severity = psql.serverInfo?[.severity] ?? psql.serverInfo?[.localizedSeverity] ?? ""
        return severity == "FATAL" || severity == "PANIC"
    }

    /// Classifies a server error by its SQLSTATE (pure, so it is unit-tested without a server).
    package static func classify(sqlState: String, message: String) -> DatabaseErrorKind {
        let errorClass = sqlState.prefix(2)
        switch errorClass {
        case "22":
            return .poison(reason: poisonReason(sqlState: sqlState, message: message))
        case "08", "53", "58":
            return .transient
        default:
            break
        }
        switch sqlState {
        case "23514", "54000":
            return .poison(reason: poisonReason(sqlState: sqlState, message: message))
        // admin/crash/cannot-connect-now shutdowns, lock/statement timeouts, serialization failure, deadlock,
        // database dropped, read-only replica after failover.
        case "57P01", "57P02", "57P03", "57P05", "57014", "55P03", "40001", "40P01", "25006":
            return .transient
        default:
            return .permanent
        }
    }

    /// The dead-letter reason for a rejected event: the server's own message plus the SQLSTATE.
    package static func poisonReason(sqlState: String, message: String) -> String {
        "the database rejected the event: \(message) (SQLSTATE \(sqlState))"
    }
}

extension EventStoreError {
    /// Wraps a database error for the caller: transient ones as ``Code/databaseUnavailable`` (retry the batch),
    /// everything else as ``Code/writeFailed``.
    static func wrapping(_ error: any Error, while activity: String) -> EventStoreError {
        if let error = error as? EventStoreError { return error }
        let message = "\(activity): \(serverMessage(error))"
        switch DatabaseErrorKind.classify(error) {
        case .transient:
            return EventStoreError(.databaseUnavailable, message, underlying: error)
        case .poison, .permanent:
            return EventStoreError(.writeFailed, message, underlying: error)
        }
    }
}
