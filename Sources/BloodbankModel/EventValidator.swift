/// An envelope that passed validation, with its typed payload when the type is catalogued.
public struct ValidatedEvent: Sendable {
    /// The decoded envelope (payload kept exactly as it arrived).
    public let envelope: EventEnvelope
    /// The typed payload; `nil` for event types the catalogue does not know.
    public let typedPayload: TypedPayload?

    /// Whether the event type is in the catalogue.
    public var isKnownType: Bool { typedPayload != nil }
}

/// Turns raw message bodies into validated events or classified errors; the ingest path's single check.
///
/// Order of checks: size (`too_large`), JSON syntax (`invalid_json`), envelope (`invalid_envelope`), then, for catalogued types
/// only, the payload (`invalid_payload`). Unknown event types are valid. The error's code and reason go into
/// the dead-letter headers `x-candystore-error` and `x-candystore-reason`.
public struct EventValidator: Sendable {
    /// The catalogue used for payload checks.
    public let catalogue: EventCatalogue
    /// The size limits (a body over ``MessageLimits/maximumEventBytes`` is `too_large`).
    public let limits: MessageLimits

    /// Creates a validator over a catalogue (Phase 1 and 2 by default) with the given limits.
    public init(catalogue: EventCatalogue = .standard, limits: MessageLimits = .default) {
        self.catalogue = catalogue
        self.limits = limits
    }

    /// Validates a message body.
    ///
    /// - Throws: ``BloodbankModelError`` with code `too_large`, `invalid_json`, `invalid_envelope` or
    ///   `invalid_payload`.
    public func validate(bytes: some Collection<UInt8>) throws(BloodbankModelError) -> ValidatedEvent {
        let size = bytes.count
        guard size <= limits.maximumEventBytes else {
            throw BloodbankModelError(
                code: .tooLarge,
                reason: "the message is \(size) bytes; the limit is \(limits.maximumEventBytes) bytes (MAX_EVENT_BYTES)"
            )
        }
        let envelope = try EventEnvelope(decoding: bytes)
        return try validate(envelope)
    }

    /// Validates a message body, returning a `Result` (convenient in consumer loops that route failures).
    public func result(bytes: some Collection<UInt8>) -> Result<ValidatedEvent, BloodbankModelError> {
        do throws(BloodbankModelError) {
            return .success(try validate(bytes: bytes))
        } catch {
            return .failure(error)
        }
    }

    /// Checks an already decoded envelope's payload against the catalogue.
    ///
    /// - Throws: `invalid_payload` for a catalogued type whose payload does not match.
    public func validate(_ envelope: EventEnvelope) throws(BloodbankModelError) -> ValidatedEvent {
        guard let entry = catalogue[envelope.eventType] else {
            return ValidatedEvent(envelope: envelope, typedPayload: nil)
        }
        let typed = try entry.validate(envelope.payload)
        return ValidatedEvent(envelope: envelope, typedPayload: typed)
    }
}
