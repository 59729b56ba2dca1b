import Foundation
import LettaBridge
import LettaClient
import Testing

/// The bridge's in-process guards against duplicate handoffs, and how it names a failed agent lookup.
@Suite struct LettaBridgeGateTests {
    @Test func copiesOfOneHandoffRunOneAfterTheOtherAndOthersDoNotWait() async throws {
        let gate = HandoffGate()
        let handoff = UUID()
        let log = Log()
        await gate.enter(handoff)
        let second = Task {
            await gate.enter(handoff)
            await log.append("second entered")
            await gate.leave(handoff)
        }
        // Another handoff is not held up by the first.
        let other = UUID()
        await gate.enter(other)
        await gate.leave(other)
        try await Task.sleep(for: .milliseconds(200))
        await log.append("first leaves")
        await gate.leave(handoff)
        await second.value
        #expect(await log.lines == ["first leaves", "second entered"])
    }

    @Test func finishedHandoffsAreRememberedUpToTheLimit() async {
        let gate = HandoffGate(memory: 2)
        let (a, b, c) = (UUID(), UUID(), UUID())
        #expect(await !gate.isFinished(a))
        await gate.markFinished(a)
        await gate.markFinished(a)
        await gate.markFinished(b)
        #expect(await gate.isFinished(a))
        #expect(await gate.isFinished(b))
        await gate.markFinished(c)
        #expect(await !gate.isFinished(a))
        #expect(await gate.isFinished(b))
        #expect(await gate.isFinished(c))
    }

    @Test func aRetryableLookupFailureIsLettaUnavailableOtherwiseLettaRefused() {
        let refused = LettaBridge.lookupFailure(
            LettaClientError(code: .connectionFailed, message: "connection refused"), attempts: 8)
        #expect(refused.code == "letta_unavailable")
        #expect(refused.reason == "Letta unavailable after 8 attempts: connection refused")
        let invalid = LettaBridge.lookupFailure(
            LettaClientError(code: .badRequest, message: "body.name: too long", httpStatus: 422), attempts: 8)
        #expect(invalid.code == "letta_error")
        #expect(invalid.reason == "Letta refused the agent: body.name: too long")
    }

    @Test func racingBridgesAllKeepTheOldestAgent() throws {
        func agent(_ id: String, _ created: String?) throws -> LettaAgent {
            let createdAt = created.map { #""created_at": "\#($0)","# } ?? ""
            let json = #"{"id": "\#(id)", "name": "dev", "tags": [], \#(createdAt) "memory": {"blocks": []}}"#
            return try JSONDecoder().decode(LettaAgent.self, from: Data(json.utf8))
        }
        let early = try agent("agent-b", "2026-01-11T14:30:00.000001")
        let late = try agent("agent-a", "2026-01-11T14:30:00.000002")
        let tie = try agent("agent-0", "2026-01-11T14:30:00.000001")
        #expect(LettaBridge.oldest([late, early])?.id == "agent-b")
        #expect(LettaBridge.oldest([early, late])?.id == "agent-b")
        #expect(LettaBridge.oldest([early, tie, late])?.id == "agent-0")
        #expect(LettaBridge.oldest([]) == nil)
    }

    actor Log {
        var lines: [String] = []
        func append(_ line: String) { lines.append(line) }
    }
}
