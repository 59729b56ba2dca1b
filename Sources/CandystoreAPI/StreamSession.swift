import BloodbankModel
import EventStoreQueries
import Foundation
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers

/// One WebSocket client of `/api/v1/events/stream`.
///
/// Ordering guarantee: the session tracks the next position it expects. Anything at or below the last sent
/// position is a duplicate and dropped; anything beyond the expected one is preceded by the missing range,
/// read from the store. Because positions are gapless and commit-ordered, this yields every matching event
/// exactly once, in order, across catch-up, live delivery, Redis reconnects and polling.
struct StreamSession {
    let hub: EventStreamHub
    let reader: any EventStoreReading
    let heartbeatInterval: Duration
    let bufferSize: Int
    let logger: Logger

    /// How the session ended.
    enum Outcome: Sendable {
        case clientClosed
        case evicted
        case ended
        case failed(String)
    }

    /// Largest client frame accepted (subscribe frames are tiny).
    static let maximumClientFrame = 64 * 1024
    /// How long an evicted client has to take the error frame before the socket is closed.
    static let evictionGracePeriod: Duration = .seconds(5)
    /// Rows per store read during catch-up and gap repair.
    static let pageSize = 500

    func run(
        filter initialFilter: EventStreamFilter, after: Int64?, inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter
    ) async throws {
        let subscriber = hub.subscribe(bufferSize: bufferSize)
        defer { hub.unsubscribe(subscriber) }
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    try await writeLoop(
                        subscriber: subscriber, filter: initialFilter, after: after, outbound: outbound)
                    return .ended
                } catch is CancellationError {
                    return .ended
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: Self.maximumClientFrame) {
                        subscriber.continuation.yield(Self.input(from: message))
                    }
                } catch {}
                return .clientClosed
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: heartbeatInterval)
                    if Task.isCancelled { break }
                    subscriber.continuation.yield(.heartbeat)
                }
                return .ended
            }
            group.addTask {
                for await _ in subscriber.eviction {}
                return subscriber.evicted.withLockedValue { $0 } ? .evicted : .ended
            }
            let first = await group.next() ?? .ended
            group.cancelAll()
            return first
        }
        switch outcome {
        case .evicted:
            // The socket is backed up (that is why the queue overflowed): give the error frame a few seconds to
            // get through, then the handler returns and the socket closes. A cancelled write drops the frame.
            let frame = Self.errorFrame(
                "client too slow: more than \(bufferSize) events queued; closing, reconnect with after=<last position>"
            )
            _ = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    (try? await outbound.write(.text(frame))) != nil
                }
                group.addTask {
                    try? await Task.sleep(for: Self.evictionGracePeriod)
                    return false
                }
                let result = await group.next() ?? false
                group.cancelAll()
                return result
            }
        case .failed(let message):
            logger.warning("stream session failed", metadata: ["error": "\(message)"])
            try? await outbound.write(.text(Self.errorFrame("stream failed: \(message)")))
        case .clientClosed, .ended:
            break
        }
    }

    /// Parses a client frame: `{"type":"subscribe","filters":{"event_type":…,"workflow_id":…}}`.
    static func input(from message: WebSocketMessage) -> StreamInput {
        guard case .text(let text) = message else { return .clientError("expected a JSON text frame") }
        guard case .object(let object)? = try? JSONValue(parsing: text) else {
            return .clientError("expected a JSON object such as {\"type\":\"subscribe\",\"filters\":{}}")
        }
        guard case .string("subscribe")? = object["type"] else {
            return .clientError("unknown frame type; only \"subscribe\" is understood")
        }
        var parameters: [String: String] = [:]
        if case .object(let filters)? = object["filters"] {
            switch filters["event_type"] {
            case .string(let value)?: parameters["event_type"] = value
            case .array(let values)?:
                parameters["event_type"] = values.compactMap(\.stringValue).joined(separator: ",")
            case .null?, nil: break
            default: return .clientError("filters.event_type: expected a string or an array of strings")
            }
            switch filters["workflow_id"] {
            case .string(let value)?: parameters["workflow_id"] = value
            case .null?, nil: break
            default: return .clientError("filters.workflow_id: expected a UUID string")
            }
        } else if object["filters"] != nil, object["filters"] != .null {
            return .clientError("filters: expected an object")
        }
        do {
            return .subscribe(try EventStreamFilter(parameters: parameters))
        } catch {
            return .clientError("filters.\(error.message)")
        }
    }

    private func writeLoop(
        subscriber: EventStreamHub.Subscriber, filter initialFilter: EventStreamFilter, after: Int64?,
        outbound: WebSocketOutboundWriter
    ) async throws {
        var filter = initialFilter
        // `last` is the position of the last event this session has accounted for (sent or filtered out).
        // Every comparison is written so that no value a client or a Redis message can supply overflows:
        // `after` may be Int64.max (docs/api.md allows any non-negative position), and only positions read
        // from the store or validated by the hub (one past the previous, or read back) ever reach `last + 1`.
        var last: Int64
        // Read the catch-up bound only once the hub knows the store's last position: everything committed
        // after it then reaches this session through the hub (no event waits for a later one to reveal it).
        while !hub.isInitialized {
            try await Task.sleep(for: .milliseconds(20))
        }
        let committed = try await reader.maxPosition()
        if let after {
            // Catch up to what is committed now; live events queue meanwhile and are deduplicated below.
            if after < committed {
                try await sendRange(from: after + 1, through: committed, filter: filter, outbound: outbound)
            }
            last = max(after, committed)
        } else {
            last = committed
        }
        for await input in subscriber.inputs {
            switch input {
            case .event(let event):
                if event.position <= last { continue }
                if event.position - 1 > last {
                    try await sendRange(from: last + 1, through: event.position - 1, filter: filter, outbound: outbound)
                }
                last = event.position
                guard filter.eventTypes.matchesAny(event.eventType) else { continue }
                if let workflowID = filter.workflowID {
                    if event.workflowIDIsExact {
                        guard event.workflowID == workflowID else { continue }
                    } else {
                        // The workflow may be inherited from a parent: only the store knows.
                        try await sendRange(
                            from: event.position, through: event.position, filter: filter, outbound: outbound)
                        continue
                    }
                }
                try await outbound.write(.text(event.frame))
            case .heartbeat:
                try await outbound.write(.text(Self.heartbeatFrame()))
            case .subscribe(let newFilter):
                filter = newFilter
                try await outbound.write(.text(Self.subscribedFrame(newFilter, last: last)))
            case .clientError(let message):
                try await outbound.write(.text(Self.errorFrame(message)))
            }
        }
    }

    private func sendRange(
        from: Int64, through: Int64, filter: EventStreamFilter, outbound: WebSocketOutboundWriter
    ) async throws {
        var start = from
        while start <= through {
            let events = try await reader.events(
                positions: start, through: through, filter: filter, limit: Self.pageSize)
            for event in events {
                try await outbound.write(.text(Self.eventFrame(position: event.position, json: event.jsonBytes())))
            }
            guard events.count == Self.pageSize, let last = events.last else { break }
            start = last.position + 1
        }
    }

    static func eventFrame(position: Int64, json: [UInt8]) -> String {
        var bytes = Array(#"{"type":"event","position":"#.utf8)
        bytes.append(contentsOf: String(position).utf8)
        bytes.append(contentsOf: #","data":"#.utf8)
        bytes.append(contentsOf: json)
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    static func heartbeatFrame() -> String {
        JSONValue.object(["type": "heartbeat", "timestamp": .string(EventTimestamp.now().description)])
            .encodedString()
    }

    static func errorFrame(_ message: String) -> String {
        JSONValue.object(["type": "error", "message": .string(message)]).encodedString()
    }

    static func subscribedFrame(_ filter: EventStreamFilter, last: Int64) -> String {
        JSONValue.object([
            "type": "subscribed",
            "filters": .object([
                "event_type": .array(filter.eventTypes.map { .string($0.text) }),
                "workflow_id": filter.workflowID.map { .string(BloodbankUUID.format($0)) } ?? .null,
            ]),
            "position": .number(JSONNumber(last)),
        ]).encodedString()
    }
}
