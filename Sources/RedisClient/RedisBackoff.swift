/// Exponential backoff with jitter, for reconnecting without hammering a recovering server.
///
/// Delay for attempt *n* (1-based) is `initialDelay * multiplier^(n-1)`, capped at `maximumDelay`, then reduced by a
/// random fraction of up to `jitter`, so that many clients that lost Redis at the same moment do not reconnect in
/// lockstep.
public struct RedisBackoff: Sendable, Hashable {
    /// Delay before the first retry. Defaults to 100 ms.
    public var initialDelay: Duration
    /// Upper bound for any delay. Defaults to 10 s.
    public var maximumDelay: Duration
    /// Growth factor between attempts; at least 1. Defaults to 2.
    public var multiplier: Double
    /// Fraction (0...1) by which a delay may be randomly shortened. Defaults to 0.2.
    public var jitter: Double

    /// Creates a backoff policy; the defaults reach the 10 s cap after about seven attempts.
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

    /// The delay before retry number `attempt` (1-based), drawing jitter from `generator`.
    public func delay(forAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let initial = Self.nanoseconds(self.initialDelay)
        let maximum = Self.nanoseconds(self.maximumDelay)
        let exponent = Double(max(0, attempt - 1))
        let base = min(maximum, initial * power(self.multiplier, exponent))
        let factor = 1 - self.jitter * Double.random(in: 0...1, using: &generator)
        return .nanoseconds(Int64(max(0, base * factor)))
    }

    /// The delay before retry number `attempt` (1-based), with jitter from the system random generator.
    public func delay(forAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.delay(forAttempt: attempt, using: &generator)
    }

    private static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}

/// `pow` without Foundation: repeated multiplication suffices for the small attempt counts used here.
private func power(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var remaining = Int(min(exponent, 64))
    while remaining > 0 {
        result *= base
        remaining -= 1
    }
    return result
}
