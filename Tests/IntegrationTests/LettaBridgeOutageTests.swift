import BloodbankModel
import Foundation
import LettaBridge
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
        let script = repository.appendingPathComponent("scripts/letta").path
        let status = try await CleanSpawn.run(script, [action])
        guard status == 0 else { throw ManagerOutageTests.OutageError("\(script) \(action) exited \(status)") }
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

/// Runs a program the way a shell would: all signals unblocked and SIGTERM, SIGINT, SIGQUIT, SIGPIPE, SIGCHLD at
/// their default disposition, stdout and stderr inherited.
///
/// Foundation's `Process` hands the test thread's blocked signal mask on to the child, so daemons started from
/// it (the Letta server, by `scripts/letta start`) ignore SIGTERM; and on Linux its `waitUntilExit()` was seen
/// to hang with the script already exited. This uses `posix_spawn` and polls `waitpid`.
enum CleanSpawn {
    static func run(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, nil, &attributes, argv, environ)
        guard spawned == 0 else {
            throw ManagerOutageTests.OutageError("posix_spawn \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result == -1 && errno != EINTR {
                throw ManagerOutageTests.OutageError("waitpid \(executable): \(String(cString: strerror(errno)))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        // WIFEXITED / WEXITSTATUS; a signal-terminated child reports 128 + the signal, as a shell does.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
