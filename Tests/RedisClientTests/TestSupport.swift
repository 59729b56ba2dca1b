import NIOCore

@testable import RedisClient

/// A tiny deterministic generator (SplitMix64), so fuzz runs are reproducible from their seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RESPValue {
    static func bulk(_ string: String) -> RESPValue {
        .bulkString(ByteBuffer(string: string))
    }

    static func simple(_ string: String) -> RESPValue {
        .simpleString(ByteBuffer(string: string))
    }

    static func err(_ string: String) -> RESPValue {
        .error(ByteBuffer(string: string))
    }
}

/// Decodes every complete value in `bytes`, as the channel pipeline would.
func decodeAll(_ bytes: String, limits: RESPDecoder.Limits = .init()) throws -> (values: [RESPValue], rest: Int) {
    var buffer = ByteBuffer(string: bytes)
    var decoder = RESPDecoder(limits: limits)
    var values: [RESPValue] = []
    while let value = try decoder.decode(buffer: &buffer) {
        values.append(value)
    }
    return (values, buffer.readableBytes)
}

/// Generates a random RESP value tree; strings include CR, LF and non-UTF-8 bytes where the format allows them.
func randomValue(depth: Int = 0, using generator: inout SeededGenerator) -> RESPValue {
    let kind = Int.random(in: 0..<(depth >= 3 ? 6 : 8), using: &generator)
    switch kind {
    case 0:
        return .simpleString(ByteBuffer(bytes: randomLineBytes(using: &generator)))
    case 1:
        return .error(ByteBuffer(bytes: randomLineBytes(using: &generator)))
    case 2:
        return .integer(Int64.random(in: .min ... .max, using: &generator))
    case 3:
        return .bulkString(nil)
    case 4, 5:
        let count = Int.random(in: 0..<64, using: &generator)
        return .bulkString(ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    case 6:
        return .array(nil)
    default:
        let count = Int.random(in: 0..<5, using: &generator)
        return .array((0..<count).map { _ in randomValue(depth: depth + 1, using: &generator) })
    }
}

private func randomLineBytes(using generator: inout SeededGenerator) -> [UInt8] {
    let count = Int.random(in: 0..<20, using: &generator)
    return (0..<count).map { _ in
        var byte = UInt8.random(in: 0...255, using: &generator)
        if byte == 0x0D || byte == 0x0A { byte = UInt8(ascii: "x") }
        return byte
    }
}
