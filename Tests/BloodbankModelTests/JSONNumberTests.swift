import Testing

@testable import BloodbankModel

@Suite struct JSONNumberTests {
    @Test(arguments: ["0", "-0", "1", "-12", "0.5", "1e5", "1E-5", "-1.25e+10", "123456789012345678901234567890"])
    func acceptsValidLiterals(text: String) throws {
        let number = try #require(JSONNumber(text))
        #expect(number.text == text)
        #expect(number.description == text)
    }

    @Test(arguments: ["", "-", "01", "1.", ".5", "1e", "+1", "0x10", "1 ", " 1", "NaN", "Infinity", "1.5.5", "--1"])
    func rejectsInvalidLiterals(text: String) {
        #expect(JSONNumber(text) == nil)
    }

    @Test(
        arguments: [
            ("3", true, Int64(3)),
            ("3.0", true, Int64(3)),
            ("3e2", true, Int64(300)),
            ("3.5e1", true, Int64(35)),
            ("350e-1", true, Int64(35)),
            ("-0", true, Int64(0)),
            ("0.0e0", true, Int64(0)),
            ("9223372036854775807", true, Int64.max),
            ("-9223372036854775808", true, Int64.min),
            ("9223372036854775808", true, nil),
            ("-9223372036854775809", true, nil),
            ("1e30", true, nil),
            ("3.5", false, nil),
            ("35e-2", false, nil),
            ("1e-400", false, nil),
            ("0.000", true, Int64(0)),
        ] as [(String, Bool, Int64?)])
    func integralityAndInt64(text: String, integral: Bool, int64: Int64?) throws {
        let number = try #require(JSONNumber(text))
        #expect(number.isIntegral == integral)
        #expect(number.int64Value == int64)
    }

    @Test func conversions() throws {
        #expect(JSONNumber(42).text == "42")
        #expect(JSONNumber(Int64(-7)).text == "-7")
        #expect(JSONNumber(0.1)?.text == "0.1")
        #expect(JSONNumber(1.0)?.text == "1.0")
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(try #require(JSONNumber("1e400")).doubleValue == .infinity)
        #expect(try #require(JSONNumber("0.25")).doubleValue == 0.25)
        #expect(try #require(JSONNumber("12")).isIntegerLiteral)
        #expect(try !#require(JSONNumber("1.0")).isIntegerLiteral)
        #expect(try !#require(JSONNumber("1e2")).isIntegerLiteral)
    }
}
