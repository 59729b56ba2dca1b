import Bloodbank
import BloodbankModel
import CandystoreOps
import Foundation
import LettaBridge
import LettaClient
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Letta down when a handoff arrives: nothing is lost, and the handoff is accepted once Letta is back.
///
/// Stops and starts the shared Letta server (`scripts/letta stop|start`), so it runs with the other outage
/// suites, alone (`scripts/test outage`), never beside the integration suites. Letta is started again whatever
/// happens in the test.
@Suite(.serialized) struct LettaBridgeOutageTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `scripts/letta <action>`; throws when it fails.
    static func letta(_ action: String) async throws {
        try await ChildProcess.run(repository.appendingPathComponent("scripts/letta").path, [action])
    }

    /// Stops Letta, runs `body`, and starts Letta again, also when `body` throws.
    static func withLettaStopped<T: Sendable>(
        _ body: (_ restart: @Sendable () async throws -> Void) async throws -> T
    ) async throws -> T {
        try await letta("stop")
        do {
            let result = try await body { try await letta("start") }
            try await letta("start")  // idempotent: a no-op when the body restarted it
            return result
        } catch {
            try? await letta("start")
            throw error
        }
    }

    @Test func aHandoffArrivingWhileLettaIsDownIsAcceptedOnceLettaIsBack() async throws {
        try await BridgeHarness.with { harness in
            var letta = try BridgeHarness.lettaConfiguration()
            letta.requestTimeout = .seconds(2)  // a refused connection is reported at the call's deadline
            // Effectively unlimited attempts, at most 1 s apart: the bridge waits for Letta.
            let configuration = harness.bridgeConfiguration(
                maxAttempts: 10_000, initialDelay: .milliseconds(200), maximumDelay: .seconds(1))
            let handoff = harness.handoff()
            try await Self.withLettaStopped { restart in
                try await harness.runningBridge(configuration: configuration, letta: letta) {
                    try await harness.publish(handoff)
                    try await Task.sleep(for: .seconds(5))
                    // Nothing accepted, nothing dead-lettered; the handoff is held by the bridge, unacknowledged
                    // (the management API counts ready + unacknowledged; its statistics lag a few seconds).
                    #expect(
                        try await harness.capture().map(\.envelope.eventType) == [HandoffRequestedPayload.eventType])
                    #expect(try await harness.drain(harness.topology.lettaDeadLetterQueueName).isEmpty)
                    try await harness.waitUntil(timeout: .seconds(20), "the handoff counted in the queue") {
                        try await harness.management.queue(named: harness.topology.lettaQueueName)?.messages == 1
                    }
                    #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
                    #expect(try await harness.captured(HandoffAcceptedPayload.eventType).isEmpty)

                    try await restart()
                    try await harness.waitUntil(timeout: .seconds(120), "acceptance and outcome after the restart") {
                        try await !harness.captured(TaskCompletedPayload.eventType).isEmpty
                    }
                }
            }
            let agents = try await harness.agents(of: handoff.eventID)
            #expect(agents.count == 1)
            let acceptances = try await harness.captured(HandoffAcceptedPayload.eventType)
            #expect(acceptances.map(\.envelope.eventID) == [DerivedEventID.acceptance(of: handoff.eventID)])
            guard case .handoffAccepted(let payload)? = acceptances.first?.typedPayload else {
                Issue.record("no acceptance")
                return
            }
            #expect(payload.sessionID == agents.first?.id)
            let outcome = try #require(try await harness.captured(TaskCompletedPayload.eventType).first)
            #expect(outcome.envelope.correlationIDs == [DerivedEventID.acceptance(of: handoff.eventID)])
            #expect(try await harness.captured(TaskBlockedPayload.eventType).isEmpty)
            #expect(try await harness.drain(harness.topology.lettaDeadLetterQueueName).isEmpty)
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
        }
    }
}
