public import AMQPClient
public import BloodbankModel

/// Dead-lettering with a reason: a copy of the message (body and properties unchanged) is published to the
/// dead-letter exchange with headers saying why, so whoever reads the DLQ knows what was wrong.
///
/// `basic.reject(requeue: false)` would dead-letter too, but cannot add headers; the services publish the copy,
/// wait for the broker's confirm, and only then acknowledge the original.
public enum DeadLetter {
    /// Header with the short error code (`invalid_json`, `invalid_envelope`, `invalid_payload`, …).
    public static let errorHeader = "x-candystore-error"
    /// Header with the human-readable reason.
    public static let reasonHeader = "x-candystore-reason"

    /// Header set (to `true`) when the original message's own headers had to be left off the copy because,
    /// with the reason added, they no longer fit in one frame.
    public static let headersDroppedHeader = "x-candystore-original-headers-dropped"

    /// Publishes the copy of `delivery`; returns normally only when the broker confirmed it.
    ///
    /// `reason` is cut to `limits.maximumReasonBytes` (a reason can echo input, e.g. Letta repeats a rejected
    /// value). Should the copy's headers still exceed frame_max, because the original's were already close to
    /// it, the copy is sent with the Candystore headers only and ``headersDroppedHeader`` set.
    public static func publish(
        _ delivery: AMQPDelivery,
        code: String,
        reason: String,
        exchange: String,
        routingKey: String,
        limits: MessageLimits = .default,
        on client: any AMQPPublishing
    ) async throws {
        var properties = delivery.properties
        let ours: AMQPTable = [
            errorHeader: .string(MessageLimits.truncated(code, maxBytes: 128)),
            reasonHeader: .string(limits.reason(reason)),
            "x-original-exchange": .string(delivery.exchange),
            "x-original-routing-key": .string(delivery.routingKey),
        ]
        var headers = properties.headers ?? AMQPTable()
        for (key, value) in ours { headers[key] = value }
        properties.headers = headers
        properties.deliveryMode = AMQPProperties.persistentDeliveryMode
        let confirm: AMQPPublishConfirm
        do {
            confirm = try await client.basicPublish(
                exchange: exchange, routingKey: routingKey, body: delivery.body, properties: properties,
                mandatory: true)
        } catch let error as AMQPError where error.code == .frameTooLarge {
            var minimal = ours
            minimal[headersDroppedHeader] = .bool(true)
            properties.headers = minimal
            confirm = try await client.basicPublish(
                exchange: exchange, routingKey: routingKey, body: delivery.body, properties: properties,
                mandatory: true)
        }
        guard case .ack = confirm else {
            throw BloodbankError(
                .rejectedByBroker, "dead-letter copy to \(exchange)/\(routingKey) not confirmed: \(confirm)")
        }
    }
}
