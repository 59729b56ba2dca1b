import PostgresNIO

/// The one error type of the EventStore module: a stable, extensible code plus a human message.
///
/// Callers switch on ``code`` (never on the message); the API layer maps codes to HTTP statuses.
public struct EventStoreError: Error, CustomStringConvertible, Sendable {
    /// A stable error category; new codes may be added, so switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }

        /// A configuration value (e.g. `DATABASE_URL`) is malformed.
        public static let invalidConfiguration = Code("invalid_configuration")
        /// A migration file is missing, misnamed or unreadable.
        public static let invalidMigrationFile = Code("invalid_migration_file")
        /// The recorded migration history disagrees with the files on disk (edited, missing, out of order, dirty).
        public static let dirtyHistory = Code("dirty_history")
        /// Another migration runner holds the migration lock.
        public static let migrationLocked = Code("migration_locked")
        /// A migration statement failed; the migration's transaction was rolled back.
        public static let migrationFailed = Code("migration_failed")
        /// The database could not be reached or a query failed for a transient reason.
        public static let databaseUnavailable = Code("database_unavailable")
        /// A batch write or projection rebuild failed for a reason that retrying will not fix (a bug or a schema
        /// mismatch); the transaction was rolled back and nothing was stored.
        public static let writeFailed = Code("write_failed")

        /// The code as a short snake_case string.
        public var description: String { raw }
    }

    /// What went wrong, as a category.
    public var code: Code
    /// A sentence for humans (logs, CLI output).
    public var message: String
    /// The error that caused this one, if any.
    public var underlying: (any Error)?

    /// Creates an error with a code, message and optional cause.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// A readable message for any database error: PostgreSQL's own message for server errors (postgres-nio
    /// hides it from `description`), the wrapped message for ``EventStoreError``, the description otherwise.
    public static func serverMessage(_ error: any Error) -> String {
        if let error = error as? EventStoreError { return error.message }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return message }
            if let underlying = psql.underlying { return "\(psql.code): \(underlying)" }
            return "\(psql.code)"
        }
        return "\(error)"
    }

    /// `code: message (underlying)`.
    public var description: String {
        if let underlying {
            return "\(code): \(message) (\(String(reflecting: underlying)))"
        }
        return "\(code): \(message)"
    }
}
