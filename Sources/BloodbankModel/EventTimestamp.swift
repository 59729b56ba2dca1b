public import Foundation

/// An event time with microsecond precision, always rendered in UTC as `2026-01-11T14:30:00.123456Z`.
///
/// Microseconds match both Python's `datetime` and PostgreSQL `timestamptz`, so nothing is lost between
/// producer, store and API. Parsing is hand-written (no `DateFormatter`, which is slow and locale-bound) and
/// accepts what the Python producers send: `Z`/`z`, `+00:00` and other offsets (`+05:30`, `-0800`, `+01`),
/// 0–9 (or more) fraction digits, optional seconds, a `T`, `t` or space separator, date-only values
/// (midnight), and naive values, which are taken as UTC. Fraction digits beyond the sixth are truncated,
/// not rounded, as Python's `datetime.fromisoformat` does. Years must stay within 0001–9999 after
/// conversion to UTC.
public struct EventTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microsecondsSinceEpoch: Int64

    /// 0001-01-01T00:00:00Z, the earliest representable instant.
    static let minimumMicroseconds: Int64 = daysFromCivil(year: 1, month: 1, day: 1) * 86_400_000_000
    /// 9999-12-31T23:59:59.999999Z, the latest representable instant.
    static let maximumMicroseconds: Int64 = (daysFromCivil(year: 10_000, month: 1, day: 1)) * 86_400_000_000 - 1

    /// The JSON Schema `pattern` describing the accepted input syntax (ranges are checked by the parser).
    public static let schemaPattern =
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"

    /// Creates a timestamp; values outside 0001–9999 are clamped so that formatting never fails.
    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = min(
            max(microsecondsSinceEpoch, Self.minimumMicroseconds),
            Self.maximumMicroseconds
        )
    }

    /// Converts a `Date`, rounding to the nearest microsecond.
    public init(_ date: Date) {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let clamped = min(max(micros, Double(Self.minimumMicroseconds)), Double(Self.maximumMicroseconds))
        self.init(microsecondsSinceEpoch: Int64(clamped))
    }

    /// The current time, as publishers stamp new events.
    public static func now() -> EventTimestamp {
        EventTimestamp(Date())
    }

    /// Parses any accepted input form; `nil` when it is not a valid timestamp.
    public init?(parsing text: String) {
        guard case .success(let value) = Self.parse(text) else { return nil }
        self = value
    }

    /// The instant as a `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000)
    }

    /// The canonical wire form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public var description: String {
        var output: [UInt8] = []
        output.reserveCapacity(27)
        append(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Orders by instant.
    public static func < (lhs: EventTimestamp, rhs: EventTimestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    func append(to output: inout [UInt8]) {
        let microsPerDay: Int64 = 86_400_000_000
        var days = microsecondsSinceEpoch / microsPerDay
        var rest = microsecondsSinceEpoch % microsPerDay
        if rest < 0 {
            rest += microsPerDay
            days -= 1
        }
        let civil = Self.civilFromDays(days)
        let seconds = Int(rest / 1_000_000)
        let micros = Int(rest % 1_000_000)
        func put(_ value: Int, width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var remaining = value
            while divisor > 0 {
                output.append(UInt8(ascii: "0") + UInt8(remaining / divisor))
                remaining %= divisor
                divisor /= 10
            }
        }
        put(civil.year, width: 4)
        output.append(UInt8(ascii: "-"))
        put(civil.month, width: 2)
        output.append(UInt8(ascii: "-"))
        put(civil.day, width: 2)
        output.append(UInt8(ascii: "T"))
        put(seconds / 3600, width: 2)
        output.append(UInt8(ascii: ":"))
        put(seconds / 60 % 60, width: 2)
        output.append(UInt8(ascii: ":"))
        put(seconds % 60, width: 2)
        output.append(UInt8(ascii: "."))
        put(micros, width: 6)
        output.append(UInt8(ascii: "Z"))
    }

    /// Parses a timestamp, returning a human reason on failure.
    public static func parse(_ text: String) -> Result<EventTimestamp, TimestampParseError> {
        var copy = text
        return copy.withUTF8 { parse(bytes: $0) }
    }

    /// Why a timestamp string was rejected.
    public struct TimestampParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// A short reason such as `month 13 is out of range`.
        public let reason: String
        /// The reason.
        public var description: String { reason }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Result<EventTimestamp, TimestampParseError> {
        var reader = TimestampReader(bytes: bytes)
        let syntax = TimestampParseError(reason: "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z")
        guard let year = reader.digits(4), reader.consume(UInt8(ascii: "-")),
            let month = reader.digits(2), reader.consume(UInt8(ascii: "-")),
            let day = reader.digits(2)
        else { return .failure(syntax) }
        var hour = 0
        var minute = 0
        var second = 0
        var micros = 0
        var offsetSeconds = 0
        if !reader.atEnd {
            guard
                reader.consume(UInt8(ascii: "T")) || reader.consume(UInt8(ascii: "t"))
                    || reader.consume(UInt8(ascii: " ")),
                let parsedHour = reader.digits(2), reader.consume(UInt8(ascii: ":")),
                let parsedMinute = reader.digits(2)
            else { return .failure(syntax) }
            hour = parsedHour
            minute = parsedMinute
            if reader.consume(UInt8(ascii: ":")) {
                guard let parsedSecond = reader.digits(2) else { return .failure(syntax) }
                second = parsedSecond
                if reader.consume(UInt8(ascii: ".")) {
                    guard let fraction = reader.fractionMicroseconds() else { return .failure(syntax) }
                    micros = fraction
                }
            }
            if reader.consume(UInt8(ascii: "Z")) || reader.consume(UInt8(ascii: "z")) {
                offsetSeconds = 0
            } else if let sign = reader.sign() {
                guard let offsetHours = reader.digits(2) else { return .failure(syntax) }
                var offsetMinutes = 0
                if !reader.atEnd {
                    _ = reader.consume(UInt8(ascii: ":"))
                    guard let parsed = reader.digits(2) else { return .failure(syntax) }
                    offsetMinutes = parsed
                }
                guard offsetHours < 24, offsetMinutes < 60 else {
                    return .failure(TimestampParseError(reason: "UTC offset is out of range"))
                }
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            }
            guard reader.atEnd else { return .failure(syntax) }
        }
        guard year >= 1 else { return .failure(TimestampParseError(reason: "year 0000 is out of range")) }
        guard (1...12).contains(month) else {
            return .failure(TimestampParseError(reason: "month \(month) is out of range"))
        }
        guard day >= 1, day <= daysInMonth(year: year, month: month) else {
            return .failure(TimestampParseError(reason: "day \(day) is out of range for month \(month)"))
        }
        guard hour < 24, minute < 60, second < 60 else {
            return .failure(TimestampParseError(reason: "time of day is out of range"))
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let localSeconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let total = (localSeconds - Int64(offsetSeconds)) * 1_000_000 + Int64(micros)
        guard total >= minimumMicroseconds, total <= maximumMicroseconds else {
            return .failure(TimestampParseError(reason: "timestamp is outside years 0001-9999 in UTC"))
        }
        return .success(EventTimestamp(microsecondsSinceEpoch: total))
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let adjustedYear = Int64(month <= 2 ? year - 1 : year)
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of ``daysFromCivil(year:month:day:)``.
    static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}

extension EventTimestamp: Codable {
    /// Decodes from any accepted string form, so `Codable` users get the same leniency as the wire decoder.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        switch Self.parse(text) {
        case .success(let value):
            self = value
        case .failure(let error):
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.reason)
        }
    }

    /// Encodes the canonical wire form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A cursor over timestamp bytes.
private struct TimestampReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    var atEnd: Bool { position == bytes.count }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func digits(_ count: Int) -> Int? {
        guard position + count <= bytes.count else { return nil }
        var value = 0
        for offset in 0..<count {
            let digit = bytes[position + offset] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        position += count
        return value
    }

    mutating func sign() -> Int? {
        if consume(UInt8(ascii: "+")) { return 1 }
        if consume(UInt8(ascii: "-")) { return -1 }
        return nil
    }

    /// Reads one or more fraction digits, keeping the first six (truncation, as Python does).
    mutating func fractionMicroseconds() -> Int? {
        var value = 0
        var count = 0
        while position < bytes.count {
            let digit = bytes[position] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            if count < 6 { value = value * 10 + Int(digit) }
            count += 1
            position += 1
        }
        guard count > 0 else { return nil }
        for _ in min(count, 6)..<6 { value *= 10 }
        return value
    }
}
