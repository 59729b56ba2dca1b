import BloodbankModel
import EventStoreQueries
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// Limits on a request's head (request line plus headers), enforced by the HTTP decoder and answered by
/// ``HTTPGuardHandler`` (`API_MAX_HEAD_BYTES`, `API_MAX_HEADER_COUNT`).
public struct HTTPHeadLimits: Sendable, Equatable {
    /// Most bytes of request line and header fields together (and of any one of them).
    public var maximumHeadBytes: Int
    /// Most header fields.
    public var maximumHeaderCount: Int

    /// Creates limits (defaults: 32 KiB, 100 fields).
    public init(maximumHeadBytes: Int = 32 * 1024, maximumHeaderCount: Int = 100) {
        self.maximumHeadBytes = maximumHeadBytes
        self.maximumHeaderCount = maximumHeaderCount
    }
}

/// Hummingbird's HTTP/1 + WebSocket-upgrade child channel with the API's answers where Hummingbird has none:
///
/// - a request the HTTP decoder refuses (a head over the limits, malformed syntax) gets the JSON error and the
///   connection is closed — it used to get no answer while the connection stayed open, holding the bytes the
///   decoder had buffered (issue 14: 200 connections with an 82 KB header raised the API's memory by 40 MB);
/// - `CONNECT` gets a complete `405` and the connection is closed (it got a head without length, and the
///   decoder then treated the connection as a tunnel);
/// - a refused WebSocket upgrade gets the reason as the API's JSON error (401 for a missing or wrong token,
///   400 naming the parameter) instead of hummingbird-websocket's fixed empty `400`.
///
/// Hummingbird and its WebSocket upgrader set up the pipeline without a hook for any of this; the wrapper
/// appends ``HTTPGuardHandler`` to the pipeline at set-up, after the upgrade handler, where decoded request parts,
/// the decoder's errors and every HTTP response pass. It removes itself when a connection becomes a WebSocket.
struct GuardedWebSocketChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let inner: HTTP1WebSocketUpgradeChannel
    let limits: HTTPHeadLimits
    let token: [UInt8]?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let (limits, token) = (self.limits, self.token)
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let firstHead = FirstRequestHeadRecorder(limit: limits.maximumHeadBytes)
            try channel.pipeline.syncOperations.addHandler(firstHead, position: .first)
            try channel.pipeline.syncOperations.addHandler(
                HTTPGuardHandler(limits: limits, token: token, firstHead: firstHead))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }

    /// The server builder: the WebSocket upgrade on `router`, decoder limits from `limits`.
    static func builder<Context: WebSocketRequestContext>(
        router: Router<Context>, limits: HTTPHeadLimits, token: String?
    ) -> HTTPServerBuilder {
        let webSocketResponder = router.buildResponder()
        let http1 = HTTP1Channel.Configuration(
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: limits.maximumHeadBytes, maxHeaderListSize: limits.maximumHeadBytes,
                maxHeaderFieldCount: limits.maximumHeaderCount))
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(http1: http1)
        let tokenBytes = token.map { Array($0.utf8) }
        return HTTPServerBuilder { responder in
            GuardedWebSocketChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                limits: limits, token: tokenBytes)
        }
    }
}

/// See ``GuardedWebSocketChannel``. Sits after the upgrade handler: inbound it sees decoded request parts (and
/// the decoder's errors), outbound the HTTP responses on their way to the encoder.
final class HTTPGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: HTTPHeadLimits
    private let token: [UInt8]?
    /// This handler answered and is closing the connection: nothing else is read or written.
    private var answered = false
    /// The current request, when it asked for a WebSocket upgrade.
    private var upgradeRequest: HTTPRequestHead?
    /// The JSON body that replaces the empty body of a refused upgrade.
    private var replacementBody: ByteBuffer?

    /// The connection's first request head as it arrived on the wire (the upgrade handler consumes a refused
    /// upgrade request without passing it on; it is always the connection's first request).
    private let firstHead: FirstRequestHeadRecorder

    init(limits: HTTPHeadLimits, token: [UInt8]?, firstHead: FirstRequestHeadRecorder) {
        self.limits = limits
        self.token = token
        self.firstHead = firstHead
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        if case .head(let head) = unwrapInboundIn(data) {
            if head.method == .CONNECT {
                answer(
                    context,
                    APIError(
                        .methodNotAllowed, code: "method_not_allowed",
                        message: "CONNECT is not supported: this is the Event Store API, not a proxy"))
                return
            }
            upgradeRequest = Self.asksForUpgrade(head) ? head : nil
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if event is HTTPServerUpgradeEvents {
            // A WebSocket from now on: frames, not HTTP parts, pass here.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !answered else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head)
        where head.status == .badRequest && head.headers["content-length"] == ["0"]
            && (upgradeRequest ?? firstHead.head).map(Self.asksForUpgrade) == true:
            // hummingbird-websocket's refusal of an upgrade: say why.
            let error = Self.upgradeRejection((upgradeRequest ?? firstHead.head)!, token: token)
            let body = Self.body(error, allocator: context.channel.allocator)
            var headers = head.headers
            headers.replaceOrAdd(name: "content-length", value: "\(body.readableBytes)")
            headers.replaceOrAdd(name: "content-type", value: "application/json")
            replacementBody = body
            let status = Self.status(of: error)
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                promise: promise)
        case .end(let trailers) where replacementBody != nil:
            context.write(wrapOutboundOut(.body(.byteBuffer(replacementBody!))), promise: nil)
            replacementBody = nil
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answer(context, Self.answer(to: parserError, limits: limits))
    }

    /// Writes `error` as the JSON answer with `Connection: close`, then closes the connection.
    private func answer(_ context: ChannelHandlerContext, _ error: APIError) {
        answered = true
        let body = Self.body(error, allocator: context.channel.allocator)
        let headers = HTTPHeaders([
            ("content-type", "application/json"), ("content-length", "\(body.readableBytes)"), ("connection", "close"),
        ])
        let status = Self.status(of: error)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    /// The NIO status of the API error's status.
    static func status(of error: APIError) -> HTTPResponseStatus {
        HTTPResponseStatus(statusCode: Int(error.status.code), reasonPhrase: error.status.reasonPhrase)
    }

    static func asksForUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers["upgrade"].contains { $0.lowercased().contains("websocket") }
    }

    static func body(_ error: APIError, allocator: ByteBufferAllocator) -> ByteBuffer {
        var body = allocator.buffer(capacity: 256)
        body.writeBytes(error.jsonValue.encodedBytes())
        return body
    }

    /// The answer to a decoding error: 431 for a head over the limits, 400 otherwise.
    static func answer(to error: HTTPParserError, limits: HTTPHeadLimits) -> APIError {
        if error == .headerOverflow {
            return APIError(
                .requestHeaderFieldsTooLarge, code: "request_head_too_large",
                message: "the request line and headers exceed \(limits.maximumHeadBytes) bytes or "
                    + "\(limits.maximumHeaderCount) header fields (API_MAX_HEAD_BYTES, API_MAX_HEADER_COUNT)")
        }
        return APIError(.badRequest, code: "malformed_request", message: "the request is not valid HTTP/1.1 (\(error))")
    }

    /// Why a WebSocket upgrade was refused, found by the same checks the router applies (token, then the
    /// stream's query parameters).
    static func upgradeRejection(_ head: HTTPRequestHead, token: [UInt8]?) -> APIError {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "")
        let query = parts.count > 1 ? String(parts[1]) : nil
        guard path == APIEndpoint.streamEvents.path else {
            return .notFound("no WebSocket endpoint at \(path); the stream is \(APIEndpoint.streamEvents.path)")
        }
        do {
            let parameters = try QueryString.parameters(query)
            if let token {
                try APIAuthorization.check(
                    authorization: head.headers.first(name: "authorization"), path: path,
                    accessToken: { parameters["access_token"] }, token: token)
            }
            do {
                _ = try EventStreamFilter(parameters: parameters)
            } catch {
                throw APIError(error)
            }
            _ = try Parameters.streamAfter.position(parameters)
        } catch let error as APIError {
            return error
        } catch let error as EventQueryError {
            return APIError(error)
        } catch {
            return APIError(
                .badRequest, code: "upgrade_refused", message: "the WebSocket upgrade was refused: \(error)")
        }
        return APIError(
            .badRequest, code: "upgrade_refused",
            message: "the WebSocket upgrade was refused; check the Sec-WebSocket-Key and Sec-WebSocket-Version headers")
    }
}

/// Keeps the request line and headers of a connection's first request, read from the raw bytes at the head of
/// the pipeline (inbound data there is always bytes, before and after a WebSocket upgrade), then steps aside.
/// Only ``HTTPGuardHandler`` reads it, on the same event loop.
final class FirstRequestHeadRecorder: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limit: Int
    private var bytes: [UInt8] = []
    private var done = false
    /// The head, once it arrived whole and parsed (GET requests only need the line and the headers).
    private(set) var head: HTTPRequestHead?

    init(limit: Int) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !done {
            let buffer = unwrapInboundIn(data)
            bytes.append(contentsOf: buffer.readableBytesView.prefix(limit + 4 - bytes.count))
            if let end = Self.endOfHead(bytes) {
                head = Self.parse(bytes[..<end])
                done = true
                bytes = []
            } else if bytes.count >= limit + 4 {
                done = true
                bytes = []
            }
        }
        context.fireChannelRead(data)
    }

    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    static func parse(_ bytes: ArraySlice<UInt8>) -> HTTPRequestHead? {
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(
                name: String(line[..<colon]),
                value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: String(requestLine[0])), uri: String(requestLine[1]),
            headers: headers)
    }
}
