import BloodbankModel
import CandystoreConfig
import Foundation

/// The catalogue type nearest to a mistyped one (`bmad.workflow.handoff.request` → `…requested`).
enum CatalogueSuggestion {
    /// The type with the smallest edit distance, if any is close enough to be a plausible typo (at most a third
    /// of the longer name's characters differ).
    static func nearest(to type: String, in types: [String]) -> String? {
        let scored = types.map { ($0, distance(type, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(3, max(type.count, best.0.count) / 3) ? best.0 : nil
    }

    /// Levenshtein distance (event types are ASCII, so bytes are characters); the one `candystore config`
    /// uses for a mistyped variable.
    static func distance(_ lhs: String, _ rhs: String) -> Int {
        Settings.editDistance(Array(lhs.utf8), Array(rhs.utf8))
    }
}

/// `bb publish --wait-stored`: polls `GET /api/v1/events/{id}` until the Event Store Manager stored the event.
struct StoredWaiter: Sendable {
    let api: APIClient

    /// The stored position of `id`; a ``CommandFailure`` naming the likely cause after `timeout`.
    func position(of id: UUID, timeout: Duration) async throws -> Int64 {
        try await api.checkReachable()
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(50)
        while true {
            if let response = try await api.event(id),
                let position = response.json?["position"]?.numberValue?.int64Value
            {
                return position
            }
            guard ContinuousClock.now < deadline else {
                throw CommandFailure(
                    "event \(BloodbankUUID.format(id)) was published but is not readable from the Event Store API "
                        + "after \(timeout) — is the Event Store Manager running? (scripts/service status manager)")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(500))
        }
    }
}
