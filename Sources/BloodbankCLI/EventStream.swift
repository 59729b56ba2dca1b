import BloodbankModel
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers

/// One event frame of the live stream: `{"type":"event","position":N,"data":<stored envelope>}`.
struct StreamedEvent: Sendable {
    /// The stored position.
    var position: Int64
    /// The frame exactly as the API sent it (`-o raw`).
    var frame: String
    /// The stored envelope with `position`, byte for byte as in the frame (`-o json`).
    var data: ArraySlice<UInt8>
    /// `data` parsed.
    var event: JSONValue

    /// Parses an event frame; `nil` for any other frame.
    init?(frame: String) {
        let prefix = #"{"type":"event","position":"#
        guard frame.hasPrefix(prefix) else { return nil }
        let bytes = Array(frame.utf8)
        var index = prefix.utf8.count
        var position: Int64 = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            position = position * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        let dataPrefix = Array(#","data":"#.utf8)
        guard bytes.count > index + dataPrefix.count + 1, Array(bytes[index..<index + dataPrefix.count]) == dataPrefix,
            bytes.last == UInt8(ascii: "}")
        else { return nil }
        let data = bytes[(index + dataPrefix.count)..<(bytes.count - 1)]
        guard let event = try? JSONValue(parsing: Array(data)) else { return nil }
        self.position = position
        self.frame = frame
        self.data = data
        self.event = event
    }

    /// An event read from the REST API (its exact bytes), in the stream's frame shape.
    init?(stored bytes: ArraySlice<UInt8>) {
        guard let event = try? JSONValue(parsing: Array(bytes)),
            let position = event["position"]?.numberValue?.int64Value
        else { return nil }
        self.position = position
        self.data = bytes
        self.event = event
        self.frame = #"{"type":"event","position":\#(position),"data":"# + String(decoding: bytes, as: UTF8.self) + "}"
    }
}

/// The live stream (`/api/v1/events/stream`) as an endless, gapless sequence of events: it reconnects by itself
/// and resumes after the last position it delivered (`after=N`), so an API restart loses and repeats nothing.
///
/// On every connection it sends a `subscribe` frame with the same filters; the server answers once its catch-up
/// is written, and its `position` becomes the resume point even when no event matched yet (so a stream started
/// "now" that reconnects misses nothing that happened in between).
struct EventStream: Sendable {
    /// What the caller wants next.
    enum Decision: Sendable {
        case `continue`
        case stop
    }

    /// Connection status, reported on standard error by the commands.
    enum Status: Sendable {
        /// Connecting for the first time (from `after`, or from now when `nil`).
        case connecting(after: Int64?)
        /// The server confirmed the subscription: everything up to `position` is delivered; live from here.
        case live(position: Int64)
        /// The connection ended or failed; trying again after `delay`, resuming after `after`.
        case reconnecting(after: Int64?, reason: String, delay: Duration)
    }

    let api: APIClient
    /// `event_type` patterns (server-side filter).
    var eventTypes: [String] = []
    /// `workflow_id` (server-side filter).
    var workflowID: UUID?

    /// The resume point: the last position delivered (or confirmed by the server). Shared so a signal handler
    /// can print it.
    let resume = NIOLockedValueBox<Int64?>(nil)

    /// Streams events after `after` (from now when `nil`) until `onEvent` says stop; never returns otherwise.
    /// Frames at or below the resume point are dropped (no duplicate across reconnects).
    func run(
        after: Int64?, status: @escaping @Sendable (Status) -> Void,
        onEvent: @escaping @Sendable (StreamedEvent) async throws -> Decision
    ) async throws {
        resume.withLockedValue { $0 = after }
        var attempt = 0
        status(.connecting(after: after))
        while true {
            try Task.checkCancellation()
            let from = resume.withLockedValue { $0 }
            let stopped = NIOLockedValueBox(false)
            let confirmed = NIOLockedValueBox(false)
            var reason = "the API closed the stream"
            do {
                try await connect(after: from) { frame in
                    if let event = StreamedEvent(frame: frame) {
                        let fresh = resume.withLockedValue { last -> Bool in
                            if let last, event.position <= last { return false }
                            last = event.position
                            return true
                        }
                        guard fresh else { return .continue }
                        if try await onEvent(event) == .stop {
                            stopped.withLockedValue { $0 = true }
                            return .stop
                        }
                        return .continue
                    }
                    guard case .object(let object)? = try? JSONValue(parsing: frame) else { return .continue }
                    switch object["type"]?.stringValue {
                    case "subscribed":
                        if let position = object["position"]?.numberValue?.int64Value {
                            let now = resume.withLockedValue { last -> Int64 in
                                last = max(last ?? position, position)
                                return last ?? position
                            }
                            confirmed.withLockedValue { $0 = true }
                            status(.live(position: now))
                        }
                    case "error":
                        // The server gives up on this connection (e.g. a slow client): reconnect and resume.
                        throw StreamError(object["message"]?.stringValue ?? "error frame")
                    default:
                        break
                    }
                    return .continue
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch let failure as CommandFailure {
                throw failure
            } catch {
                reason = APIClient.describe(error)
            }
            if stopped.withLockedValue({ $0 }) { return }
            // A connection that got as far as the subscription resets the backoff.
            attempt = confirmed.withLockedValue({ $0 }) ? 1 : attempt + 1
            let delay = Self.backoff(attempt: attempt)
            status(.reconnecting(after: resume.withLockedValue { $0 }, reason: reason, delay: delay))
            try await Task.sleep(for: delay)
        }
    }

    /// 250 ms, doubling up to 5 s.
    static func backoff(attempt: Int) -> Duration {
        let milliseconds = min(5000, 250 << min(max(attempt - 1, 0), 5))
        return .milliseconds(milliseconds)
    }

    /// The stream URL with the filters and `after`.
    func url(after: Int64?) -> String {
        api.streamURL
            + queryString([
                ("event_type", eventTypes.isEmpty ? nil : eventTypes.joined(separator: ",")),
                ("workflow_id", workflowID.map(BloodbankUUID.format)),
                ("after", after.map(String.init)),
            ])
    }

    /// The subscribe frame (the same filters as the query string).
    var subscribeFrame: String {
        var filters: JSONObject = [:]
        if !eventTypes.isEmpty { filters.append("event_type", .array(eventTypes.map { .string($0) })) }
        if let workflowID { filters.append("workflow_id", .string(BloodbankUUID.format(workflowID))) }
        return JSONValue.object(["type": "subscribe", "filters": .object(filters)]).encodedString()
    }

    private func connect(
        after: Int64?, _ handle: @escaping @Sendable (String) async throws -> Decision
    ) async throws {
        var headers = HTTPFields()
        if let token = api.token, !token.isEmpty { headers[.authorization] = "Bearer \(token)" }
        let configuration = WebSocketClientConfiguration(maxFrameSize: 16 << 20, additionalHeaders: headers)
        let subscribe = subscribeFrame
        let url = url(after: after)
        do {
            try await WebSocketClient.connect(
                url: url, configuration: configuration, logger: Self.logger
            ) { inbound, outbound, _ in
                try await outbound.write(.text(subscribe))
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    guard case .text(let text) = message else { continue }
                    if try await handle(text) == .stop { return }
                }
            }
        } catch let error as StreamError {
            throw error
        } catch {
            // A refused upgrade carries no reason (the server writes an empty 400): the same URL as a plain GET
            // answers with the JSON error naming the parameter, or 401 for a wrong token.
            let path = String(url.dropFirst(api.streamURL.count - "/api/v1/events/stream".count))
            if let response = try? await api.get(path, timeoutSeconds: 5),
                [400, 401, 404, 422].contains(response.status)
            {
                throw api.failure(response, path: path)
            }
            throw error
        }
    }

    /// WSClient wants a logger; `bb` reports status itself.
    static let logger = Logger(label: "bb.stream") { _ in SwiftLogNoOpLogHandler() }
}

/// The stream ended in a way that calls for a reconnect.
struct StreamError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
