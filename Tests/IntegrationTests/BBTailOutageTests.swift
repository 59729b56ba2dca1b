import BloodbankModel
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `bb tail` through an API restart: it reconnects by itself and resumes after the last position it printed.
///
/// Stops and starts the stack's API (`scripts/service stop|start api`), so it runs with the other outage suites,
/// alone (`scripts/test outage`). The API is started again whatever happens in the test.
@Suite(.serialized, .timeLimit(.minutes(10))) struct BBTailOutageTests {
    typealias H = BBClientHarness

    /// `scripts/service ACTION api`, never building (`swift test` holds the build lock: a build would wait for
    /// it forever).
    static func service(_ action: String) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["CANDYSTORE_NO_BUILD"] = "1"
        try await ChildProcess.run(
            H.repository.appendingPathComponent("scripts/service").path, [action, "api"], environment: environment)
    }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test func tailJSONThroughAnAPIRestartPrintsEveryEventOnceInPositionOrder() async throws {
        let workflow = UUID()
        let total = 2000
        let envelopes = (0..<total).map { index in
            H.event("bbtest.burst.event", workflow: workflow, extra: ["index": .number(JSONNumber(index))])
        }
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("bbtail-\(UUID().uuidString)").path
        let child = try ChildProcess.spawn(
            H.bb, ["tail", "--workflow", BloodbankUUID.format(workflow), "-o", "json", "--count", String(total)],
            currentDirectory: H.repository.path, standardOutput: base + ".out", standardError: base + ".err")
        var finished = false
        defer {
            if !finished { child.kill(SIGKILL) }
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        var deadline = ContinuousClock.now + .seconds(60)
        while !Self.read(base + ".err").contains("live after position") {
            try #require(ContinuousClock.now < deadline, "bb tail never connected: \(Self.read(base + ".err"))")
            try await Task.sleep(for: .milliseconds(100))
        }

        // First half while the API runs; wait until bb printed some of it, so the restart is mid-stream.
        try await H.publish(Array(envelopes[..<(total / 2)]))
        deadline = ContinuousClock.now + .seconds(120)
        while Self.read(base + ".out").split(separator: "\n").isEmpty {
            try #require(ContinuousClock.now < deadline, "no event printed: \(Self.read(base + ".err"))")
            try await Task.sleep(for: .milliseconds(50))
        }
        // Stop the API, publish the second half while it is down (the manager stores it), start it again.
        do {
            try await Self.service("stop")
            try await H.publish(Array(envelopes[(total / 2)...]))
            try await Self.service("start")
        } catch {
            try? await Self.service("start")
            throw error
        }

        // bb exits by itself after --count events (generous bound: the machine is shared).
        deadline = ContinuousClock.now + .seconds(300)
        var status: ChildProcess.Termination?
        while status == nil {
            var raw: Int32 = 0
            let result = waitpid(child.pid, &raw, WNOHANG)
            if result == child.pid {
                status = (raw & 0x7f) == 0 ? .exited((raw >> 8) & 0xff) : .signalled(raw & 0x7f)
                break
            }
            try #require(ContinuousClock.now < deadline, "bb tail did not finish: \(Self.read(base + ".err"))")
            try await Task.sleep(for: .milliseconds(100))
        }
        finished = true
        #expect(status == .exited(0), "\(Self.read(base + ".err"))")
        let errors = Self.read(base + ".err")
        #expect(errors.contains("reconnecting"), "the restart was seen: \(errors)")

        let lines = Self.read(base + ".out").split(separator: "\n").map(String.init)
        #expect(lines.count == total)
        var positions: [Int64] = []
        var ids: [String] = []
        for line in lines {
            let event = try JSONValue(parsing: Array(line.utf8))
            positions.append(event["position"]?.numberValue?.int64Value ?? -1)
            ids.append(event["event_id"]?.stringValue ?? "")
        }
        #expect(
            positions == positions.sorted() && Set(positions).count == positions.count, "position order, no duplicate")
        #expect(Set(ids) == Set(envelopes.map { BloodbankUUID.format($0.eventID) }), "every event exactly once")
        #expect(ids.count == Set(ids).count)
    }
}
