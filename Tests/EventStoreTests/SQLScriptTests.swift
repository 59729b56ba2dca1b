import Foundation
import Testing

@testable import EventStore

@Suite struct SQLScriptTests {
    @Test func splitsOnTopLevelSemicolons() {
        #expect(SQLScript.statements(in: "SELECT 1; SELECT 2;\n\nSELECT 3") == ["SELECT 1", "SELECT 2", "SELECT 3"])
    }

    @Test func dropsEmptyAndCommentOnlyStatements() {
        #expect(SQLScript.statements(in: ";;  -- nothing here\n; /* nor here */ ;") == [])
    }

    @Test func keepsSemicolonsInsideStringsAndIdentifiers() {
        let script = "INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT \"odd;name\" FROM t"
        #expect(
            SQLScript.statements(in: script) == [
                "INSERT INTO t VALUES ('a;b', 'it''s;')", "SELECT \"odd;name\" FROM t",
            ])
    }

    @Test func escapeStringsHonourBackslashes() {
        let script = "SELECT E'a\\';b'; SELECT 2"
        #expect(SQLScript.statements(in: script) == ["SELECT E'a\\';b'", "SELECT 2"])
    }

    @Test func keepsDollarQuotedBodiesWhole() {
        let script = """
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 2; $body$;
            SELECT $1::int
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 3)
        #expect(statements[0].hasSuffix("END; $$"))
        #expect(statements[1].hasSuffix("SELECT 2; $body$"))
        #expect(statements[2] == "SELECT $1::int")
    }

    @Test func ignoresSemicolonsInComments() {
        let script = "SELECT 1 -- a; b\n; /* c; /* nested; */ d; */ SELECT 2"
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 2)
        #expect(statements[0] == "SELECT 1 -- a; b")
        #expect(statements[1].hasSuffix("SELECT 2"))
    }

    @Test func unterminatedConstructsDoNotCrash() {
        #expect(SQLScript.statements(in: "SELECT 'open").count == 1)
        #expect(SQLScript.statements(in: "SELECT $$ open").count == 1)
        #expect(SQLScript.statements(in: "SELECT /* open").count == 1)
    }

    @Test func theRealFirstMigrationSplitsIntoItsStatements() throws {
        let migrations = try Migration.load(from: TestPaths.migrations)
        let first = try #require(migrations.first)
        let statements = SQLScript.statements(in: first.upSQL)
        #expect(statements.filter { $0.contains("CREATE TABLE") }.count == 3)
        #expect(statements.contains { $0.contains("CREATE FUNCTION events_reject_update") && $0.hasSuffix("$$") })
        #expect(SQLScript.statements(in: first.downSQL).count == 4)
    }
}

enum TestPaths {
    /// The repository's migrations directory, found from this file's location.
    static let migrations = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations")
}
