/// Exponential backoff with jitter: how long to wait before retrying something that failed.
///
/// The one policy of the package: the AMQP and Redis clients use it between reconnect attempts, the manager
/// between database writes and dead-letter publishes, the Letta bridge between Letta calls and publishes.
/// The delay before retry number `attempt` (0-based) is `initialDelay * multiplier^attempt`, capped at
/// `maximumDelay`, then spread by up to ±`jitter` of itself (never beyond `maximumDelay`), so that many clients
/// that lost a server at the same moment do not retry in lockstep. Dependency-free on purpose, so the
/// transport clients can use it without seeing the event model.
public struct RetryPolicy: Sendable, Hashable {
    /// Delay before the first retry.
    public var initialDelay: Duration
    /// Upper bound of any delay.
    public var maximumDelay: Duration
    /// Growth factor between attempts; at least 1.
    public var multiplier: Double {
        didSet { multiplier = max(1, multiplier) }
    }
    /// Fraction (0...1) of each delay that is randomised (±).
    public var jitter: Double {
        didSet { jitter = min(1, max(0, jitter)) }
    }

    /// Creates a policy; defaults 100 ms initial, 10 s maximum, ×2, ±20 % jitter. Out-of-range values are clamped.
    public init(
        initialDelay: Duration = .milliseconds(100),
        maximumDelay: Duration = .seconds(10),
        multiplier: Double = 2,
        jitter: Double = 0.2
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = max(1, multiplier)
        self.jitter = min(1, max(0, jitter))
    }

    /// The delay before retry number `attempt` (0-based); `random` in `0..<1` places it in the jitter band
    /// (0.5 is the middle: no jitter).
    public func delay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let maximum = Self.nanoseconds(maximumDelay)
        var base = Self.nanoseconds(initialDelay)
        var remaining = max(0, attempt)
        while remaining > 0 && base < maximum {
            base *= multiplier
            remaining -= 1
        }
        let capped = min(base, maximum)
        let jittered = capped * (1 - jitter + 2 * jitter * min(1, max(0, random)))
        return .nanoseconds(Int64(max(0, min(jittered, maximum)).rounded()))
    }

    /// The delay before retry number `attempt` (0-based), drawing the jitter from `generator`.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        delay(attempt: attempt, random: Double.random(in: 0..<1, using: &generator))
    }

    private static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}
