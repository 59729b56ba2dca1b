import Foundation
import Testing

@testable import BloodbankModel

/// A small deterministic generator (SplitMix64) so property tests are reproducible from a seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

enum Fixtures {
    /// The wire examples produced by the real Python model, one JSON document per line.
    static func wireExampleLines() throws -> [String] {
        let url = try #require(
            Bundle.module.url(forResource: "wire-examples", withExtension: "jsonl", subdirectory: "Fixtures")
        )
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

/// Builds a valid envelope line around a payload, for catalogue tests.
func envelopeLine(eventType: String, payload: String) -> String {
    """
    {"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"\(eventType)",\
    "timestamp":"2026-01-11T14:30:00.123456Z","version":"1.0.0",\
    "source":{"host":"h","type":"agent","app":null,"meta":null},"correlation_ids":[],"agent_context":null,\
    "payload":\(payload)}
    """
}

/// Expects `body` to throw a `BloodbankModelError` with the given code and reason.
func expectError(
    _ code: BloodbankModelError.Code,
    _ reason: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(BloodbankModelError) -> Void
) {
    do throws(BloodbankModelError) {
        try body()
        Issue.record("expected \(code.rawValue): \(reason), but nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, sourceLocation: sourceLocation)
        #expect(error.reason == reason, sourceLocation: sourceLocation)
    }
}

/// Expects `body` to throw a `BloodbankModelError` with the given code (any reason).
func expectErrorCode(
    _ code: BloodbankModelError.Code,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(BloodbankModelError) -> Void
) {
    do throws(BloodbankModelError) {
        try body()
        Issue.record("expected \(code.rawValue), but nothing was thrown", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "\(error.reason)", sourceLocation: sourceLocation)
    }
}
