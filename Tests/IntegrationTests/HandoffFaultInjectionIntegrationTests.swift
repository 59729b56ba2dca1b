import Bloodbank
import BloodbankModel
import CandystoreTestSupport
import Foundation
import LettaBridge
import LettaClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly one outcome per accepted handoff whatever dies when (issue 13): real `candystore letta-bridge`
/// processes on the real RabbitMQ and Letta, SIGKILLed (by themselves, `LETTA_BRIDGE_FAULT_POINT`) at the points
/// of the issue — before accepting, after accepting and before the task is sent, while the agent's turn runs,
/// after the outcome is published but before the ack — and restarted; the last life runs two bridges at once.
@Suite(.serialized) struct HandoffFaultInjectionIntegrationTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Handoffs in the run (`HANDOFF_FAULT_COUNT`, default 50).
    static var count: Int {
        ProcessInfo.processInfo.environment["HANDOFF_FAULT_COUNT"].flatMap(Int.init) ?? 50
    }

    @Test func everyHandoffGetsExactlyOneAcceptanceAndOneCompletedOutcomeWhateverDiesWhen() async throws {
        try await BridgeHarness.with { harness in
            let binary = Self.repository.appendingPathComponent(".build/debug/candystore").path
            try #require(FileManager.default.isExecutableFile(atPath: binary), "build the candystore binary first")
            var environment = ProcessInfo.processInfo.environment
            environment["BLOODBANK_EXCHANGE"] = harness.topology.exchange
            environment["BLOODBANK_DLX"] = harness.topology.deadLetterExchange
            environment["BLOODBANK_QUEUE_PREFIX"] = harness.topology.queuePrefix
            environment["LETTA_BRIDGE_PORT"] = "0"
            environment["LETTA_BRIDGE_CONCURRENCY"] = "4"
            environment["LETTA_BRIDGE_RETRY_MAX_SECONDS"] = "1"
            environment["LETTA_BRIDGE_MAX_ATTEMPTS"] = "1000"
            environment["LETTA_BRIDGE_RESUME_GRACE_SECONDS"] = "15"
            environment["LOG_LEVEL"] = "warning"
            let base = environment
            let logs = FileManager.default.temporaryDirectory.appendingPathComponent("fault-\(harness.id)").path
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            var lives = 0
            @Sendable func launch(fault: String?, life: Int) throws -> ChildProcess {
                var settings = base
                settings["LETTA_BRIDGE_FAULT_POINT"] = fault
                return try ChildProcess.spawn(
                    binary, ["letta-bridge"], environment: settings, currentDirectory: Self.repository.path,
                    standardError: "\(logs)/bridge-\(life).log")
            }

            // Each handoff's model answer is held 1 s, so kills land while turns run.
            let handoffs = (0..<Self.count).map { index in
                harness.handoff(task: "Fault-injection task \(index) of \(harness.id) DELAY_MODEL=1")
            }
            for handoff in handoffs { try await harness.publish(handoff) }
            // A few published twice (a producer's retried publish): the copies may meet in two processes.
            for handoff in handoffs.prefix(3) { try await harness.publish(handoff) }
            let ids = handoffs.map(\.eventID)
            @Sendable func finished() async throws -> Int {
                let outcomes = Set(
                    try await harness.capture().filter {
                        $0.envelope.eventType == TaskCompletedPayload.eventType
                            || $0.envelope.eventType == TaskBlockedPayload.eventType
                    }.map(\.envelope.eventID))
                return ids.filter { outcomes.contains(DerivedEventID.outcome(of: $0)) }.count
            }

            // Lives that kill themselves at each point in turn (n-th arrival, 1–4), then two bridges at once.
            let stages = LettaBridgeConfiguration.FaultPoint.Stage.allCases
            var generator = SplitMix64(seed: 0x13)
            var kills: [String] = []
            let deadline = ContinuousClock.now + .seconds(600)
            while try await finished() < ids.count, lives < 4 * stages.count, ContinuousClock.now < deadline {
                let stage = stages[lives % stages.count]
                let fault = "\(stage.rawValue):\(Int.random(in: 1...4, using: &generator))"
                lives += 1
                let bridge = try launch(fault: fault, life: lives)
                // It kills itself at the fault point; if the work runs out first, stop it the hard way too.
                let life = ContinuousClock.now + .seconds(120)
                var ended: ChildProcess.Termination?
                while ended == nil, ContinuousClock.now < life {
                    var status: Int32 = 0
                    if waitpid(bridge.pid, &status, WNOHANG) == bridge.pid {
                        ended = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
                    } else if try await finished() == ids.count {
                        break
                    } else {
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
                if ended == nil {
                    bridge.kill(SIGKILL)
                    ended = try await bridge.wait()
                }
                kills.append("\(fault) → \(ended.map(\.description) ?? "?")")
            }
            // The rest with two bridge processes at once, no faults.
            let pair = [try launch(fault: nil, life: 100), try launch(fault: nil, life: 101)]
            do {
                try await harness.waitUntil(timeout: .seconds(600), "every handoff's outcome") {
                    try await finished() == ids.count
                }
                // Every handoff remembered as done by Letta (then acknowledged), before the pair is stopped.
                try await harness.waitUntil(timeout: .seconds(120), "every handoff's done tag") {
                    let done = try await harness.letta.listAgents(tags: ["candystore"], limit: 1000).filter {
                        $0.tags.contains { $0.hasPrefix("bloodbank-done:") }
                    }
                    let tags = Set(done.flatMap(\.tags))
                    return ids.allSatisfy { tags.contains(LettaBridge.doneTag($0)) }
                }
            } catch {
                for bridge in pair { bridge.kill(SIGKILL) }
                for bridge in pair { _ = try? await bridge.wait() }
                throw error
            }
            for bridge in pair { bridge.kill(SIGTERM) }
            for bridge in pair { #expect(try await bridge.wait() == .exited(0)) }
            #expect(kills.filter { $0.hasSuffix("killed by signal 9") }.count >= stages.count, "\(kills)")

            // Per handoff: one acceptance id and one outcome id (completed), all descendants of the handoff; one
            // agent per handoff.
            let events = try await harness.capture()
            var recovered = 0
            for handoff in ids {
                let acceptance = DerivedEventID.acceptance(of: handoff)
                let related = events.filter {
                    $0.envelope.correlationIDs.contains(handoff) || $0.envelope.correlationIDs.contains(acceptance)
                }
                let acceptances = Set(
                    related.filter { $0.envelope.eventType == HandoffAcceptedPayload.eventType }.map(\.envelope.eventID)
                )
                #expect(acceptances == [acceptance])
                let outcomes = related.filter {
                    [TaskCompletedPayload.eventType, TaskBlockedPayload.eventType].contains($0.envelope.eventType)
                }
                #expect(Set(outcomes.map(\.envelope.eventID)) == [DerivedEventID.outcome(of: handoff)])
                #expect(outcomes.allSatisfy { $0.envelope.eventType == TaskCompletedPayload.eventType })
                #expect(outcomes.allSatisfy { $0.envelope.correlationIDs == [acceptance] })
                let agents = try await harness.agents(of: handoff)
                #expect(agents.count == 1, "agents of \(handoff): \(agents.map(\.id))")
                #expect(agents.first?.tags.contains(LettaBridge.doneTag(handoff)) == true)
                if related.contains(where: { $0.envelope.eventType == SessionRecoveryStartedPayload.eventType }) {
                    recovered += 1
                }
            }
            print(
                "fault injection: \(ids.count) handoffs, \(recovered) recovered; lives: \(kills.joined(separator: "; "))"
            )
            // Kills during turns and after outcomes leave accepted work behind: some handoffs were recovered.
            #expect(recovered > 0)
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
            #expect(try await harness.drain(harness.topology.lettaDeadLetterQueueName).isEmpty)
            try? FileManager.default.removeItem(atPath: logs)
        }
    }
}
