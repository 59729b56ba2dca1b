import NIOCore

/// A decoded AMQP frame (spec §4.2.3): `type(1) channel(2) size(4) payload(size) frame-end(0xCE)`.
enum AMQPFrame: Sendable, Hashable {
    case method(channel: UInt16, AMQPMethod)
    case header(channel: UInt16, AMQPContentHeader)
    case body(channel: UInt16, ByteBuffer)
    case heartbeat

    static let typeMethod: UInt8 = 1
    static let typeHeader: UInt8 = 2
    static let typeBody: UInt8 = 3
    static let typeHeartbeat: UInt8 = 8
    static let frameEnd: UInt8 = 0xCE
    /// type + channel + size + frame-end.
    static let overhead = 8
    /// The protocol header a client sends first (spec §4.2.2): "AMQP" 0 0 9 1.
    static let protocolHeader: [UInt8] = [0x41, 0x4D, 0x51, 0x50, 0, 0, 9, 1]
    /// The smallest frame_max a peer may negotiate (spec §4.2.1, `frame-min-size`).
    static let minimumFrameMax: UInt32 = 4096
}

/// Decodes frames. It peeks the 7-byte header, returns nil until the whole frame is buffered, and rejects a
/// frame whose declared size exceeds `frameMax` before waiting for (and buffering) its payload.
struct AMQPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = AMQPFrame

    /// The negotiated maximum frame size including the 8 bytes of framing; updated after connection.tune.
    var frameMax: UInt32

    init(frameMax: UInt32) {
        self.frameMax = max(frameMax, AMQPFrame.minimumFrameMax)
    }

    mutating func decode(buffer: inout ByteBuffer) throws -> AMQPFrame? {
        guard
            let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let channel = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt16.self),
            let size = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt32.self)
        else {
            return nil
        }
        if type == UInt8(ascii: "A") {
            // A broker that rejects our protocol version answers with its own protocol header (spec §4.2.2).
            throw AMQPError(
                code: .handshakeFailed, message: "broker rejected the protocol header (unsupported version)")
        }
        guard UInt64(size) + UInt64(AMQPFrame.overhead) <= UInt64(self.frameMax) else {
            throw AMQPError.frame("frame of \(size) bytes exceeds frame_max \(self.frameMax)")
        }
        let total = Int(size) + AMQPFrame.overhead
        guard buffer.readableBytes >= total else { return nil }
        guard buffer.getInteger(at: buffer.readerIndex + total - 1, as: UInt8.self) == AMQPFrame.frameEnd else {
            throw AMQPError.frame("frame-end octet missing")
        }
        buffer.moveReaderIndex(forwardBy: 7)
        var payload = buffer.readSlice(length: Int(size))!
        buffer.moveReaderIndex(forwardBy: 1)
        switch type {
        case AMQPFrame.typeMethod:
            let method = try payload.readMethodPayload()
            guard payload.readableBytes == 0 else {
                throw AMQPError.syntax("\(payload.readableBytes) trailing bytes after method \(method.id)")
            }
            return .method(channel: channel, method)
        case AMQPFrame.typeHeader:
            return .header(channel: channel, try payload.readContentHeaderPayload())
        case AMQPFrame.typeBody:
            return .body(channel: channel, payload)
        case AMQPFrame.typeHeartbeat:
            guard channel == 0 else { throw AMQPError.frame("heartbeat frame on channel \(channel)") }
            return .heartbeat
        default:
            throw AMQPError(
                code: .frameError,
                message: "unknown frame type \(type)",
                replyCode: AMQPReplyCode.frameError
            )
        }
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> AMQPFrame? {
        try self.decode(buffer: &buffer)
    }
}

/// The decoder's entry point for the libFuzzer target (`fuzz/amqp`), which cannot see internal types.
package enum AMQPFrameFuzzing {
    /// Feeds `bytes` to a decoder in reads of `chunkSize` bytes, decoding every frame (methods and content
    /// headers fully), until the input ends or the decoder throws; traps if a non-`AMQPError` is thrown or more
    /// than one frame_max stays buffered.
    package static func decode(_ bytes: [UInt8], chunkSize: Int, frameMax: UInt32) {
        var decoder = AMQPFrameDecoder(frameMax: frameMax)
        var cumulation = ByteBuffer()
        var offset = 0
        while offset < bytes.count {
            cumulation.writeBytes(bytes[offset..<min(bytes.count, offset + chunkSize)])
            offset += chunkSize
            do {
                while try decoder.decode(buffer: &cumulation) != nil {}
            } catch is AMQPError {
                return
            } catch {
                fatalError("the decoder threw \(type(of: error)), not AMQPError")
            }
            precondition(cumulation.readableBytes < Int(decoder.frameMax) + chunkSize, "decoder buffered too much")
            cumulation.discardReadBytes()
        }
    }
}

/// Frame writers. They append to a caller-provided buffer so one publish (method + header + body frames)
/// or a batch of acks becomes one contiguous write.
extension ByteBuffer {
    mutating func writeMethodFrame(channel: UInt16, _ method: AMQPMethod) throws(AMQPError) {
        self.writeInteger(AMQPFrame.typeMethod)
        self.writeInteger(channel)
        let sizeIndex = self.writerIndex
        self.writeInteger(UInt32(0))
        try self.writeMethodPayload(method)
        self.setInteger(UInt32(self.writerIndex - sizeIndex - 4), at: sizeIndex)
        self.writeInteger(AMQPFrame.frameEnd)
    }

    mutating func writeHeaderFrame(channel: UInt16, bodySize: UInt64, properties: AMQPProperties) throws(AMQPError) {
        self.writeInteger(AMQPFrame.typeHeader)
        self.writeInteger(channel)
        let sizeIndex = self.writerIndex
        self.writeInteger(UInt32(0))
        try self.writeContentHeaderPayload(classID: 60, bodySize: bodySize, properties: properties)
        self.setInteger(UInt32(self.writerIndex - sizeIndex - 4), at: sizeIndex)
        self.writeInteger(AMQPFrame.frameEnd)
    }

    /// Writes `body` as as many body frames as `frameMax` requires (spec §4.2.6.2).
    mutating func writeBodyFrames(channel: UInt16, body: ByteBuffer, frameMax: UInt32) {
        let chunk = Int(frameMax) - AMQPFrame.overhead
        var remaining = body
        while remaining.readableBytes > 0 {
            var slice = remaining.readSlice(length: min(chunk, remaining.readableBytes))!
            self.writeInteger(AMQPFrame.typeBody)
            self.writeInteger(channel)
            self.writeInteger(UInt32(slice.readableBytes))
            self.writeBuffer(&slice)
            self.writeInteger(AMQPFrame.frameEnd)
        }
    }

    mutating func writeHeartbeatFrame() {
        self.writeInteger(AMQPFrame.typeHeartbeat)
        self.writeInteger(UInt16(0))
        self.writeInteger(UInt32(0))
        self.writeInteger(AMQPFrame.frameEnd)
    }
}
