import NIOCore
import Testing

@testable import AMQPClient

/// SplitMix64: a tiny deterministic generator so every run fuzzes the same inputs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct AMQPFrameDecoderFuzzTests {
    static let frameMax: UInt32 = 4096

    /// Valid frames to mutate: every golden frame plus a few methods with tables.
    static func corpus() throws -> [[UInt8]] {
        var frames: [[UInt8]] = [AMQPFrameCodecTests.startOkGolden, AMQPFrameCodecTests.publishGolden]
        var buffer = ByteBuffer()
        try buffer.writeMethodFrame(
            channel: 0,
            .connectionStart(
                versionMajor: 0,
                versionMinor: 9,
                serverProperties: [
                    "capabilities": .table(["publisher_confirms": true]), "x": .array([1, "y", .void]),
                ],
                mechanisms: "PLAIN AMQPLAIN",
                locales: "en_US"
            )
        )
        frames.append(Array(buffer.readableBytesView))
        buffer.clear()
        try buffer.writeHeaderFrame(
            channel: 2,
            bodySize: 10,
            properties: .init(contentType: "a", headers: ["h": .table(["n": .bytes([1, 2])])], timestamp: 5)
        )
        frames.append(Array(buffer.readableBytesView))
        return frames
    }

    /// Feeds `stream` to the decoder in random chunks, the way reads arrive from a socket.
    /// Returns normally when the stream is consumed or the decoder threw.
    static func feed(_ stream: [UInt8], chunking rng: inout SeededGenerator) {
        var decoder = AMQPFrameDecoder(frameMax: frameMax)
        var cumulation = ByteBuffer()
        var offset = 0
        while offset < stream.count {
            let chunk = Int.random(in: 1...512, using: &rng)
            cumulation.writeBytes(stream[offset..<min(stream.count, offset + chunk)])
            offset += chunk
            do {
                while let frame = try decoder.decode(buffer: &cumulation) {
                    if case .body(_, let body) = frame {
                        #expect(body.readableBytes <= Int(frameMax) - 8)
                    }
                }
            } catch {
                #expect(error is AMQPError)
                return
            }
            // The decoder only ever waits for a frame that fits in frame_max, so what stays buffered is
            // bounded by frame_max (plus at most one read chunk that has not been looked at yet).
            #expect(cumulation.readableBytes < Int(frameMax) + 512)
            cumulation.discardReadBytes()
        }
    }

    @Test func mutatedFramesNeverCrashTheDecoder() throws {
        var rng = SeededGenerator(state: 0xC0FF_EE00_1234_5678)
        let corpus = try Self.corpus()
        for _ in 0..<20_000 {
            var stream: [UInt8] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                stream += corpus.randomElement(using: &rng)!
            }
            let mutations = Int.random(in: 1...6, using: &rng)
            for _ in 0..<mutations {
                let index = Int.random(in: 0..<stream.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: stream[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: stream[index] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2: stream.remove(at: index)
                default: stream.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                }
                if stream.isEmpty { stream = [0] }
            }
            Self.feed(stream, chunking: &rng)
        }
    }

    @Test func randomBytesNeverCrashTheDecoder() {
        var rng = SeededGenerator(state: 42)
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...600, using: &rng)
            var stream = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Half the time start with a plausible frame type and small size to get past the header check.
            if Bool.random(using: &rng), stream.count >= 7 {
                stream[0] = [1, 2, 3, 8].randomElement(using: &rng)!
                stream[3] = 0
                stream[4] = 0
            }
            Self.feed(stream, chunking: &rng)
        }
    }
}
