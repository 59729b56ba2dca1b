import Foundation
import PostgresNIO
import Testing

@testable import EventStore

@Suite struct MigrationFileTests {
    private func directory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return url
    }

    @Test func loadsPairsInVersionOrder() throws {
        let url = try directory([
            "0002_second.up.sql": "B", "0002_second.down.sql": "b",
            "0001_first.up.sql": "A", "0001_first.down.sql": "a",
            "README.md": "ignored",
        ])
        let migrations = try Migration.load(from: url)
        #expect(migrations.map(\.version) == [1, 2])
        #expect(migrations.map(\.name) == ["first", "second"])
        #expect(migrations[1].upSQL == "B" && migrations[1].downSQL == "b")
    }

    @Test func rejectsAnUpWithoutDown() throws {
        let url = try directory(["0001_first.up.sql": "A"])
        #expect(throws: EventStoreError.self) { try Migration.load(from: url) }
    }

    @Test func rejectsADownWithoutUp() throws {
        let url = try directory(["0001_first.up.sql": "A", "0001_first.down.sql": "a", "0002_x.down.sql": "x"])
        let error = try #require(throws: EventStoreError.self) { try Migration.load(from: url) }
        #expect(error.code == .invalidMigrationFile)
        #expect(error.message.contains("0002_x.down.sql"))
    }

    @Test func rejectsDuplicateVersionsAndBadNames() throws {
        let duplicate = try directory([
            "0001_a.up.sql": "A", "0001_a.down.sql": "a", "0001_b.up.sql": "B", "0001_b.down.sql": "b",
        ])
        #expect(throws: EventStoreError.self) { try Migration.load(from: duplicate) }
        let badName = try directory(["first.up.sql": "A", "first.down.sql": "a"])
        #expect(throws: EventStoreError.self) { try Migration.load(from: badName) }
        let badSuffix = try directory(["0001_first.sql": "A"])
        #expect(throws: EventStoreError.self) { try Migration.load(from: badSuffix) }
        #expect(throws: EventStoreError.self) {
            try Migration.load(from: URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)"))
        }
    }

    @Test func checksumChangesWithContentAndIsStable() {
        #expect(Migration.checksum(of: "CREATE TABLE t ()") == Migration.checksum(of: "CREATE TABLE t ()"))
        #expect(Migration.checksum(of: "CREATE TABLE t ()") != Migration.checksum(of: "CREATE TABLE u ()"))
        #expect(Migration.checksum(of: "").count == 16)
        #expect(Migration.checksum(of: "") == "cbf29ce484222325")
    }
}

@Suite struct MigrationPlanTests {
    let one = Migration(version: 1, name: "one", upSQL: "A", downSQL: "a")
    let two = Migration(version: 2, name: "two", upSQL: "B", downSQL: "b")
    let date = Date(timeIntervalSince1970: 1_700_000_000)

    private func applied(_ migration: Migration, checksum: String? = nil) -> AppliedMigration {
        AppliedMigration(
            version: migration.version, name: migration.name, checksum: checksum ?? migration.checksum, appliedAt: date)
    }

    @Test func cleanHistoryHasNoProblems() {
        let statuses = MigrationPlan.status(files: [one, two], history: [applied(one)])
        #expect(statuses.map(\.state) == [.applied(at: date), .pending])
        #expect(MigrationPlan.problems(in: statuses).isEmpty)
    }

    @Test func editedAppliedMigrationIsDirty() {
        let statuses = MigrationPlan.status(files: [one], history: [applied(one, checksum: "0000000000000000")])
        #expect(statuses.map(\.state) == [.modified(at: date)])
        #expect(MigrationPlan.problems(in: statuses).first?.contains("edited") == true)
    }

    @Test func appliedMigrationWithoutFileIsDirty() {
        let statuses = MigrationPlan.status(files: [one], history: [applied(one), applied(two)])
        #expect(statuses.last?.state == .missingFile(at: date))
        #expect(MigrationPlan.problems(in: statuses).count == 1)
    }

    @Test func pendingMigrationBelowAnAppliedOneIsDirty() {
        let statuses = MigrationPlan.status(files: [one, two], history: [applied(two)])
        #expect(statuses.map(\.state) == [.pending, .applied(at: date)])
        #expect(MigrationPlan.problems(in: statuses).first?.contains("pending but a later one") == true)
    }
}

@Suite struct DatabaseConfigurationTests {
    @Test func parsesAFullURL() throws {
        let configuration = try DatabaseConfiguration(
            url: "postgresql://us%40er:p%3Ass@db.example.com:6543/event%5Fstore?sslmode=require", poolSize: 7)
        #expect(configuration.host == "db.example.com")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "us@er")
        #expect(configuration.password == "p:ss")
        #expect(configuration.database == "event_store")
        #expect(configuration.tls == .require)
        #expect(configuration.poolSize == 7)
        #expect(configuration.redactedURL == "postgres://us@er:***@db.example.com:6543/event_store?sslmode=require")
    }

    @Test func defaultsTLSByHost() throws {
        #expect(try DatabaseConfiguration(url: "postgres://u@127.0.0.1/db").tls == .disable)
        #expect(try DatabaseConfiguration(url: "postgres://u@db.internal/db").tls == .prefer)
        #expect(try DatabaseConfiguration(url: "postgres://u@127.0.0.1/db").port == 5432)
    }

    @Test(arguments: [
        "mysql://u@h/db", "postgres://u@h", "postgres://h/db", "postgres://u@/db", "not a url",
        "postgres://u@h/db?sslmode=bogus",
    ])
    func rejectsMalformedURLs(_ url: String) {
        #expect(throws: EventStoreError.self) { try DatabaseConfiguration(url: url) }
    }

    @Test func withDatabaseKeepsTheRest() throws {
        let configuration = try DatabaseConfiguration(url: "postgres://u:p@127.0.0.1:5435/a")
        let other = configuration.with(database: "b")
        #expect(other.database == "b" && other.port == 5435 && other.password == "p")
    }

    @Test func buildsDriverConfigurations() throws {
        let configuration = try DatabaseConfiguration(url: "postgres://u:p@127.0.0.1:5435/a", poolSize: 3)
        let connection = try configuration.connectionConfiguration()
        #expect(connection.host == "127.0.0.1" && connection.port == 5435 && connection.database == "a")
        let client = configuration.clientConfiguration
        #expect(client.options.maximumConnections == 3)
    }
}
