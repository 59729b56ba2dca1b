import Bloodbank
import BloodbankModel
import Foundation
import LettaBridge
import LettaClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Letta killed (SIGKILL, a crash: a graceful stop would let the turn finish) while an agent's turn runs and
/// started again: the accepted handoff still gets its one outcome (issue 13). Kills the stack's own Letta (its
/// pid file under `.dev/letta/run`) and restarts it with `scripts/letta start`, so it runs with the outage suites,
/// alone; Letta is started again whatever happens.
@Suite(.serialized) struct HandoffRecoveryOutageTests {
    /// SIGKILLs the Letta server of this stack (by its pid file) and waits until it is gone.
    static func crashLetta() async throws {
        let dev =
            ProcessInfo.processInfo.environment["CANDYSTORE_DEV_DIR"]
            ?? LettaBridgeOutageTests.repository.appendingPathComponent(".dev").path
        let text = try String(contentsOfFile: "\(dev)/letta/run/letta.pid", encoding: .utf8)
        let pid = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        _ = kill(pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(30)
        while kill(pid, 0) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
    }

    @Test func lettaRestartedMidTurnStillGivesTheOneOutcome() async throws {
        try await BridgeHarness.with { harness in
            var letta = try BridgeHarness.lettaConfiguration()
            letta.requestTimeout = .seconds(2)
            var configuration = harness.bridgeConfiguration(
                maxAttempts: 10_000, initialDelay: .milliseconds(200), maximumDelay: .seconds(1))
            configuration.resumeGrace = .seconds(3)
            let handoff = harness.handoff(task: "Survive a Letta restart \(harness.id) DELAY_MODEL=8")
            try await harness.publish(handoff)
            try await harness.runningBridge(configuration: configuration, letta: letta) {
                try await harness.waitUntil(timeout: .seconds(60), "the initial checkpoint") {
                    try await !harness.captured(CheckpointSavedPayload.eventType).isEmpty
                }
                try await Task.sleep(for: .seconds(1))
                do {
                    try await Self.crashLetta()
                    try await Task.sleep(for: .seconds(2))
                    #expect(try await harness.captured(TaskCompletedPayload.eventType).isEmpty)
                    try await LettaBridgeOutageTests.letta("start")
                } catch {
                    try? await LettaBridgeOutageTests.letta("start")
                    throw error
                }
                try await harness.waitUntil(timeout: .seconds(180), "the outcome after Letta's restart") {
                    try await !harness.captured(TaskCompletedPayload.eventType).isEmpty
                }
            }
            let outcomes = try await harness.capture().filter {
                [TaskCompletedPayload.eventType, TaskBlockedPayload.eventType].contains($0.envelope.eventType)
            }
            #expect(Set(outcomes.map(\.envelope.eventID)) == [DerivedEventID.outcome(of: handoff.eventID)])
            #expect(outcomes.allSatisfy { $0.envelope.eventType == TaskCompletedPayload.eventType })
            let recoveries = try await harness.captured(SessionRecoveryStartedPayload.eventType)
            #expect(!recoveries.isEmpty)
            guard case .recoveryStarted(let started)? = recoveries.first?.typedPayload else {
                Issue.record("no recovery event")
                return
            }
            #expect(started.reason.hasPrefix("Letta failed during the agent's turn"), "\(started.reason)")
            let resumed = try await harness.captured(TaskResumedPayload.eventType)
            #expect(!resumed.isEmpty)
            #expect(try await harness.agents(of: handoff.eventID).count == 1)
            #expect(try await harness.drain(harness.topology.lettaDeadLetterQueueName).isEmpty)
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
        }
    }
}
