public import AMQPClient

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

    /// Publishes the copy of `delivery`; returns normally only when the broker confirmed it.
    public static func publish(
        _ delivery: AMQPDelivery,
        code: String,
        reason: String,
        exchange: String,
        routingKey: String,
        on client: any AMQPPublishing
    ) async throws {
        var properties = delivery.properties
        var headers = properties.headers ?? AMQPTable()
        headers[errorHeader] = .string(code)
        headers[reasonHeader] = .string(reason)
        headers["x-original-exchange"] = .string(delivery.exchange)
        headers["x-original-routing-key"] = .string(delivery.routingKey)
        properties.headers = headers
        properties.deliveryMode = AMQPProperties.persistentDeliveryMode
        let confirm = try await client.basicPublish(
            exchange: exchange, routingKey: routingKey, body: delivery.body, properties: properties, mandatory: true)
        guard case .ack = confirm else {
            throw BloodbankError(
                .rejectedByBroker, "dead-letter copy to \(exchange)/\(routingKey) not confirmed: \(confirm)")
        }
    }
}
