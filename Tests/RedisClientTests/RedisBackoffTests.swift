import Testing

@testable import RedisClient

@Suite struct RedisBackoffTests {
    @Test func growsExponentiallyUpToTheCapWithoutJitter() {
        let backoff = RedisBackoff(
            initialDelay: .milliseconds(100), maximumDelay: .seconds(1), multiplier: 2, jitter: 0)
        #expect(backoff.delay(forAttempt: 1) == .milliseconds(100))
        #expect(backoff.delay(forAttempt: 2) == .milliseconds(200))
        #expect(backoff.delay(forAttempt: 4) == .milliseconds(800))
        #expect(backoff.delay(forAttempt: 5) == .seconds(1))
        #expect(backoff.delay(forAttempt: 1000) == .seconds(1))
    }

    @Test func jitterOnlyShortensWithinItsFraction() {
        let backoff = RedisBackoff(initialDelay: .seconds(1), maximumDelay: .seconds(1), multiplier: 2, jitter: 0.5)
        var generator = SeededGenerator(seed: 5)
        var delays = Set<Duration>()
        for _ in 0..<200 {
            let delay = backoff.delay(forAttempt: 3, using: &generator)
            #expect(delay >= .milliseconds(500))
            #expect(delay <= .seconds(1))
            delays.insert(delay)
        }
        // Jitter exists to spread reconnects: the delays must actually differ.
        #expect(delays.count > 100)
    }

    @Test func clampsNonsensicalParameters() {
        let backoff = RedisBackoff(multiplier: 0.1, jitter: 7)
        #expect(backoff.multiplier == 1)
        #expect(backoff.jitter == 1)
    }
}
