import CandystoreTestSupport
import Retry
import Testing

/// The one backoff policy (reconnects, database writes, dead-letters, Letta calls).
@Suite struct RetryPolicyTests {
    @Test func growsExponentiallyUpToTheCap() {
        let policy = RetryPolicy(
            initialDelay: .milliseconds(100), maximumDelay: .seconds(2), multiplier: 2, jitter: 0.2)
        // random 0.5 is the middle of the jitter band: no jitter.
        #expect(policy.delay(attempt: 0, random: 0.5) == .milliseconds(100))
        #expect(policy.delay(attempt: 1, random: 0.5) == .milliseconds(200))
        #expect(policy.delay(attempt: 3, random: 0.5) == .milliseconds(800))
        #expect(policy.delay(attempt: 10, random: 0.5) == .seconds(2))
        #expect(policy.delay(attempt: 1_000_000, random: 0.5) == .seconds(2))
        #expect(policy.delay(attempt: -3, random: 0.5) == .milliseconds(100))
    }

    @Test func jitterStaysWithinItsBandAndNeverExceedsTheMaximum() {
        let policy = RetryPolicy(
            initialDelay: .milliseconds(100), maximumDelay: .seconds(2), multiplier: 2, jitter: 0.2)
        #expect(policy.delay(attempt: 1, random: 0) == .milliseconds(160))
        #expect(policy.delay(attempt: 1, random: 0.999_999) <= .milliseconds(240))
        #expect(policy.delay(attempt: 1, random: 0.999_999) > .milliseconds(239))
        #expect(policy.delay(attempt: 20, random: 0.999_999) == .seconds(2))
        #expect(policy.delay(attempt: 20, random: 0) == .milliseconds(1600))
    }

    @Test func jitterActuallySpreadsTheDelays() {
        let policy = RetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(10), jitter: 0.5)
        var generator = SplitMix64(seed: 5)
        var delays = Set<Duration>()
        for _ in 0..<200 {
            let delay = policy.delay(attempt: 0, using: &generator)
            #expect(delay >= .milliseconds(500) && delay <= .milliseconds(1500))
            delays.insert(delay)
        }
        #expect(delays.count > 100)
    }

    @Test func withoutJitterTheDelayIsExact() {
        let policy = RetryPolicy(initialDelay: .milliseconds(50), maximumDelay: .seconds(1), multiplier: 3, jitter: 0)
        #expect(policy.delay(attempt: 2) == .milliseconds(450))
        #expect(policy.delay(attempt: 3) == .seconds(1))
    }

    @Test func clampsNonsensicalParameters() {
        var policy = RetryPolicy(multiplier: 0.1, jitter: 7)
        #expect(policy.multiplier == 1)
        #expect(policy.jitter == 1)
        #expect(policy.delay(attempt: 5, random: 0) == .zero)
        policy.multiplier = -2
        policy.jitter = -1
        #expect(policy.multiplier == 1)
        #expect(policy.jitter == 0)
        #expect(policy.delay(attempt: 5) == .milliseconds(100))
    }

    @Test func defaultsAreTheDocumentedOnes() {
        let policy = RetryPolicy()
        #expect(policy.initialDelay == .milliseconds(100))
        #expect(policy.maximumDelay == .seconds(10))
        #expect(policy.multiplier == 2)
        #expect(policy.jitter == 0.2)
    }
}
