import NIOCore

/// Publisher-confirm bookkeeping (RabbitMQ extension "confirm.select"; tags count publishes from 1 on the
/// channel). Acks and nacks may be single or `multiple` (everything up to and including the tag) and may
/// arrive out of order across queues. Pending publishes live in a dictionary keyed by tag, and `lowest`
/// walks forward, so a `multiple` ack costs O(newly confirmed) and a single ack O(1) amortised.
struct ConfirmTracker<Waiter> {
    enum Outcome: Sendable, Hashable {
        case ack
        case nack
        case returned(AMQPReturnedMessage)
    }

    /// What identifies a mandatory publish when its basic.return comes back (returns carry no delivery tag).
    struct MandatoryKey: Sendable, Hashable {
        var exchange: String
        var routingKey: String
        var bodyHash: Int
    }

    private struct Entry {
        var waiter: Waiter
        var mandatory: MandatoryKey?
        var returned: AMQPReturnedMessage?
        /// When the publish was registered (tags are registered in time order).
        var registeredAt: NIODeadline
    }

    private(set) var nextTag: UInt64 = 1
    private var lowest: UInt64 = 1
    private var pending: [UInt64: Entry] = [:]
    private var pendingMandatory = 0

    var outstandingCount: Int { self.pending.count }

    /// Records a publish about to be written; returns its delivery tag.
    mutating func register(
        _ waiter: Waiter, mandatory: MandatoryKey? = nil, at registeredAt: NIODeadline = .now()
    ) -> UInt64 {
        let tag = self.nextTag
        self.nextTag += 1
        self.pending[tag] = Entry(waiter: waiter, mandatory: mandatory, registeredAt: registeredAt)
        if mandatory != nil { self.pendingMandatory += 1 }
        return tag
    }

    /// Applies basic.ack (`ack == true`) or basic.nack. Tag 0 with `multiple` means "all outstanding".
    mutating func resolve(deliveryTag: UInt64, multiple: Bool, ack: Bool) -> [(Waiter, Outcome)] {
        var resolved: [(Waiter, Outcome)] = []
        if multiple {
            let upper = deliveryTag == 0 ? self.nextTag - 1 : min(deliveryTag, self.nextTag - 1)
            guard upper >= self.lowest else { return [] }
            resolved.reserveCapacity(Int(min(upper - self.lowest + 1, 4096)))
            var tag = self.lowest
            while tag <= upper {
                if let entry = self.pending.removeValue(forKey: tag) {
                    resolved.append((entry.waiter, self.outcome(entry, ack: ack)))
                }
                tag += 1
            }
            self.lowest = upper + 1
        } else if let entry = self.pending.removeValue(forKey: deliveryTag) {
            resolved.append((entry.waiter, self.outcome(entry, ack: ack)))
        }
        self.advanceLowest()
        return resolved
    }

    /// Attaches a basic.return to the oldest unreturned mandatory publish with the same exchange, routing key
    /// and body. RabbitMQ sends the return before the publish's ack, so the ack then resolves it as returned.
    mutating func matchReturn(_ message: AMQPReturnedMessage) -> Bool {
        guard self.pendingMandatory > 0 else { return false }
        let key = MandatoryKey(
            exchange: message.exchange,
            routingKey: message.routingKey,
            bodyHash: message.body.hashValue
        )
        var tag = self.lowest
        while tag < self.nextTag {
            if var entry = self.pending[tag], entry.mandatory == key, entry.returned == nil {
                entry.returned = message
                self.pending[tag] = entry
                return true
            }
            tag += 1
        }
        return false
    }

    /// Removes the publishes registered before `cutoff` that are still unconfirmed; ordered by tag.
    ///
    /// The broker may still confirm them later: such a late ack or nack finds no entry and is ignored. Cost:
    /// O(expired), because entries are registered in time order and the walk stops at the first young one.
    mutating func expire(registeredBefore cutoff: NIODeadline) -> [Waiter] {
        var expired: [Waiter] = []
        var tag = self.lowest
        while tag < self.nextTag {
            if let entry = self.pending[tag] {
                guard entry.registeredAt < cutoff else { break }
                self.pending[tag] = nil
                if entry.mandatory != nil { self.pendingMandatory -= 1 }
                expired.append(entry.waiter)
            }
            tag += 1
        }
        self.advanceLowest()
        return expired
    }

    /// Removes every outstanding publish (the channel or connection is gone); ordered by tag.
    mutating func failAll() -> [Waiter] {
        let waiters = self.pending.sorted(by: { $0.key < $1.key }).map(\.value.waiter)
        self.pending.removeAll()
        self.pendingMandatory = 0
        self.lowest = self.nextTag
        return waiters
    }

    private mutating func outcome(_ entry: Entry, ack: Bool) -> Outcome {
        if entry.mandatory != nil { self.pendingMandatory -= 1 }
        if let returned = entry.returned { return .returned(returned) }
        return ack ? .ack : .nack
    }

    private mutating func advanceLowest() {
        while self.lowest < self.nextTag, self.pending[self.lowest] == nil {
            self.lowest += 1
        }
    }
}
