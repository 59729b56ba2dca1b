import BloodbankModel
import Foundation
import Testing

/// Issue 14: every input is bounded — bodies by size, names by length and characters, reasons by bytes.
@Suite struct MessageLimitsTests {
    @Test func aBodyOverTheLimitIsTooLargeBeforeItIsParsed() throws {
        let validator = EventValidator(limits: MessageLimits(maximumEventBytes: 1024))
        // Not even JSON: the size check comes first, so nothing of it is parsed.
        let error = try #require(validator.result(bytes: [UInt8](repeating: 0x7B, count: 1025)).failure)
        #expect(error.code == .tooLarge)
        #expect(error.reason == "the message is 1025 bytes; the limit is 1024 bytes (MAX_EVENT_BYTES)")
        let small = try EventEnvelope(eventType: "demo.small", payload: ["a": 1])
        #expect((try? validator.validate(bytes: small.encodedBytes())) != nil)
        #expect(EventValidator().limits == .default)
        #expect(MessageLimits.default.maximumEventBytes == 1 << 20)
    }

    @Test func reasonsAreCutOnACharacterBoundaryWithTheirSize() {
        let limits = MessageLimits(maximumReasonBytes: 200)
        #expect(limits.reason("short") == "short")
        let long = String(repeating: "é", count: 500)  // 2 bytes each: 1000 bytes
        let cut = limits.reason(long)
        #expect(cut.utf8.count <= 200)
        #expect(cut.hasSuffix(" … [truncated: 1000 bytes in all]"))
        #expect(cut.hasPrefix("éé"))
        #expect(String(validating: Array(cut.utf8), as: UTF8.self) != nil)
        // Exactly at the limit: unchanged.
        let exact = String(repeating: "a", count: 200)
        #expect(limits.reason(exact) == exact)
        // A limit below the minimum is raised to it (room for the marker).
        #expect(MessageLimits(maximumReasonBytes: 1).maximumReasonBytes == MessageLimits.minimumReasonBytes)
        #expect(MessageLimits.truncated(String(repeating: "z", count: 10_000), maxBytes: 10).contains("10000 bytes"))
    }

    @Test func agentNamesMustBeNonEmptyPrintableAndShort() throws {
        let validator = EventValidator()
        func handoff(to name: JSONValue) throws -> Result<ValidatedEvent, BloodbankModelError> {
            let envelope = try EventEnvelope(
                eventType: "bmad.workflow.handoff.requested",
                payload: ["workflow_id": .string(BloodbankUUID.format(UUID())), "from_agent": "pm", "to_agent": name])
            return validator.result(bytes: envelope.encodedBytes())
        }
        #expect(try handoff(to: "letta-python-dev").failure == nil)
        #expect(try handoff(to: "dév 2").failure == nil)
        let empty = try #require(try handoff(to: "").failure)
        #expect(empty.code == .invalidPayload)
        #expect(empty.reason.hasPrefix("payload.to_agent: expected a name"))
        #expect(empty.reason.hasSuffix("got an empty string"))
        let control = try #require(try handoff(to: "a\u{0007}b").failure)
        #expect(control.reason.hasSuffix("got a control character"))
        let long = try #require(try handoff(to: .string(String(repeating: "n", count: 201))).failure)
        #expect(long.reason.hasSuffix("got 201 characters"))
        #expect(try handoff(to: .string(String(repeating: "n", count: 200))).failure == nil)
        #expect(try handoff(to: 7).failure?.reason.contains("got number") == true)
    }
}

extension Result {
    /// The error, if this is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
