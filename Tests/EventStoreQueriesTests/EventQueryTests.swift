import BloodbankModel
import Foundation
import PostgresNIO
import Testing

@testable import EventStore
@testable import EventStoreQueries

@Suite struct EventTypePatternTests {
    @Test func wildcardMatchesAnyRun() throws {
        let pattern = try EventTypePattern("bmad.workflow.*")
        #expect(pattern.matches("bmad.workflow.phase.completed"))
        #expect(pattern.matches("bmad.workflow.started"))
        #expect(!pattern.matches("bmad.workflo"))
        #expect(!pattern.matches("agent.handoff.accepted"))
        #expect(try EventTypePattern("*.completed").matches("bmad.workflow.completed"))
        #expect(try EventTypePattern("a*b*c").matches("axxbyyc"))
        #expect(!(try EventTypePattern("a*b*c").matches("axxbyy")))
        #expect(try EventTypePattern("*").matches("anything.at_all"))
    }

    @Test func hashMatchesZeroOrMoreWords() throws {
        let bmad = try EventTypePattern("bmad.#")
        #expect(bmad.matches("bmad"))
        #expect(bmad.matches("bmad.workflow.started"))
        #expect(!bmad.matches("bmadx.workflow"))
        #expect(!bmad.isExact)
        let completed = try EventTypePattern("#.completed")
        #expect(completed.matches("completed"))
        #expect(completed.matches("agent.letta.task.completed"))
        #expect(!completed.matches("agent.letta.task.uncompleted"))
        let middle = try EventTypePattern("a.#.z")
        #expect(middle.matches("a.z"))
        #expect(middle.matches("a.b.c.z"))
        #expect(!middle.matches("a.bz"))
        #expect(try EventTypePattern("#").matches("any.thing"))
        #expect(try EventTypePattern("#.#").matches("one"))
        #expect(try EventTypePattern("a.#.*.z").matches("a.b.z"))
        // `#` inside a word is a literal character: event types have none, so it matches nothing.
        #expect(!(try EventTypePattern("bmad.wo#rk").matches("bmad.work")))
        #expect(try EventTypePattern("bmad.wo#rk").isExact)
    }

    @Test func hashPatternsBecomeAnchoredRegularExpressionsWithALiteralPrefix() throws {
        #expect(try EventTypePattern("bmad.#").regularExpression == #"^bmad(\..+)?$"#)
        #expect(try EventTypePattern("bmad.#").literalPrefix == "bmad")
        #expect(try EventTypePattern("#.completed").regularExpression == #"^(.+\.)?completed$"#)
        #expect(try EventTypePattern("#.completed").literalPrefix == "")
        #expect(try EventTypePattern("a.#.z*").regularExpression == #"^a(\..+)?\.z.*$"#)
        #expect(try EventTypePattern("#").regularExpression == "^.*$")
    }

    @Test func exactPatternsMatchOnlyThemselves() throws {
        let pattern = try EventTypePattern("agent.handoff.accepted")
        #expect(pattern.isExact)
        #expect(pattern.matches("agent.handoff.accepted"))
        #expect(!pattern.matches("agent.handoff.accepted2"))
    }

    @Test func likePatternEscapesUnderscoreAndPercent() throws {
        #expect(try EventTypePattern("a.b_c.*").likePattern == #"a.b\_c.%"#)
        #expect(try EventTypePattern("x.*.y").likePattern == "x.%.y")
    }

    @Test func listSplitsOnCommasAndRejectsBadCharacters() throws {
        #expect(try EventTypePattern.list("a.b, c.*,,").map(\.text) == ["a.b", "c.*"])
        #expect(try EventTypePattern.list(" , a.b ,c.*").map(\.text) == ["a.b", "c.*"])
        // Only U+0020 is trimmed: the document's pattern allows spaces around items and nothing else.
        #expect(throws: EventQueryError.self) { try EventTypePattern.list("a.b,\tc.d") }
        #expect(throws: EventQueryError.self) { try EventTypePattern.list("a.b,\u{A0}c.d") }
        #expect(throws: EventQueryError.self) { try EventTypePattern.list("a.b,DROP TABLE") }
        do {
            _ = try EventTypePattern.list("a.%")
            Issue.record("expected an error")
        } catch {
            #expect(error.parameter == "event_type")
            #expect(error.message.hasPrefix("event_type:"))
        }
    }
}

@Suite struct EventQueryParsingTests {
    @Test func defaults() throws {
        let query = try EventQuery(parameters: [:])
        #expect(query.limit == 100)
        #expect(query.offset == 0)
        #expect(query.order == .ascending)
        #expect(!query.includeTotalCount)
        #expect(!query.hasFilters)
    }

    @Test func limitBoundaries() throws {
        #expect(try EventQuery(parameters: ["limit": "1000"]).limit == 1000)
        #expect(try EventQuery(parameters: ["limit": "1"]).limit == 1)
        for bad in ["1001", "0", "-1", "ten", ""] {
            do {
                _ = try EventQuery(parameters: ["limit": bad])
                Issue.record("limit=\(bad) accepted")
            } catch {
                #expect(error.code == .invalidParameter)
                #expect(error.parameter == "limit")
                #expect(error.message.contains("limit"))
            }
        }
    }

    @Test func parsesEveryFilter() throws {
        let workflow = UUID()
        let parent = UUID()
        let query = try EventQuery(parameters: [
            "workflow_id": workflow.uuidString,  // uppercase accepted
            "correlation_id": parent.uuidString.lowercased(),
            "event_type": "bmad.workflow.*,agent.handoff.accepted",
            "since": "2026-01-11T14:30:00+02:00",
            "until": "2026-01-12",
            "agent": "bmad-architect",
            "offset": "20",
            "after": "42",
            "order": "desc",
            "count": "true",
        ])
        #expect(query.workflowID == workflow)
        #expect(query.correlationID == parent)
        #expect(query.eventTypes.map(\.text) == ["bmad.workflow.*", "agent.handoff.accepted"])
        #expect(query.startTime?.description == "2026-01-11T12:30:00.000000Z")
        #expect(query.endTime?.description == "2026-01-12T00:00:00.000000Z")
        #expect(query.agent == "bmad-architect")
        #expect(query.offset == 20)
        #expect(query.after == 42)
        #expect(query.order == .descending)
        #expect(query.includeTotalCount)
        #expect(query.hasFilters)
    }

    @Test func startTimeWinsOverItsAlias() throws {
        let query = try EventQuery(parameters: ["start_time": "2026-01-01T00:00:00Z", "since": "2027-01-01"])
        #expect(query.startTime?.description == "2026-01-01T00:00:00.000000Z")
    }

    @Test(arguments: [
        ("workflow_id", "not-a-uuid"), ("correlation_id", "123"), ("start_time", "yesterday"),
        ("end_time", "2026-13-01T00:00:00Z"), ("since", "2026-01-01T25:00:00Z"), ("offset", "-5"),
        ("after", "-1"), ("after", "x"), ("order", "sideways"), ("count", "maybe"),
        // Found by schemathesis: the document says enum asc|desc and boolean, so nothing else is accepted.
        ("order", "DESC"), ("count", "1"), ("count", "yes"), ("count", "True"),
        // Found by schemathesis: U+0000–U+001F and U+007F–U+009F (category Cc) are not text.
        ("agent", ""), ("agent", "a\u{85}b"), ("agent", String(repeating: "x", count: 256)),
    ])
    func badParameterIsNamed(name: String, value: String) {
        do {
            _ = try EventQuery(parameters: [name: value])
            Issue.record("\(name)=\(value) accepted")
        } catch {
            #expect(error.code == .invalidParameter)
            #expect(error.parameter == name)
            #expect(error.message.hasPrefix("\(name):"))
        }
    }

    /// Found by schemathesis: lengths were counted in UTF-8 bytes, so a 200-character name with accents (which
    /// the document's `maxLength: 255` and PostgreSQL's `varchar(255)` accept) was a 400.
    @Test func textLengthCountsCharactersNotBytes() throws {
        let accented = String(repeating: "é", count: 255)
        #expect(accented.utf8.count == 510)
        #expect(try EventQuery(parameters: ["agent": accented]).agent == accented)
        #expect(throws: EventQueryError.self) {
            try EventQuery(parameters: ["agent": accented + "é"])
        }
    }

    /// Found by schemathesis: an alias was not validated when the main name was also given, so
    /// `start_time=<valid>&since=<garbage>` was accepted.
    @Test func aliasesAreValidatedEvenWhenTheMainNameWins() {
        do {
            _ = try EventQuery(parameters: ["start_time": "2026-01-01T00:00:00Z", "since": "garbage"])
            Issue.record("accepted")
        } catch {
            #expect(error.parameter == "since")
        }
        do {
            _ = try WorkflowQuery(parameters: ["project": "p", "project_name": ""])
            Issue.record("accepted")
        } catch {
            #expect(error.parameter == "project_name")
        }
    }

    /// `+02:00` typed into a URL unencoded reaches the parser as ` 02:00` (form decoding); it still means +02:00.
    @Test func unencodedPlusInAnOffsetIsRepaired() throws {
        let query = try EventQuery(parameters: ["start_time": "2026-01-11T14:30:00 02:00"])
        #expect(query.startTime?.description == "2026-01-11T12:30:00.000000Z")
        #expect(throws: EventQueryError.self) {
            try EventQuery(parameters: ["start_time": "2026-01-11 14:30:00 02:00"])
        }
    }

    @Test func invertedRangeIsUnprocessable() {
        do {
            _ = try EventQuery(parameters: ["start_time": "2026-02-01", "end_time": "2026-01-01"])
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidRange)
        }
    }

    @Test func listSQLUsesEqualityForExactTypesAndLikeForPatterns() throws {
        let query = try EventQuery(parameters: ["event_type": "a.b,c.d,e.*", "order": "desc", "after": "9"])
        let (sql, bindings) = EventStoreReader.listSQL(query)
        #expect(sql.contains("event_type = ANY($1)"))
        #expect(sql.contains("event_type LIKE $2"))
        #expect(sql.contains("position < $3"))
        #expect(sql.contains("ORDER BY position DESC"))
        #expect(bindings.count == 4)
    }
}

@Suite struct WorkflowQueryParsingTests {
    @Test func parsesFilters() throws {
        let query = try WorkflowQuery(parameters: ["project": "candystore", "phase": "planning", "count": "true"])
        #expect(query.projectName == "candystore")
        #expect(query.phase == "planning")
        #expect(query.includeTotalCount)
        #expect(try WorkflowQuery(parameters: ["active": "true"]).status == "active")
        #expect(try WorkflowQuery(parameters: ["active": "false"]).status == "!active")
        #expect(try WorkflowQuery(parameters: ["status": "completed"]).status == "completed")
    }

    @Test(arguments: [
        ("phase", "lunch"), ("status", "paused"), ("limit", "1001"), ("active", "perhaps"), ("active", "0"),
        ("project", "a\u{1}b"), ("project_name", ""),
    ])
    func rejectsUnknownValues(name: String, value: String) {
        do {
            _ = try WorkflowQuery(parameters: [name: value])
            Issue.record("accepted")
        } catch {
            #expect(error.parameter == name)
        }
    }
}
