public import AMQPClient
public import BloodbankModel
public import Foundation
public import NIOCore

/// Anything that can publish with confirms: the self-healing `AMQPClient` (services) and a single
/// `AMQPChannel` in confirm mode (one-shot CLI publishes that must fail fast when the broker is down).
public protocol AMQPPublishing: Sendable {
    /// Publishes one message and returns the broker's verdict.
    func basicPublish(
        exchange: String, routingKey: String, body: ByteBuffer, properties: AMQPProperties, mandatory: Bool
    ) async throws -> AMQPPublishConfirm
}

extension AMQPClient: AMQPPublishing {}
extension AMQPChannel: AMQPPublishing {}

/// Publishes Bloodbank events the way the Python producers do (brief §1): routing key = event type,
/// `application/json`, `utf-8`, persistent, `message_id` = event id, publisher confirms, mandatory.
///
/// `publish` returns only after the broker confirmed the message; every other outcome throws a
/// ``BloodbankError`` (``BloodbankError/Code/brokerUnavailable`` is safe to retry: the event id makes a
/// duplicate harmless, the store keeps one copy).
public struct BloodbankPublisher: Sendable {
    private let client: any AMQPPublishing
    private let exchange: String
    /// The `source` stamped on events this publisher builds.
    public let source: EventSource
    private let validator: EventValidator

    /// Creates a publisher on `client` (an `AMQPClient` whose `run()` is running, or a confirm-mode channel)
    /// for `exchange`, stamping `source`.
    public init(
        client: any AMQPPublishing,
        exchange: String = "bloodbank.events.v1",
        source: EventSource,
        validator: EventValidator = EventValidator()
    ) {
        self.client = client
        self.exchange = exchange
        self.source = source
        self.validator = validator
    }

    /// Builds an envelope (new id, UTC now, this publisher's source), validates it, publishes it and returns
    /// its id once the broker confirmed.
    @discardableResult
    public func publish(
        eventType: String,
        payload: JSONObject,
        correlationIDs: [UUID] = [],
        agentContext: AgentContext? = nil
    ) async throws -> UUID {
        let envelope: EventEnvelope
        do {
            envelope = try EventEnvelope(
                eventType: eventType,
                payload: payload,
                correlationIDs: correlationIDs,
                agentContext: agentContext,
                source: source
            )
        } catch {
            throw BloodbankError(.invalidEvent, error.reason, underlying: error)
        }
        try await publish(envelope)
        return envelope.eventID
    }

    /// Publishes a typed payload (its event type comes from the payload type).
    @discardableResult
    public func publish<Payload: BloodbankPayload>(
        _ payload: Payload,
        correlationIDs: [UUID] = [],
        agentContext: AgentContext? = nil
    ) async throws -> UUID {
        let envelope = EventEnvelope(
            payload: payload, correlationIDs: correlationIDs, agentContext: agentContext, source: source)
        try await publish(envelope)
        return envelope.eventID
    }

    /// Validates and publishes a complete envelope as it is (keeps its id and timestamp: republishing the
    /// same envelope after a failure is how a caller retries).
    public func publish(_ envelope: EventEnvelope) async throws {
        do {
            _ = try validator.validate(envelope)
        } catch {
            throw BloodbankError(.invalidEvent, error.reason, underlying: error)
        }
        let body = ByteBuffer(bytes: envelope.encodedBytes())
        let confirm: AMQPPublishConfirm
        do {
            confirm = try await client.basicPublish(
                exchange: exchange,
                routingKey: envelope.eventType,
                body: body,
                properties: Self.properties(for: envelope),
                mandatory: true
            )
        } catch let error as AMQPError {
            throw BloodbankError(
                .brokerUnavailable, "publishing \(envelope.eventType) failed: \(error)", underlying: error)
        }
        switch confirm {
        case .ack:
            return
        case .nack:
            throw BloodbankError(
                .rejectedByBroker,
                "the broker refused \(envelope.eventType) \(BloodbankUUID.format(envelope.eventID)) (queue full?)")
        case .returned(let returned):
            throw BloodbankError(
                .unroutable,
                "no queue is bound to \(exchange) for \(envelope.eventType): \(returned.replyCode) \(returned.replyText)"
            )
        case .unconfirmed:
            throw BloodbankError(.brokerUnavailable, "the channel is not in confirm mode")
        }
    }

    /// The AMQP properties of a Bloodbank message (brief §1).
    public static func properties(for envelope: EventEnvelope) -> AMQPProperties {
        AMQPProperties(
            contentType: "application/json",
            contentEncoding: "utf-8",
            deliveryMode: AMQPProperties.persistentDeliveryMode,
            messageID: BloodbankUUID.format(envelope.eventID),
            timestamp: UInt64(max(0, envelope.timestamp.microsecondsSinceEpoch / 1_000_000))
        )
    }
}
