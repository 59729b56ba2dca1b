import BloodbankModel
import CandystoreApp
import CandystoreTestSupport
import EventStore
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import HummingbirdWebSocket
import NIOWebSocket
import RedisClient
import Testing

@testable import CandystoreAPI

/// The WebSocket stream against a real PostgreSQL and Redis. The tests play the manager: insert rows (advisory
/// lock, max+1 positions), then PUBLISH their JSON on a private channel.
@Suite(.serialized, .timeLimit(.minutes(2))) struct EventStreamIntegrationTests {
    typealias DB = TestDatabase

    struct ClosedWithoutFrame: Error {}

    /// Reads the next text frame as a JSON object.
    static func next(_ frames: inout WebSocketInboundMessageStream.AsyncIterator) async throws -> JSONObject {
        guard let message = try await frames.next() else { throw ClosedWithoutFrame() }
        guard case .text(let text) = message else { return ["type": "binary"] }
        guard case .object(let object) = try JSONValue(parsing: text) else { return ["type": "not-an-object"] }
        return object
    }

    /// Sends a subscribe frame and waits for its acknowledgement, which also proves the session finished its
    /// catch-up and fixed its starting position (so later inserts are "live").
    static func subscribe(
        _ filters: String, outbound: WebSocketOutboundWriter,
        frames: inout WebSocketInboundMessageStream.AsyncIterator
    ) async throws {
        try await outbound.write(.text(#"{"type":"subscribe","filters":"# + filters + "}"))
        while true {
            let frame = try await next(&frames)
            if frame["type"] == "subscribed" { return }
            #expect(frame["type"] == "heartbeat", "unexpected frame before the ack: \(frame)")
        }
    }

    static func message(_ envelope: EventEnvelope, position: Int64) -> [UInt8] {
        envelope.encodedBytes(additionalMembers: ["position": .number(JSONNumber(position))])
    }

    static let clientConfiguration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)

    @Test func liveDeliveryWithFilters() async throws {
        try await DB.withScratchDatabase { database in
            let channel = TestApplication.channel()
            let app = try TestApplication.build(try TestApplication.configuration(database: database, channel: channel))
            _ = try await app.test(.live) { client in
                try await client.ws(
                    "/api/v1/events/stream?event_type=bmad.workflow.*", configuration: Self.clientConfiguration
                ) { inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                    try await Self.subscribe(#"{"event_type":"bmad.workflow.*"}"#, outbound: outbound, frames: &frames)
                    let workflow = UUID()
                    let started = DB.event(
                        "bmad.workflow.started",
                        payload: ["workflow_id": .string(BloodbankUUID.format(workflow)), "project_name": "p"])
                    let noise = DB.event("demo.noise.event")
                    let positions = try await DB.insert([noise, started], into: database)
                    let sent = ContinuousClock.now
                    try await TestApplication.publish(
                        [Self.message(noise, position: positions[0]), Self.message(started, position: positions[1])],
                        channel: channel)
                    let frame = try await Self.next(&frames)
                    let latency = ContinuousClock.now - sent
                    #expect(frame["type"] == "event")
                    #expect(frame["position"] == .number(JSONNumber(positions[1])))
                    let data = try #require(frame["data"]?.objectValue)
                    #expect(data["event_id"] == .string(BloodbankUUID.format(started.eventID)))
                    #expect(data["position"] == .number(JSONNumber(positions[1])))
                    // Latency is measured by bench/api (commit → frame, 50 clients), never asserted here: this machine's
                    // two cores are shared by every suite running in parallel.
                    print("stream: live frame \(latency) after publish")
                    // The live `data` is the same document the REST API serves for that event.
                    let rest = try await client.execute(uri: "/api/v1/events/\(started.eventID)", method: .get)
                    #expect(try JSONValue(parsing: Array(rest.body.readableBytesView)) == .object(data))

                    // Switch to a workflow filter; a child that only inherits the workflow still matches.
                    try await Self.subscribe(
                        #"{"workflow_id":"\#(workflow)"}"#, outbound: outbound, frames: &frames)
                    let child = DB.event("agent.letta.checkpoint.saved", parents: [started.eventID])
                    let other = DB.event("bmad.workflow.started", payload: ["workflow_id": .string("\(UUID())")])
                    let more = try await DB.insert([other, child], into: database)
                    try await TestApplication.publish(
                        [Self.message(other, position: more[0]), Self.message(child, position: more[1])],
                        channel: channel)
                    let inherited = try await Self.next(&frames)
                    #expect(inherited["position"] == .number(JSONNumber(more[1])))
                    // A bad subscribe frame is answered with an error frame, and the stream stays open.
                    try await outbound.write(.text(#"{"type":"subscribe","filters":{"workflow_id":"nope"}}"#))
                    let error = try await Self.next(&frames)
                    #expect(error["type"] == "error")
                    #expect(error["message"]?.stringValue?.contains("workflow_id") == true)
                    try await outbound.close(.normalClosure, reason: nil)
                }
                // Query-string workflow filter, from the start.
                let workflow = UUID()
                try await client.ws(
                    "/api/v1/events/stream?workflow_id=\(workflow)", configuration: Self.clientConfiguration
                ) { inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                    try await Self.subscribe(#"{"workflow_id":"\#(workflow)"}"#, outbound: outbound, frames: &frames)
                    let mine = DB.event(
                        "bmad.workflow.completed", payload: ["workflow_id": .string(BloodbankUUID.format(workflow))])
                    let positions = try await DB.insert([DB.event("demo.noise.event"), mine], into: database)
                    try await TestApplication.publish([Self.message(mine, position: positions[1])], channel: channel)
                    let frame = try await Self.next(&frames)
                    #expect(frame["position"] == .number(JSONNumber(positions[1])))
                    try await outbound.close(.normalClosure, reason: nil)
                }
                // A bad filter refuses the upgrade.
                await #expect(throws: (any Error).self) {
                    try await client.ws("/api/v1/events/stream?workflow_id=bad") { _, _, _ in }
                }
            }
        }
    }

    @Test func heartbeatsArriveAtTheConfiguredInterval() async throws {
        try await DB.withScratchDatabase { database in
            let app = try TestApplication.build(
                try TestApplication.configuration(
                    database: database, channel: TestApplication.channel(),
                    overrides: ["API_WS_HEARTBEAT_SECONDS": "1"]))
            _ = try await app.test(.live) { client in
                try await client.ws("/api/v1/events/stream") { inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    let start = ContinuousClock.now
                    let first = try await Self.next(&frames)
                    let second = try await Self.next(&frames)
                    let elapsed = ContinuousClock.now - start
                    #expect(first["type"] == "heartbeat")
                    #expect(second["type"] == "heartbeat")
                    #expect(EventTimestamp(parsing: first["timestamp"]?.stringValue ?? "") != nil)
                    #expect(elapsed >= .milliseconds(1500) && elapsed < .seconds(4), "\(elapsed)")
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    /// `after=N` while a producer keeps committing and publishing (and skips some messages, as a lost PUBLISH
    /// would): every event after N arrives exactly once, in order.
    @Test func resumeUnderConcurrentPublishingHasNoGapAndNoDuplicate() async throws {
        try await DB.withScratchDatabase { database in
            let channel = TestApplication.channel()
            try await DB.insert((0..<30).map { _ in DB.event("demo.before.resume") }, into: database)
            let app = try TestApplication.build(try TestApplication.configuration(database: database, channel: channel))
            let total: Int64 = 30 + 20 * 10
            _ = try await app.test(.live) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for _ in 0..<20 {
                            let batch = (0..<10).map { _ in DB.event("demo.during.resume") }
                            let positions = try await DB.insert(batch, into: database)
                            let messages = zip(batch, positions).filter { $0.1 % 7 != 3 || $0.1 == total }
                                .map { Self.message($0.0, position: $0.1) }
                            try await TestApplication.publish(messages, channel: channel)
                            try await Task.sleep(for: .milliseconds(15))
                        }
                    }
                    try await client.ws("/api/v1/events/stream?after=10", configuration: Self.clientConfiguration) {
                        inbound, outbound, _ in
                        var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                        var positions: [Int64] = []
                        while positions.last != total {
                            let frame = try await Self.next(&frames)
                            guard frame["type"] == "event" else { continue }
                            let position = try #require(frame["position"]?.numberValue?.int64Value)
                            #expect(frame["data"]?.objectValue?["position"] == frame["position"])
                            positions.append(position)
                            if positions.count > Int(total) { break }
                        }
                        #expect(positions == Array(11...total))
                        // Nothing else is pending: the next frame answers our subscribe.
                        try await Self.subscribe("{}", outbound: outbound, frames: &frames)
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    /// Issue 14: `after=Int64.max` (a value docs/api.md allows) and a Redis message claiming position Int64.max
    /// each killed the API with an arithmetic overflow. Now the first is a valid, empty subscription and the
    /// second is not believed: the store decides, and the real next event still arrives, once.
    @Test func hostilePositionsNeitherCrashNorMisleadTheStream() async throws {
        try await DB.withScratchDatabase { database in
            let channel = TestApplication.channel()
            try await DB.insert([DB.event("demo.before")], into: database)
            let app = try TestApplication.build(try TestApplication.configuration(database: database, channel: channel))
            _ = try await app.test(.live) { client in
                try await client.ws(
                    "/api/v1/events/stream?after=9223372036854775807", configuration: Self.clientConfiguration
                ) { inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                    try await outbound.write(.text(#"{"type":"subscribe","filters":{}}"#))
                    var ack = try await Self.next(&frames)
                    while ack["type"] == "heartbeat" { ack = try await Self.next(&frames) }
                    #expect(ack["type"] == "subscribed")
                    #expect(ack["position"] == .number(JSONNumber(Int64.max)))
                    try await outbound.close(.normalClosure, reason: nil)
                }
                try await client.ws("/api/v1/events/stream", configuration: Self.clientConfiguration) {
                    inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                    try await Self.subscribe("{}", outbound: outbound, frames: &frames)
                    try await TestApplication.publish(
                        [
                            Array(#"{"position":9223372036854775807,"event_type":"x","payload":{}}"#.utf8),
                            Array(#"{"position":-1,"event_type":"x","payload":{}}"#.utf8),
                        ], channel: channel)
                    let real = DB.event("demo.after.forgery")
                    let positions = try await DB.insert([real], into: database)
                    try await TestApplication.publish([Self.message(real, position: positions[0])], channel: channel)
                    var frame = try await Self.next(&frames)
                    while frame["type"] == "heartbeat" { frame = try await Self.next(&frames) }
                    #expect(frame["type"] == "event")
                    #expect(frame["position"] == .number(JSONNumber(positions[0])))
                    #expect(frame["data"]?.objectValue?["event_id"] == .string(BloodbankUUID.format(real.eventID)))
                    // Nothing else is pending (no made-up event, no duplicate): the next frame answers a subscribe.
                    try await Self.subscribe("{}", outbound: outbound, frames: &frames)
                    try await outbound.close(.normalClosure, reason: nil)
                }
                // Still serving.
                let health = try await client.execute(uri: "/health", method: .get)
                #expect(health.status == .ok)
            }
        }
    }

    /// A subscribe frame is held to REST's cap of type patterns (it took 1,000).
    @Test func subscribeFramesAreHeldToTheRESTPatternCap() async throws {
        try await DB.withScratchDatabase { database in
            let channel = TestApplication.channel()
            let app = try TestApplication.build(try TestApplication.configuration(database: database, channel: channel))
            _ = try await app.test(.live) { client in
                try await client.ws("/api/v1/events/stream", configuration: Self.clientConfiguration) {
                    inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                    let patterns = (0..<51).map { "\"t\($0).*\"" }.joined(separator: ",")
                    try await outbound.write(
                        .text(#"{"type":"subscribe","filters":{"event_type":["# + patterns + "]}}"))
                    var frame = try await Self.next(&frames)
                    while frame["type"] == "heartbeat" { frame = try await Self.next(&frames) }
                    #expect(frame["type"] == "error")
                    #expect(frame["message"]?.stringValue?.contains("at most 50 patterns, got 51") == true)
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    /// A client that stops reading is closed with an error frame once its bounded queue overflows.
    @Test func slowClientIsEvictedWithAnErrorFrame() async throws {
        try await DB.withScratchDatabase { database in
            let channel = TestApplication.channel()
            let app = try TestApplication.build(
                try TestApplication.configuration(
                    database: database, channel: channel, overrides: ["API_WS_BUFFER_SIZE": "8"]))
            let count = 400
            _ = try await app.test(.live) { client in
                try await client.ws("/api/v1/events/stream", configuration: Self.clientConfiguration) {
                    inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                    try await Self.subscribe("{}", outbound: outbound, frames: &frames)
                    // 400 × 64 KiB, far more than the socket buffers hold, published while we do not read.
                    let blob = JSONValue.string(String(repeating: "x", count: 64 * 1024))
                    let messages = (1...count).map { position in
                        Self.message(DB.event("demo.big.event", payload: ["blob": blob]), position: Int64(position))
                    }
                    try await TestApplication.publish(messages, channel: channel)
                    try await Task.sleep(for: .seconds(2))
                    var events = 0
                    var error: JSONObject?
                    while let message = try? await frames.next() {
                        guard case .text(let text) = message,
                            case .object(let frame) = try JSONValue(parsing: text)
                        else { continue }
                        if frame["type"] == "event" { events += 1 }
                        if frame["type"] == "error" {
                            error = frame
                            break
                        }
                    }
                    #expect(events < count)
                    let message = try #require(error?["message"]?.stringValue, "events received: \(events)")
                    #expect(message.contains("too slow"))
                }
            }
        }
    }

    /// With Redis unreachable the stream polls the store instead of going silent.
    @Test func redisDownFallsBackToPolling() async throws {
        try await DB.withScratchDatabase { database in
            let app = try TestApplication.build(
                try TestApplication.configuration(
                    database: database, channel: TestApplication.channel(),
                    overrides: ["REDIS_URL": "redis://127.0.0.1:1/0"]))
            _ = try await app.test(.live) { client in
                try await client.ws("/api/v1/events/stream?event_type=demo.polled.*") { inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
                    try await Self.subscribe(#"{"event_type":"demo.polled.*"}"#, outbound: outbound, frames: &frames)
                    let events = [DB.event("demo.polled.one"), DB.event("demo.other.one"), DB.event("demo.polled.two")]
                    let positions = try await DB.insert(events, into: database)
                    let inserted = ContinuousClock.now
                    let first = try await Self.next(&frames)
                    let second = try await Self.next(&frames)
                    #expect(first["position"] == .number(JSONNumber(positions[0])))
                    #expect(second["position"] == .number(JSONNumber(positions[2])))
                    #expect(ContinuousClock.now - inserted < .seconds(2))
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    /// Runs a raw Redis command on a fresh connection.
    static func redis(_ command: String, _ arguments: [RESPArgument]) async throws -> RESPValue {
        try await RedisConnection.withConnection(
            configuration: try RedisConnection.Configuration(url: TestApplication.redisURL)
        ) { connection in
            try await connection.send(command: command, arguments: arguments)
        }
    }

    /// Two clients share the process's one subscription; when that connection is killed it comes back and
    /// nothing is lost (the reconnect triggers a store poll, and gap repair covers the rest).
    @Test func oneSharedSubscriptionThatSurvivesBeingKilled() async throws {
        try await DB.withScratchDatabase { database in
            let channel = TestApplication.channel()
            var configuration = try TestApplication.configuration(database: database, channel: channel)
            let clientName = "candystore-api-test-\(UUID().uuidString.prefix(8).lowercased())"
            configuration.redis?.connection.clientName = clientName
            let app = try TestApplication.build(configuration)
            _ = try await app.test(.live) { client in
                try await client.ws("/api/v1/events/stream") { inboundA, outboundA, _ in
                    var framesA = inboundA.messages(maxSize: 1 << 22).makeAsyncIterator()
                    try await Self.subscribe("{}", outbound: outboundA, frames: &framesA)
                    try await client.ws("/api/v1/events/stream") { inboundB, outboundB, _ in
                        var framesB = inboundB.messages(maxSize: 1 << 22).makeAsyncIterator()
                        try await Self.subscribe("{}", outbound: outboundB, frames: &framesB)
                        let numsub = try await Self.redis("PUBSUB", ["NUMSUB", RESPArgument(channel)])
                        #expect(numsub.array?.last?.integer == 1)
                        try await outboundB.close(.normalClosure, reason: nil)
                    }
                    // Kill the subscription connection (found by its CLIENT SETNAME).
                    let list = try await Self.redis("CLIENT", ["LIST"]).string ?? ""
                    let line = try #require(list.split(separator: "\n").first { $0.contains(" name=\(clientName) ") })
                    let id = try #require(
                        line.split(separator: " ").first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) })
                    _ = try await Self.redis("CLIENT", ["KILL", "ID", RESPArgument(id)])
                    // Published while the subscriber may be away: delivered anyway.
                    let first = DB.event("demo.after.kill")
                    let positions = try await DB.insert([first], into: database)
                    try await TestApplication.publish([Self.message(first, position: positions[0])], channel: channel)
                    let frame = try await Self.next(&framesA)
                    #expect(frame["position"] == .number(JSONNumber(positions[0])))
                    // And the live path works again.
                    let second = DB.event("demo.after.kill")
                    let more = try await DB.insert([second], into: database)
                    try await TestApplication.publish([Self.message(second, position: more[0])], channel: channel)
                    let next = try await Self.next(&framesA)
                    #expect(next["position"] == .number(JSONNumber(more[0])))
                    try await outboundA.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    @Test func tokenIsRequiredForTheStream() async throws {
        try await DB.withScratchDatabase { database in
            let app = try TestApplication.build(
                try TestApplication.configuration(
                    database: database, channel: TestApplication.channel(), overrides: ["API_TOKEN": "s3cret"]))
            _ = try await app.test(.live) { client in
                await #expect(throws: (any Error).self) {
                    try await client.ws("/api/v1/events/stream") { _, _, _ in }
                }
                await #expect(throws: (any Error).self) {
                    try await client.ws("/api/v1/events/stream?access_token=wrong") { _, _, _ in }
                }
                try await client.ws("/api/v1/events/stream?access_token=s3cret") { inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    try await Self.subscribe("{}", outbound: outbound, frames: &frames)
                    try await outbound.close(.normalClosure, reason: nil)
                }
                let headers = WebSocketClientConfiguration(additionalHeaders: [.authorization: "Bearer s3cret"])
                try await client.ws("/api/v1/events/stream", configuration: headers) { inbound, outbound, _ in
                    var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    try await Self.subscribe("{}", outbound: outbound, frames: &frames)
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }
}
