public import Foundation

/// One versioned schema change: `NNNN_name.up.sql` and its inverse `NNNN_name.down.sql`.
public struct Migration: Sendable, Equatable {
    /// The numeric prefix; migrations apply in ascending order.
    public var version: Int64
    /// The name part of the file name (`event_store` in `0001_event_store.up.sql`).
    public var name: String
    /// The forward SQL script.
    public var upSQL: String
    /// The inverse SQL script.
    public var downSQL: String
    /// FNV-1a 64 of the up script: detects an applied migration whose file was edited afterwards.
    public var checksum: String { Self.checksum(of: upSQL) }

    /// Creates a migration from its parts.
    public init(version: Int64, name: String, upSQL: String, downSQL: String) {
        self.version = version
        self.name = name
        self.upSQL = upSQL
        self.downSQL = downSQL
    }

    /// Hex FNV-1a 64-bit hash of the text's UTF-8 bytes (not cryptographic: it guards against edits, not attacks).
    public static func checksum(of text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Loads every migration in `directory`; each up file needs its down file and versions must be unique.
    public static func load(from directory: URL) throws -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw EventStoreError(
                .invalidMigrationFile, "cannot read migrations directory \(directory.path)", underlying: error)
        }
        var ups: [Int64: (name: String, file: String)] = [:]
        var downs: [Int64: String] = [:]
        for file in names where file.hasSuffix(".sql") {
            let direction: String
            let stem: Substring
            if file.hasSuffix(".up.sql") {
                direction = "up"
                stem = file.dropLast(".up.sql".count)
            } else if file.hasSuffix(".down.sql") {
                direction = "down"
                stem = file.dropLast(".down.sql".count)
            } else {
                throw EventStoreError(.invalidMigrationFile, "\(file): name must end in .up.sql or .down.sql")
            }
            guard let underscore = stem.firstIndex(of: "_"), let version = Int64(stem[..<underscore]), version > 0
            else {
                throw EventStoreError(.invalidMigrationFile, "\(file): name must be NNNN_name.\(direction).sql")
            }
            let name = String(stem[stem.index(after: underscore)...])
            if direction == "up" {
                if let existing = ups[version] {
                    throw EventStoreError(
                        .invalidMigrationFile, "version \(version) is used twice (\(existing.file), \(file))")
                }
                ups[version] = (name, file)
            } else {
                if downs[version] != nil {
                    throw EventStoreError(.invalidMigrationFile, "version \(version) has two down files")
                }
                downs[version] = file
            }
        }
        for version in downs.keys where ups[version] == nil {
            throw EventStoreError(.invalidMigrationFile, "\(downs[version]!) has no matching up file")
        }
        return try ups.keys.sorted().map { version in
            let up = ups[version]!
            guard let downFile = downs[version] else {
                throw EventStoreError(.invalidMigrationFile, "\(up.file) has no matching down file")
            }
            return Migration(
                version: version,
                name: up.name,
                upSQL: try read(directory.appendingPathComponent(up.file)),
                downSQL: try read(directory.appendingPathComponent(downFile))
            )
        }
    }

    private static func read(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw EventStoreError(.invalidMigrationFile, "cannot read \(url.path)", underlying: error)
        }
    }
}

/// A row of the `schema_migrations` history table.
public struct AppliedMigration: Sendable, Equatable {
    /// The migration's version.
    public var version: Int64
    /// Its name when it was applied.
    public var name: String
    /// Checksum of the up script that was applied.
    public var checksum: String
    /// When it was applied.
    public var appliedAt: Date
}

/// The state of one migration as `migrate status` shows it.
public struct MigrationStatus: Sendable, Equatable {
    /// Where a migration stands.
    public enum State: Sendable, Equatable {
        /// Applied, and the file still matches.
        case applied(at: Date)
        /// On disk, not applied yet.
        case pending
        /// Applied, but the up file changed since.
        case modified(at: Date)
        /// Recorded as applied, but no file on disk has this version.
        case missingFile(at: Date)
    }

    /// The migration's version.
    public var version: Int64
    /// The migration's name.
    public var name: String
    /// Where it stands.
    public var state: State
}

/// Compares files with history: the pure part of the migration runner, testable without a database.
public enum MigrationPlan {
    /// One status per version found on disk or in the history, ascending.
    public static func status(files: [Migration], history: [AppliedMigration]) -> [MigrationStatus] {
        let byVersion = Dictionary(uniqueKeysWithValues: files.map { ($0.version, $0) })
        let applied = Dictionary(uniqueKeysWithValues: history.map { ($0.version, $0) })
        return Set(byVersion.keys).union(applied.keys).sorted().map { version in
            switch (byVersion[version], applied[version]) {
            case (let file?, let row?):
                let state: MigrationStatus.State =
                    file.checksum == row.checksum ? .applied(at: row.appliedAt) : .modified(at: row.appliedAt)
                return MigrationStatus(version: version, name: file.name, state: state)
            case (let file?, nil):
                return MigrationStatus(version: version, name: file.name, state: .pending)
            case (nil, let row?):
                return MigrationStatus(version: version, name: row.name, state: .missingFile(at: row.appliedAt))
            case (nil, nil):
                preconditionFailure("version from neither set")
            }
        }
    }

    /// Problems that make the history dirty (the runner refuses to run while any exist), as sentences.
    public static func problems(in statuses: [MigrationStatus]) -> [String] {
        var problems: [String] = []
        let highestApplied = statuses.filter { $0.state != .pending }.map(\.version).max() ?? 0
        for status in statuses {
            switch status.state {
            case .modified:
                problems.append(
                    "migration \(status.version) (\(status.name)) was edited after it was applied; restore the file"
                )
            case .missingFile:
                problems.append("migration \(status.version) (\(status.name)) is applied but its file is missing")
            case .pending where status.version < highestApplied:
                problems.append(
                    "migration \(status.version) (\(status.name)) is pending but a later one (\(highestApplied)) is applied"
                )
            default:
                break
            }
        }
        return problems
    }
}
