import Foundation
import Testing

@testable import BloodbankModel

@Suite struct EventTimestampTests {
    @Test(arguments: [
        ("2026-01-11T14:30:00.123456Z", "2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14:30:00Z", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11T14:30:00z", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11T14:30:00+00:00", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11T14:30:00-00:00", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11T14:30:02+00:00", "2026-01-11T14:30:02.000000Z"),
        ("2026-01-11T14:30:00", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11T14:30:00.5", "2026-01-11T14:30:00.500000Z"),
        ("2026-01-11T14:30:00.1Z", "2026-01-11T14:30:00.100000Z"),
        ("2026-01-11T14:30:00.12Z", "2026-01-11T14:30:00.120000Z"),
        ("2026-01-11T14:30:00.123Z", "2026-01-11T14:30:00.123000Z"),
        ("2026-01-11T14:30:00.1234567Z", "2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14:30:00.123456789Z", "2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14:30:00.999999999+00:00", "2026-01-11T14:30:00.999999Z"),
        ("2026-01-11T20:00:00+05:30", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11T20:00:00.25+0530", "2026-01-11T14:30:00.250000Z"),
        ("2026-01-11T06:30:00-08:00", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11T15:30:00+01", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11 14:30:00", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11t14:30", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11T14:30Z", "2026-01-11T14:30:00.000000Z"),
        ("2026-01-11", "2026-01-11T00:00:00.000000Z"),
        ("2026-01-01T01:00:00+05:00", "2025-12-31T20:00:00.000000Z"),
        ("2024-02-29T23:59:59.999999-01:00", "2024-03-01T00:59:59.999999Z"),
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"),
        ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ("2000-02-29T12:00:00Z", "2000-02-29T12:00:00.000000Z"),
    ])
    func parsesAndFormats(input: String, canonical: String) throws {
        let timestamp = try #require(EventTimestamp(parsing: input))
        #expect(timestamp.description == canonical)
        #expect(EventTimestamp(parsing: canonical) == timestamp)
    }

    @Test(arguments: [
        ("", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("yesterday", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-1-11T14:30:00Z", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14:30:00.Z", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14:30:00ZZ", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14:30:00+5:30", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14:30:00+05:3", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-01-11X14:30:00", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-01-11T14:30:0", "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z"),
        ("2026-13-01T00:00:00Z", "month 13 is out of range"),
        ("2026-00-01T00:00:00Z", "month 0 is out of range"),
        ("2026-02-29T00:00:00Z", "day 29 is out of range for month 2"),
        ("1900-02-29T00:00:00Z", "day 29 is out of range for month 2"),
        ("2026-04-31T00:00:00Z", "day 31 is out of range for month 4"),
        ("2026-01-00T00:00:00Z", "day 0 is out of range for month 1"),
        ("2026-01-11T24:00:00Z", "time of day is out of range"),
        ("2026-01-11T23:60:00Z", "time of day is out of range"),
        ("2026-01-11T23:59:60Z", "time of day is out of range"),
        ("2026-01-11T00:00:00+24:00", "UTC offset is out of range"),
        ("2026-01-11T00:00:00+01:60", "UTC offset is out of range"),
        ("0000-01-01T00:00:00Z", "year 0000 is out of range"),
        ("0001-01-01T00:30:00+01:00", "timestamp is outside years 0001-9999 in UTC"),
        ("9999-12-31T23:30:00-01:00", "timestamp is outside years 0001-9999 in UTC"),
    ])
    func rejectsInvalidInput(input: String, reason: String) {
        switch EventTimestamp.parse(input) {
        case .success(let value):
            Issue.record("\(input) parsed as \(value)")
        case .failure(let error):
            #expect(error.reason == reason)
            #expect(error.description == reason)
        }
        #expect(EventTimestamp(parsing: input) == nil)
    }

    @Test func convertsDatesAndOrders() throws {
        let date = Date(timeIntervalSince1970: 1_768_141_800.123456)
        let timestamp = EventTimestamp(date)
        #expect(timestamp.description == "2026-01-11T14:30:00.123456Z")
        #expect(abs(timestamp.date.timeIntervalSince1970 - 1_768_141_800.123456) < 0.000001)
        let later = EventTimestamp(microsecondsSinceEpoch: timestamp.microsecondsSinceEpoch + 1)
        #expect(timestamp < later)
        #expect(EventTimestamp(microsecondsSinceEpoch: .max).description == "9999-12-31T23:59:59.999999Z")
        #expect(EventTimestamp(microsecondsSinceEpoch: .min).description == "0001-01-01T00:00:00.000000Z")
        #expect(EventTimestamp(Date.distantFuture).description == "4001-01-01T00:00:00.000000Z")
        let now = EventTimestamp.now()
        #expect(abs(now.date.timeIntervalSinceNow) < 5)
    }

    @Test func codableUsesTheWireForm() throws {
        let timestamp = try #require(EventTimestamp(parsing: "2026-01-11T20:00:00+05:30"))
        let data = try JSONEncoder().encode([timestamp])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-01-11T14:30:00.000000Z"]"#)
        #expect(try JSONDecoder().decode([EventTimestamp].self, from: data) == [timestamp])
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode([EventTimestamp].self, from: Data(#"["nope"]"#.utf8))
        }
    }

    @Test func calendarArithmeticMatchesFoundationAcrossCenturies() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let days = Int64.random(in: -700_000...2_900_000, using: &generator)
            let civil = EventTimestamp.civilFromDays(days)
            #expect(EventTimestamp.daysFromCivil(year: civil.year, month: civil.month, day: civil.day) == days)
            let date = Date(timeIntervalSince1970: Double(days) * 86_400)
            let components = calendar.dateComponents([.year, .month, .day], from: date)
            if civil.year > 1582 {
                #expect(components.year == civil.year)
                #expect(components.month == civil.month)
                #expect(components.day == civil.day)
            }
        }
    }
}
