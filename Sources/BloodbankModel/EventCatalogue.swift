/// The registry of known event types: event type → payload descriptors and typed decoder.
///
/// Event types that are not in the catalogue are still valid events (the store keeps them); only a
/// catalogued type whose payload does not match its descriptors is rejected.
public struct EventCatalogue: Sendable {
    /// One catalogued event type.
    public struct Entry: Sendable {
        /// The event type (routing key).
        public let eventType: String
        /// One sentence describing the event.
        public let summary: String
        /// The payload's field descriptors.
        public let fields: [PayloadField]
        /// Decodes a payload that passed validation against ``fields``.
        public let decode: @Sendable (JSONObject) throws(BloodbankModelError) -> TypedPayload

        /// Creates an entry from a typed payload, wrapping decoded values with `wrap`.
        public init<Payload: BloodbankPayload>(
            _ type: Payload.Type,
            wrap: @escaping @Sendable (Payload) -> TypedPayload
        ) {
            self.eventType = Payload.eventType
            self.summary = Payload.summary
            self.fields = Payload.fields
            self.decode = { (object: JSONObject) throws(BloodbankModelError) -> TypedPayload in
                wrap(try Payload(validatedPayload: object))
            }
        }

        /// Creates an entry for a custom payload type, surfaced as ``TypedPayload/other(_:)``.
        public init<Payload: BloodbankPayload>(_ type: Payload.Type) {
            self.init(type) { .other($0) }
        }

        /// Validates `payload` against the descriptors and decodes it.
        ///
        /// - Throws: `invalid_payload` naming the first offending field.
        public func validate(_ payload: JSONObject) throws(BloodbankModelError) -> TypedPayload {
            try PayloadField.validate(payload, against: fields, path: "payload")
            return try decode(payload)
        }
    }

    /// The entries by event type.
    public let entries: [String: Entry]

    /// Creates a catalogue; a later entry for the same event type replaces an earlier one.
    public init(_ entries: [Entry]) {
        var byType: [String: Entry] = [:]
        for entry in entries { byType[entry.eventType] = entry }
        self.entries = byType
    }

    /// The entry for an event type, or `nil` for an unknown (but still valid) type.
    public subscript(eventType: String) -> Entry? {
        entries[eventType]
    }

    /// The event types, sorted, for deterministic listings and schema export.
    public var eventTypes: [String] {
        entries.keys.sorted()
    }

    /// Returns a catalogue with `entry` added (or replacing the entry of the same type).
    public func adding(_ entry: Entry) -> EventCatalogue {
        EventCatalogue(Array(entries.values) + [entry])
    }

    /// The Phase 1 BMAD ↔ Letta coordination events (design brief §2).
    public static let phase1 = EventCatalogue([
        Entry(WorkflowStartedPayload.self) { .workflowStarted($0) },
        Entry(PhaseCompletedPayload.self) { .phaseCompleted($0) },
        Entry(HandoffRequestedPayload.self) { .handoffRequested($0) },
        Entry(WorkflowCompletedPayload.self) { .workflowCompleted($0) },
        Entry(HandoffAcceptedPayload.self) { .handoffAccepted($0) },
        Entry(CheckpointSavedPayload.self) { .checkpointSaved($0) },
        Entry(TaskCompletedPayload.self) { .taskCompleted($0) },
        Entry(TaskBlockedPayload.self) { .taskBlocked($0) },
    ])

    /// The Phase 2 "Checkpoints & Recovery" events (docs/architecture.md, issue 13): session lifecycle and recovery.
    public static let phase2 = EventCatalogue([
        Entry(SessionFailedPayload.self) { .sessionFailed($0) },
        Entry(SessionPausedPayload.self) { .sessionPaused($0) },
        Entry(SessionResumedPayload.self) { .sessionResumed($0) },
        Entry(SessionRecoveryStartedPayload.self) { .recoveryStarted($0) },
        Entry(ContextRestoredPayload.self) { .contextRestored($0) },
        Entry(TaskResumedPayload.self) { .taskResumed($0) },
    ])

    /// Every catalogued type: Phase 1 and Phase 2 (the default of the validator, the schema export and the API).
    public static let standard = EventCatalogue(Array(phase1.entries.values) + Array(phase2.entries.values))
}
