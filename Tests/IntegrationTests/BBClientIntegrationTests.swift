import BloodbankModel
import Foundation
import LettaClient
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `bb` as the terminal client (issue 12) on the running stack (`scripts/dev up`: manager, API, Letta bridge,
/// Letta with the model stub): wait, tail, trace, publish, the queries and the error lines.
@Suite(.serialized, .timeLimit(.minutes(10))) struct BBClientIntegrationTests {
    typealias H = BBClientHarness

    /// Publishes a handoff with `bb publish` as a skill does, and returns its id.
    static func publishHandoff(task: String, workflow: UUID = UUID()) async throws -> String {
        let payload =
            #"{"workflow_id":"\#(BloodbankUUID.format(workflow))","from_agent":"bmad-architect","to_agent":"letta-python-dev","task":"\#(task)"}"#
        let run = try await H.bb([
            "publish", "bmad.workflow.handoff.requested", "--payload", payload, "--source-app", "bmad",
        ])
        try #require(run.status == 0, "bb publish failed: \(run.errors)")
        #expect(!run.errors.contains("warning"), "a catalogue type must not warn: \(run.errors)")
        return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Deletes the Letta agent a handoff created (the events stay).
    static func deleteAgent(_ sessionID: String?) async {
        guard let sessionID, let configuration = try? IntegrationEnvironment.lettaConfiguration() else { return }
        try? await LettaClient(configuration: configuration).deleteAgent(id: sessionID)
    }

    // MARK: - bb wait

    @Test func waitReturnsZeroAndTheSummaryForACompletedHandoff() async throws {
        let marker = "wait-ok-\(UUID().uuidString.prefix(8))"
        let id = try await Self.publishHandoff(task: "Summarise the story \(marker)")
        let run = try await H.bb(["wait", id, "--timeout", "3m"])
        #expect(run.status == 0, "bb wait: \(run.errors)")
        // The model stub's reply quotes the task: that is the agent's summary.
        #expect(run.output.contains(marker), "summary: \(run.output)")
        #expect(run.errors.contains("accepted by agent-"), "progress: \(run.errors)")
        // -o json: the outcome event as stored, now that it exists (returns at once).
        let json = try await H.bb(["wait", id, "-o", "json", "--timeout", "1m", "--quiet"])
        #expect(json.status == 0)
        let outcome = try JSONValue(parsing: Array(json.output.utf8))
        #expect(outcome["event_type"] == "agent.letta.task.completed")
        #expect(outcome["payload"]?["task_id"]?.stringValue == id)
        #expect(outcome["position"]?.numberValue != nil)
        let stored = try await H.get("\(try H.apiBase())/api/v1/events/\(outcome["event_id"]?.stringValue ?? "")")
        #expect(Array(json.output.utf8.dropLast()) == stored.body, "-o json is the stored envelope byte for byte")
        await Self.deleteAgent(outcome["agent_context"]?["instance_id"]?.stringValue)
    }

    @Test func waitReturnsOneAndTheReasonForABlockedHandoff() async throws {
        // The model stub fails a turn whose message contains FAIL_MODEL: the bridge reports the task blocked.
        let id = try await Self.publishHandoff(task: "FAIL_MODEL on purpose \(UUID().uuidString.prefix(8))")
        let run = try await H.bb(["wait", id, "--timeout", "3m"])
        #expect(run.status == 1, "bb wait: \(run.output) \(run.errors)")
        #expect(run.output.contains("the agent failed"), "reason: \(run.output)")
        #expect(run.errors.contains("blocked"), "\(run.errors)")
        #expect(!run.errors.contains("Error:"), "one line, no wrapper: \(run.errors)")
        let json = try await H.bb(["wait", id, "-o", "json", "--quiet"])
        #expect(json.status == 1)
        let outcome = try JSONValue(parsing: Array(json.output.utf8))
        #expect(outcome["event_type"] == "agent.letta.task.blocked")
        await Self.deleteAgent(outcome["payload"]?["session_id"]?.stringValue)
    }

    @Test func waitExits124OnTimeout() async throws {
        // A stored handoff the bridge never sees (published under a routing key outside its binding): no outcome.
        let handoff = H.event(
            "bmad.workflow.handoff.requested", workflow: UUID(),
            extra: ["from_agent": "bmad-architect", "to_agent": "letta-python-dev", "task": "never delivered"])
        try await H.publish([handoff], routingKey: "bbtest.unrouted.handoff")
        try await H.waitStored([handoff.eventID])
        let run = try await H.bb(["wait", BloodbankUUID.format(handoff.eventID), "--timeout", "3s"])
        #expect(run.status == 124, "\(run.errors)")
        #expect(run.errors.contains("no outcome for handoff"), "\(run.errors)")
        #expect(run.output.isEmpty)
        // An id that is never stored: the store wait is cut by the overall timeout too.
        let unknown = try await H.bb(["wait", BloodbankUUID.format(UUID()), "--timeout", "2s", "--store-timeout", "1m"])
        #expect(unknown.status == 124, "\(unknown.errors)")
        // … and with a shorter store timeout it is an unknown id: exit 1 naming it.
        let missing = try await H.bb(["wait", BloodbankUUID.format(UUID()), "--store-timeout", "1s"])
        #expect(missing.status == 1)
        #expect(missing.errors.contains("check the id"), "\(missing.errors)")
    }

    // MARK: - bb publish

    @Test func publishWarnsAboutAnUnknownTypeRefusesItWithStrictAndWaitsUntilStored() async throws {
        let workflow = BloodbankUUID.format(UUID())
        let payload =
            #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"letta-python-dev","task":"typo"}"#
        let strict = try await H.bb(["publish", "bmad.workflow.handoff.request", "--payload", payload, "--strict"])
        #expect(strict.status == 1)
        #expect(strict.errors.contains("did you mean bmad.workflow.handoff.requested?"), "\(strict.errors)")
        #expect(strict.output.isEmpty, "refused before publishing")

        let loose = try await H.bb(["publish", "bmad.workflow.handoff.request", "--payload", payload, "--wait-stored"])
        #expect(loose.status == 0, "\(loose.errors)")
        #expect(loose.errors.contains("warning: event type 'bmad.workflow.handoff.request' is not in the catalogue"))
        #expect(loose.errors.contains("did you mean bmad.workflow.handoff.requested?"))
        #expect(loose.errors.contains("stored at position "), "\(loose.errors)")
        // --wait-stored returned: the event is readable now, without any retry.
        let id = loose.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let (status, _) = try await H.get("\(try H.apiBase())/api/v1/events/\(id)")
        #expect(status == 200)

        let json = try await H.bb([
            "publish", "bbtest.publish.event", "--payload", #"{"workflow_id":"\#(workflow)"}"#, "--wait-stored", "-o",
            "json",
        ])
        #expect(json.status == 0, "\(json.errors)")
        let answer = try JSONValue(parsing: Array(json.output.utf8))
        let stored = try await H.json("\(try H.apiBase())/api/v1/events/\(answer["event_id"]?.stringValue ?? "")")
        #expect(stored?["position"] == answer["position"])
    }

    @Test func demoHandoffExitsOneWhenTheTaskEndsBlocked() async throws {
        let run = try await H.bb(["demo", "handoff", "--timeout", "120", "--task", "FAIL_MODEL in the demo"])
        #expect(run.status == 1, "\(run.output) \(run.errors)")
        #expect(run.output.contains("agent.letta.task.blocked"), "the tree is still printed: \(run.output)")
        #expect(run.errors.contains("the task ended blocked"))
        if let last = run.lines.last, last.hasPrefix("Letta agent ") {
            await Self.deleteAgent(String(last.dropFirst("Letta agent ".count).prefix { $0 != ":" }))
        }
    }

    // MARK: - bb tail

    /// A small workflow stored through the bus; returns the envelopes in publish order.
    static func storedWorkflow(_ count: Int = 3) async throws -> (UUID, [EventEnvelope]) {
        let workflow = UUID()
        var events: [EventEnvelope] = []
        for index in 0..<count {
            let type = index == count - 1 ? "bbtest.tail.completed" : "bbtest.tail.step"
            events.append(
                H.event(
                    type, workflow: workflow, parents: events.last.map { [$0.eventID] } ?? [],
                    extra: ["summary": .string("step \(index)")]))
        }
        try await H.publish(events)
        try await H.waitStored(events.map(\.eventID))
        return (workflow, events)
    }

    @Test func tailJSONIsTheStoredEnvelopeByteForByte() async throws {
        let (workflow, events) = try await Self.storedWorkflow()
        let run = try await H.bb(["tail", "--workflow", BloodbankUUID.format(workflow), "--no-follow", "-o", "json"])
        #expect(run.status == 0, "\(run.errors)")
        let lines = run.lines
        try #require(lines.count == events.count, "\(run.output)")
        var previous: Int64 = 0
        for (line, envelope) in zip(lines, events) {
            let event = try JSONValue(parsing: Array(line.utf8))
            #expect(event["event_id"]?.stringValue == BloodbankUUID.format(envelope.eventID))
            let position = try #require(event["position"]?.numberValue?.int64Value)
            #expect(position > previous)
            previous = position
            let stored = try await H.get("\(try H.apiBase())/api/v1/events/\(BloodbankUUID.format(envelope.eventID))")
            #expect(Array(line.utf8) == stored.body)
        }
        // Not a terminal: JSON is the default.
        let plain = try await H.bb(["tail", "--workflow", BloodbankUUID.format(workflow), "--no-follow"])
        #expect(plain.lines == lines)
        // --tail 1 starts with the last matching event; a pattern filters by type ('#' as RabbitMQ writes it).
        let last = try await H.bb([
            "tail", "bbtest.#", "--workflow", BloodbankUUID.format(workflow), "--tail", "1", "--no-follow",
        ])
        #expect(last.lines.count == 1)
        #expect(last.lines.first?.contains(BloodbankUUID.format(events[2].eventID)) == true)
        let steps = try await H.bb([
            "tail", "bbtest.tail.step", "--workflow", BloodbankUUID.format(workflow), "--no-follow",
        ])
        #expect(steps.lines.count == 2)
        // -o raw: the stream frame shape.
        let raw = try await H.bb(["tail", "--workflow", BloodbankUUID.format(workflow), "--no-follow", "-o", "raw"])
        #expect(raw.lines.allSatisfy { $0.hasPrefix(#"{"type":"event","position":"#) })
    }

    @Test func tailPrettyInATerminalIsColouredAndHonoursNoColor() async throws {
        let (workflow, events) = try await Self.storedWorkflow()
        let arguments = ["tail", "--workflow", BloodbankUUID.format(workflow), "--no-follow"]
        let run = try await H.bbInTerminal(arguments)
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        try #require(lines.count == events.count, "\(run.output)")
        #expect(lines.allSatisfy { $0.contains("\u{1B}[") }, "colour on a terminal")
        #expect(lines[2].contains("\u{1B}[32mbbtest.tail.completed"), "a completed type is green: \(lines[2])")
        #expect(lines[0].contains("wf=\(BloodbankUUID.format(workflow).prefix(8))"))
        #expect(lines[0].contains("bb-test"), "the agent")
        #expect(lines[1].contains("step 1"), "the summary")
        let plain = try await H.bbInTerminal(arguments, noColor: true)
        let plainLines = plain.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        #expect(plainLines.count == events.count)
        #expect(!plain.output.contains("\u{1B}["), "NO_COLOR: \(plain.output)")
        let first = try #require(plainLines.first)
        let columns = first.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let stored = try await H.json(
            "\(try H.apiBase())/api/v1/events/\(BloodbankUUID.format(events[0].eventID))")
        #expect(columns.first.flatMap { Int64($0) } == stored?["position"]?.numberValue?.int64Value)
        #expect(columns.contains("bbtest.tail.step"))
    }

    @Test func tailFollowsLiveAndStopsAtTheUntilType() async throws {
        let workflow = UUID()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("bbtail-\(UUID().uuidString)").path
        let child = try ChildProcess.spawn(
            H.bb,
            [
                "tail", "--workflow", BloodbankUUID.format(workflow), "-o", "json", "--until-type",
                "bbtest.tail.completed",
            ],
            currentDirectory: H.repository.path, standardOutput: base + ".out", standardError: base + ".err")
        defer {
            child.kill(SIGKILL)
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        // Wait until it is live (its status line), then publish.
        let deadline = ContinuousClock.now + .seconds(60)
        while !((try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "").contains("live after position") {
            try #require(ContinuousClock.now < deadline, "bb tail never connected")
            try await Task.sleep(for: .milliseconds(100))
        }
        var events: [EventEnvelope] = []
        for type in ["bbtest.tail.step", "bbtest.tail.step", "bbtest.tail.completed", "bbtest.tail.after"] {
            events.append(H.event(type, workflow: workflow, parents: events.last.map { [$0.eventID] } ?? []))
        }
        try await H.publish(events)
        let status = try await child.wait()
        #expect(status == .exited(0))
        let lines = ((try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(lines.count == 3, "stops at the first completed event: \(lines)")
        let errors = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        #expect(errors.contains("resume with: bb tail --workflow \(BloodbankUUID.format(workflow))"), "\(errors)")
        #expect(errors.contains("--after "), "\(errors)")
    }

    // MARK: - bb trace

    /// Publishes `shape` (name → parent names, in order) under one workflow; returns ids by name.
    static func storedGraph(_ shape: [(String, [String])]) async throws -> (UUID, [String: EventEnvelope]) {
        let workflow = UUID()
        var byName: [String: EventEnvelope] = [:]
        var envelopes: [EventEnvelope] = []
        for (name, parents) in shape {
            let type = name == "done" ? "bbtest.trace.completed" : "bbtest.trace.\(name)"
            let envelope = H.event(type, workflow: workflow, parents: parents.compactMap { byName[$0]?.eventID })
            byName[name] = envelope
            envelopes.append(envelope)
        }
        // One by one, so positions follow the list (a parent is always stored before its children).
        for envelope in envelopes {
            try await H.publish([envelope])
            try await H.waitStored([envelope.eventID])
        }
        return (workflow, byName)
    }

    /// Lines of `bb trace` whose text (after the tree drawing) starts with a badge and a type.
    static func nodeLines(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { $0.contains("bbtest.trace.") && !$0.contains("↳") }
    }

    @Test func traceDrawsAChainAFanOutAndADiamondWithEachNodeOnce() async throws {
        // Chain a → b → c.
        let (_, chain) = try await Self.storedGraph([("a", []), ("b", ["a"]), ("c", ["b"])])
        let chainRun = try await H.bb(["trace", BloodbankUUID.format(chain["a"]!.eventID)])
        #expect(chainRun.status == 0, "\(chainRun.errors)")
        let chainLines = Self.nodeLines(chainRun.output)
        #expect(chainLines.count == 3, "\(chainRun.output)")
        #expect(chainLines[0].hasPrefix("• bbtest.trace.a"))
        #expect(chainLines[1].hasPrefix("└─ • bbtest.trace.b"))
        #expect(chainLines[2].hasPrefix("   └─ • bbtest.trace.c"))
        #expect(chainLines[1].contains(" +"), "Δ since the parent: \(chainLines[1])")
        #expect(chainLines[2].contains(BloodbankUUID.format(chain["c"]!.eventID).prefix(8)))

        // Fan-out a → b, c, d.
        let (_, fan) = try await Self.storedGraph([("a", []), ("b", ["a"]), ("c", ["a"]), ("d", ["a"])])
        let fanRun = try await H.bb(["trace", BloodbankUUID.format(fan["a"]!.eventID)])
        let fanLines = Self.nodeLines(fanRun.output)
        #expect(fanLines.count == 4, "\(fanRun.output)")
        #expect(fanLines[1].hasPrefix("├─ • bbtest.trace.b"))
        #expect(fanLines[2].hasPrefix("├─ • bbtest.trace.c"))
        #expect(fanLines[3].hasPrefix("└─ • bbtest.trace.d"))
        #expect(!fanRun.output.contains("also caused by"))

        // Diamond a → b, a → c, (b, c) → done: done once, under b, "also caused by" c.
        let (workflow, diamond) = try await Self.storedGraph([
            ("a", []), ("b", ["a"]), ("c", ["a"]), ("done", ["b", "c"]),
        ])
        let root = BloodbankUUID.format(diamond["a"]!.eventID)
        let run = try await H.bb(["trace", root])
        #expect(run.status == 0)
        let lines = run.output.split(separator: "\n").map(String.init)
        let nodes = Self.nodeLines(run.output)
        #expect(nodes.count == 4, "each node once: \(run.output)")
        #expect(nodes.filter { $0.contains("bbtest.trace.completed") }.count == 1)
        let doneIndex = try #require(lines.firstIndex { $0.contains("bbtest.trace.completed") })
        #expect(lines[doneIndex].contains("└─ ✔ bbtest.trace.completed"), "under b, completed badge: \(run.output)")
        let also = lines[doneIndex + 1]
        #expect(
            also.contains("↳ also caused by bbtest.trace.c \(BloodbankUUID.format(diamond["c"]!.eventID).prefix(8))"),
            "\(run.output)")
        #expect(lines.filter { $0.contains("also caused by") }.count == 1)

        // A workflow id roots the tree at its first event: the same drawing.
        let byWorkflow = try await H.bb(["trace", BloodbankUUID.format(workflow)])
        #expect(Self.nodeLines(byWorkflow.output) == nodes)

        // -o json is the API's graph.
        let json = try await H.bb(["trace", root, "-o", "json"])
        let api = try await H.json("\(try H.apiBase())/api/v1/events/\(root)/descendants?format=graph")
        #expect(try JSONValue(parsing: Array(json.output.utf8)) == api)
        #expect(api?["edges"]?.arrayValue?.count == 4)

        // -o dot draws every edge, and Graphviz parses it (when installed).
        let dot = try await H.bb(["trace", root, "-o", "dot"])
        #expect(dot.output.hasPrefix("digraph causation {"))
        #expect(dot.lines.filter { $0.contains("->") }.count == 4)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID()).dot").path
            try dot.output.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let svg = try await ChildProcess.output("/usr/bin/dot", ["-Tsvg", path])
            #expect(svg.termination == .exited(0), "dot: \(svg.errors)")
            #expect(svg.output.contains("<svg"))
        } else {
            print("graphviz not installed: dot output checked by its edges only")
        }
        let mermaid = try await H.bb(["trace", root, "-o", "mermaid"])
        #expect(mermaid.lines.first == "graph TD")
        #expect(mermaid.lines.filter { $0.contains("-->") }.count == 4)

        // --up from the end: both parents and the root, each once.
        let up = try await H.bb(["trace", BloodbankUUID.format(diamond["done"]!.eventID), "--up"])
        #expect(Self.nodeLines(up.output).count == 4, "\(up.output)")
        #expect(up.output.contains("also led to"), "\(up.output)")

        // --max-nodes cuts the drawing with a line saying so.
        let cut = try await H.bb(["trace", root, "--max-nodes", "2"])
        #expect(Self.nodeLines(cut.output).count == 2)
        #expect(cut.output.contains("… 2 more events not shown (--max-nodes 2)"), "\(cut.output)")
    }

    @Test func traceFollowExitsWithTheOutcome() async throws {
        let id = try await Self.publishHandoff(task: "Trace me \(UUID().uuidString.prefix(8))")
        let run = try await H.bb(["trace", id, "--follow", "--exit-status"])
        #expect(run.status == 0, "\(run.output) \(run.errors)")
        #expect(run.output.contains("agent.letta.task.completed"), "\(run.output)")
        let blocked = try await Self.publishHandoff(task: "FAIL_MODEL trace \(UUID().uuidString.prefix(8))")
        let failed = try await H.bb(["trace", blocked, "--follow", "--exit-status"])
        #expect(failed.status == 1, "\(failed.output) \(failed.errors)")
        #expect(failed.output.contains("agent.letta.task.blocked"))
    }

    // MARK: - Queries

    @Test func queriesPrintTablesOrTheAPIsJSON() async throws {
        let (workflow, events) = try await Self.storedWorkflow()
        let wf = BloodbankUUID.format(workflow)
        let json = try await H.bb(["events", "--workflow", wf, "-o", "json"])
        #expect(json.status == 0, "\(json.errors)")
        let api = try await H.get("\(try H.apiBase())/api/v1/events?workflow_id=\(wf)&limit=100&order=asc")
        #expect(Array(json.output.utf8.dropLast()) == api.body)
        let table = try await H.bb(["events", "--workflow", wf, "-o", "table", "--limit", "2"])
        #expect(table.lines.first?.hasPrefix("POSITION") == true)
        #expect(table.lines.count == 3)
        #expect(table.errors.contains("next page: "), "a full page names the next one: \(table.errors)")
        #expect(table.errors.contains("--after "))
        // The catalogue listing is still there.
        let list = try await H.bb(["events", "list"])
        #expect(list.output.contains("bmad.workflow.handoff.requested"))

        // A real handoff's workflow and session.
        let handoffWorkflow = UUID()
        let id = try await Self.publishHandoff(task: "Query me", workflow: handoffWorkflow)
        let wait = try await H.bb(["wait", id, "-o", "json", "--quiet"])
        let outcome = try JSONValue(parsing: Array(wait.output.utf8))
        let session = try #require(outcome["agent_context"]?["instance_id"]?.stringValue)
        let shown = try await H.bb(["workflow", BloodbankUUID.format(handoffWorkflow), "-o", "table"])
        #expect(shown.status == 0, "\(shown.errors)")
        #expect(shown.output.contains("handoffs (1)"), "\(shown.output)")
        #expect(shown.output.contains("bmad-architect → letta-python-dev  completed"), "\(shown.output)")
        let workflows = try await H.bb(["workflows", "-o", "json", "--limit", "5"])
        #expect(try JSONValue(parsing: Array(workflows.output.utf8)).arrayValue != nil)
        let sessionRun = try await H.bb(["session", session, "-o", "json"])
        #expect(sessionRun.status == 0, "\(sessionRun.errors)")
        let sessionJSON = try JSONValue(parsing: Array(sessionRun.output.utf8))
        #expect(sessionJSON["session"]?["session_id"]?.stringValue == session)
        #expect((sessionJSON["events"]?.arrayValue?.count ?? 0) >= 1)
        _ = events
        await Self.deleteAgent(session)
    }

    // MARK: - Errors

    @Test func errorsAreOneLineNamingWhatToFix() async throws {
        let down = try await H.bb(["events", "--api", "http://127.0.0.1:9"])
        #expect(down.status == 1)
        #expect(down.errors.contains("the Event Store API at http://127.0.0.1:9 is not reachable"), "\(down.errors)")
        #expect(down.errors.split(separator: "\n").count == 1, "one line: \(down.errors)")

        let unknown = try await H.bb(["trace", BloodbankUUID.format(UUID())])
        #expect(unknown.status == 1)
        #expect(unknown.errors.contains("no event and no workflow with id"), "\(unknown.errors)")

        let badPattern = try await H.bb(["tail", "Bad!Pattern", "--no-follow"])
        #expect(badPattern.status == 2, "usage errors exit 2: \(badPattern.errors)")
        #expect(badPattern.errors.contains("may only contain a-z"), "\(badPattern.errors)")

        let badID = try await H.bb(["wait", "not-a-uuid"])
        #expect(badID.status == 2)
        #expect(badID.errors.contains("is not an event id"))

        let unknownWorkflow = try await H.bb(["workflow", BloodbankUUID.format(UUID())])
        #expect(unknownWorkflow.status == 1)
        #expect(unknownWorkflow.errors.contains("no workflow"), "\(unknownWorkflow.errors)")
        for run in [down, unknown, badPattern, badID, unknownWorkflow] {
            #expect(!run.errors.contains("Fatal error") && !run.errors.contains("Stack dump"))
        }
    }
}
