import BloodbankModel
import CandystoreApp
import CandystoreConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import CandystoreAPI

/// Issue 14's HTTP findings, against a live server on a real socket: an oversized or malformed request head is
/// answered with a JSON error and the connection closed (it used to hang, holding memory), `CONNECT` gets a
/// complete answer, and a repeated query parameter is refused.
@Suite(.timeLimit(.minutes(2))) struct HostileInputTests {
    /// Writes `request` on a new connection and reads until the server closes it (or `bound` passes).
    static func exchange(port: Int, _ request: [UInt8], bound: Duration = .seconds(20)) async throws -> (
        response: String, closed: Bool
    ) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            // The server may answer and close before the whole request is written: a failed write is fine.
            try? await outbound.write(ByteBuffer(bytes: request))
            return try await withThrowingTaskGroup(of: (String, Bool)?.self) { group in
                group.addTask {
                    var received: [UInt8] = []
                    do {
                        for try await buffer in inbound { received.append(contentsOf: buffer.readableBytesView) }
                    } catch {
                        // A reset after the answer still counts as closed.
                    }
                    return (String(decoding: received, as: UTF8.self), true)
                }
                group.addTask {
                    try await Task.sleep(for: bound)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first ?? ("", false)
            }
        }
    }

    static func get(_ target: String, headers: [(String, String)] = []) -> [UInt8] {
        var text = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    func withLiveAPI(_ body: @Sendable @escaping (Int) async throws -> Void) async throws {
        let app = try TestApplication.build(try CandystoreAPITests.offlineConfiguration(), logLevel: .critical)
        try await app.test(.live) { client in
            try await body(try #require(client.port))
        }
    }

    @Test func anOversizedHeadIsAnswered431AndClosed() async throws {
        try await withLiveAPI { port in
            let cases: [(String, [UInt8])] = [
                (
                    "one 100 KB header",
                    Self.get("/health", headers: [("X-Big", String(repeating: "a", count: 100_000))])
                ),
                ("a 100 KB request line", Self.get("/health?q=" + String(repeating: "b", count: 100_000))),
                ("1,000 header fields", Self.get("/health", headers: (0..<1000).map { ("X-H\($0)", "v") })),
            ]
            for (what, request) in cases {
                let (response, closed) = try await Self.exchange(port: port, request)
                #expect(closed, "\(what): the connection was left open")
                #expect(response.hasPrefix("HTTP/1.1 431 "), "\(what): \(response.prefix(80))")
                #expect(response.contains(#""code":"request_head_too_large""#), "\(what)")
                #expect(response.lowercased().contains("connection: close"), "\(what)")
            }
            // The server is still there, and a request within the limits is answered as always.
            let (response, _) = try await Self.exchange(
                port: port, Self.get("/health", headers: [("Connection", "close"), ("X-Ok", "fine")]))
            #expect(response.hasPrefix("HTTP/1.1 200 "))
        }
    }

    @Test func malformedHTTPIsAnswered400AndClosed() async throws {
        try await withLiveAPI { port in
            let (response, closed) = try await Self.exchange(
                port: port, Array("GET / HTTP/1.1\r\nBad Header\r\n\r\n".utf8))
            #expect(closed)
            #expect(response.hasPrefix("HTTP/1.1 400 "), "\(response.prefix(80))")
            #expect(response.contains(#""code":"malformed_request""#))
        }
    }

    @Test func connectGetsACompleteAnswerAndTheConnectionCloses() async throws {
        try await withLiveAPI { port in
            let (response, closed) = try await Self.exchange(
                port: port, Array("CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n".utf8))
            #expect(closed, "CONNECT left the connection open: \(response.prefix(120))")
            #expect(response.hasPrefix("HTTP/1.1 405 "), "\(response.prefix(80))")
        }
    }

    @Test func aRepeatedQueryParameterIsRefused() async throws {
        let app = try TestApplication.build(try CandystoreAPITests.offlineConfiguration(), logLevel: .critical)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/events?limit=1&limit=abc", method: .get) { response in
                #expect(response.status == .badRequest)
                let body = String(buffer: response.body)
                #expect(body.contains("limit: given more than once"), "\(body)")
            }
        }
    }
}
