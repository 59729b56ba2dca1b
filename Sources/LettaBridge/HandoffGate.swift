package import Foundation

/// One handoff at a time per handoff id, and a memory of the handoffs whose work this process finished.
///
/// The same handoff can arrive twice at once (a producer that retried its publish, or a redelivery while the
/// first copy is still being handled); both copies would find no agent and create two. The gate makes the
/// second copy wait until the first is done, so it finds the agent the first one created. Handoffs whose task
/// was already sent (and whose outcome was published) are remembered, bounded, so a later copy is accepted
/// again (same event id) but the agent does not do the work twice.
package actor HandoffGate {
    private var busy: Set<UUID> = []
    private var waiters: [UUID: [CheckedContinuation<Void, Never>]] = [:]
    private var finished: Set<UUID> = []
    private var finishedOrder: [UUID] = []
    private let memory: Int

    /// A gate that remembers the last `memory` finished handoffs.
    package init(memory: Int = 10_000) {
        self.memory = max(1, memory)
    }

    /// Waits until no other copy of `id` is being handled, then marks it busy.
    package func enter(_ id: UUID) async {
        while busy.contains(id) {
            await withCheckedContinuation { continuation in
                waiters[id, default: []].append(continuation)
            }
        }
        busy.insert(id)
    }

    /// Releases `id` and wakes the copies waiting for it.
    package func leave(_ id: UUID) {
        busy.remove(id)
        for waiter in waiters.removeValue(forKey: id) ?? [] { waiter.resume() }
    }

    /// Whether this process already sent the task of `id` and published its outcome.
    package func isFinished(_ id: UUID) -> Bool { finished.contains(id) }

    /// Records that the work of `id` is done (its outcome published).
    package func markFinished(_ id: UUID) {
        guard finished.insert(id).inserted else { return }
        finishedOrder.append(id)
        if finishedOrder.count > memory {
            let excess = finishedOrder.count - memory
            for old in finishedOrder.prefix(excess) { finished.remove(old) }
            finishedOrder.removeFirst(excess)
        }
    }
}
