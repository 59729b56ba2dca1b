import CandystoreOps
import CandystoreTestSupport
import EventStore
import Foundation
import PostgresNIO
import Testing

/// Names of the shared scratch databases (no server needed).
@Suite struct ScratchDatabaseTests {
    /// Every call gets a new name; it carries the test's name and stays a valid unquoted identifier.
    @Test func namesAreUniquePerCallAndNameTheTest() {
        let first = ScratchDatabase.name(for: "slowClientIsEvictedWithAnErrorFrame()")
        let second = ScratchDatabase.name(for: "slowClientIsEvictedWithAnErrorFrame()")
        #expect(first != second)
        for name in [first, second] {
            #expect(name.hasPrefix("candystore_test_"))
            #expect(name.contains("_slowclientisevicted"))
            #expect(name.utf8.count <= 63)
            #expect(name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        }
        #expect(ScratchDatabase.name(for: "weird Name-with.dots(x:)").hasSuffix("_weird_name_with_dots"))
    }
}

/// The shared scratch-database helper against the real PostgreSQL.
@Suite struct ScratchDatabaseIntegrationTests {
    /// The cause of the flaky first run: an autovacuum worker in the scratch database when it is dropped. The
    /// old helper's `DROP DATABASE … WITH (FORCE)` then fails with 42501 (the owner may not terminate the worker)
    /// and the test failed with a `PSQLError` from `withScratchDatabase`. The helper's plain `DROP` ends the
    /// worker itself. A table whose autovacuum is throttled to a crawl keeps a worker in the database until then.
    @Test(.timeLimit(.minutes(5))) func dropsTheDatabaseWhileAnAutovacuumWorkerIsInIt() async throws {
        let name = try await IntegrationEnvironment.withScratchDatabase { database in
            for sql in [
                """
                CREATE TABLE churn (g int, m text)
                    WITH (autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)
                """,
                "INSERT INTO churn SELECT g, md5(g::text) FROM generate_series(1, 200000) g",
                "DELETE FROM churn WHERE g % 2 = 0",
            ] {
                _ = try await IntegrationEnvironment.rows(sql, in: database)
            }
            // Sessions of other roles: the autovacuum worker (the launcher visits each database once per
            // autovacuum_naptime, 60 s by default).
            let others = """
                SELECT count(*)::int FROM pg_stat_activity
                WHERE datname = current_database() AND usename IS DISTINCT FROM current_user
                """
            let deadline = ContinuousClock.now + .seconds(200)
            var workers = 0
            while workers == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                workers = try await IntegrationEnvironment.rows(others, in: database)[0].decode(Int.self)
            }
            try #require(workers > 0, "no autovacuum worker came within 200 s")
            // What the old helper did, and why it failed.
            let admin = database.with(database: "postgres")
            let error = await #expect(throws: PSQLError.self) {
                _ = try await IntegrationEnvironment.rows("DROP DATABASE \(database.database) WITH (FORCE)", in: admin)
            }
            #expect(error?.serverInfo?[.sqlState] == "42501")
            return database.database
        }
        let admin = IntegrationEnvironment.configuration.database.with(database: "postgres")
        let left = try await IntegrationEnvironment.rows(
            "SELECT count(*)::int FROM pg_database WHERE datname = '\(name)'", in: admin)
        #expect(try left[0].decode(Int.self) == 0)
    }
}
