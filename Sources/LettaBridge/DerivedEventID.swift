public import Foundation

/// Deterministic ids for the events the bridge publishes about a handoff.
///
/// The acceptance (and the task outcome) of handoff H always get the same event id, derived from H's id and the
/// purpose, so a redelivered handoff republishes the *same* event and the store keeps one copy. The id is a
/// version-8 (vendor-specific, RFC 9562) UUID: H's bytes XOR a per-purpose mask, version and variant bits set.
public enum DerivedEventID {
    /// The id of the `agent.handoff.accepted` event for `handoff`.
    public static func acceptance(of handoff: UUID) -> UUID { derive(handoff, purpose: "accepted") }
    /// The id of the `agent.letta.task.completed` or `.blocked` event for `handoff`.
    public static func outcome(of handoff: UUID) -> UUID { derive(handoff, purpose: "outcome") }

    /// The id of another event the bridge publishes about `handoff` (checkpoints, recovery), one per `purpose`.
    ///
    /// Unlike ``acceptance(of:)`` and ``outcome(of:)`` (whose ids are fixed by their short purposes), the purpose
    /// may be any text (e.g. a checkpoint's Letta message id): its bytes are hashed (FNV-1a, two seeds) into the
    /// 16-byte mask, so distinct purposes give distinct ids.
    public static func event(of handoff: UUID, purpose: String) -> UUID {
        var mask: [UInt8] = []
        for seed in [UInt64(0xcbf2_9ce4_8422_2325), 0x8422_2325_cbf2_9ce4] {
            var hash = seed
            for byte in purpose.utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            for shift in stride(from: 0, to: 64, by: 8) {
                mask.append(UInt8(truncatingIfNeeded: hash >> UInt64(shift)))
            }
        }
        return apply(mask, to: handoff)
    }

    static func derive(_ id: UUID, purpose: String) -> UUID {
        var mask = Array(purpose.utf8)
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        while mask.count < 16 {
            state = (state ^ UInt64(mask.count)) &* 0x0000_0100_0000_01b3
            mask.append(UInt8(truncatingIfNeeded: state >> 24))
        }
        return apply(mask, to: id)
    }

    /// `id`'s bytes XOR the first 16 bytes of `mask`, with the version-8 and variant bits set.
    static func apply(_ mask: [UInt8], to id: UUID) -> UUID {
        var bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        for index in 0..<16 { bytes[index] ^= mask[index] }
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
