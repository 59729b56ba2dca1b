// libFuzzer target: the AMQP 0-9-1 frame decoder (everything the broker, or whoever is on the socket, sends).
// Built and run by scripts/fuzz (docs/testing.md); libFuzzer supplies `main`.
import AMQPClient

/// One input: decode it as a stream of frames, split into reads at the first byte's value; the decoder must
/// return frames or throw an `AMQPError`, never crash, and never buffer more than one frame_max.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAMQPFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let chunk = max(1, Int(bytes.first ?? 1))
    AMQPFrameFuzzing.decode(bytes, chunkSize: chunk, frameMax: 4096)
    return 0
}
