import Testing

@testable import BloodbankModel

@Suite struct JSONValueParsingTests {
    @Test(arguments: [
        ("null", "null"),
        (" true ", "true"),
        ("false", "false"),
        ("0", "0"),
        ("-0", "-0"),
        ("123456789012345678901234567890", "123456789012345678901234567890"),
        ("0.1", "0.1"),
        ("1e400", "1e400"),
        ("-1.5E-7", "-1.5E-7"),
        ("2E+3", "2E+3"),
        ("\"\"", "\"\""),
        ("[]", "[]"),
        ("{}", "{}"),
        ("[1, 2 ,\n3\t]", "[1,2,3]"),
        ("{ \"b\" : 1 , \"a\" : [ ] }", "{\"b\":1,\"a\":[]}"),
        ("\"\\u00e9\\u4e2d\\ud83d\\ude00\"", "\"é中😀\""),
        ("\"\\/\\\"\\\\\\b\\f\\n\\r\\t\"", "\"/\\\"\\\\\\b\\f\\n\\r\\t\""),
        ("\"\\u001f\\u007f\"", "\"\\u001f\u{7f}\""),
        ("\"é中😀\u{2028}\"", "\"é中😀\u{2028}\""),
    ])
    func parsesAndReencodesCanonically(input: String, canonical: String) throws {
        let value = try JSONValue(parsing: input)
        #expect(value.encodedString() == canonical)
        #expect(try JSONValue(parsing: canonical) == value)
    }

    @Test func keepsObjectKeyOrderAndDuplicates() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":2,"m":3,"a":4}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["z", "a", "m", "a"])
        #expect(object["a"] == 4)
        #expect(value["m"] == 3)
        #expect(value.encodedString() == #"{"z":1,"a":2,"m":3,"a":4}"#)
    }

    @Test func numbersKeepTheirLiteralText() throws {
        let input = #"[9007199254740993,0.1,1e400,-0.0,1.000000000000000000001,12345678901234567890123]"#
        let value = try JSONValue(parsing: input)
        #expect(value.encodedString() == input)
        let numbers = try #require(value.arrayValue).compactMap(\.numberValue)
        #expect(
            numbers.map(\.text) == [
                "9007199254740993", "0.1", "1e400", "-0.0", "1.000000000000000000001",
                "12345678901234567890123",
            ])
        #expect(numbers[0].int64Value == 9_007_199_254_740_993)
    }

    @Test func skipsALeadingByteOrderMark() throws {
        let value = try JSONValue(parsing: [0xEF, 0xBB, 0xBF] + Array("[1]".utf8))
        #expect(value == [1])
    }

    @Test func acceptsNonContiguousCollections() throws {
        let bytes = Array("{\"a\":[true,null]}".utf8)
        let value = try JSONValue(parsing: bytes.lazy.map { $0 })
        #expect(value == ["a": [true, nil]])
    }

    @Test(arguments: [
        ("", "invalid JSON at byte 0: unexpected end of input, expected a value"),
        ("   ", "invalid JSON at byte 3: unexpected end of input, expected a value"),
        ("{", "invalid JSON at byte 1: unexpected end of input, expected a string key"),
        ("{\"a\" 1}", "invalid JSON at byte 5: unexpected character '1', expected ':' after an object key"),
        ("{\"a\":1,}", "invalid JSON at byte 7: unexpected character '}', expected a string key"),
        ("{\"a\":1 \"b\":2}", "invalid JSON at byte 7: unexpected character '\"', expected ',' or '}' in an object"),
        ("{\"a\":1", "invalid JSON at byte 6: unexpected end of input, expected ',' or '}' in an object"),
        ("[1,]", "invalid JSON at byte 3: unexpected character ']', expected a value"),
        ("[1 2]", "invalid JSON at byte 3: unexpected character '2', expected ',' or ']' in an array"),
        ("[1", "invalid JSON at byte 2: unexpected end of input, expected ',' or ']' in an array"),
        ("{} x", "invalid JSON at byte 3: unexpected character 'x' after the JSON value"),
        ("{}{}", "invalid JSON at byte 2: unexpected character '{' after the JSON value"),
        ("tru", "invalid JSON at byte 0: invalid literal, expected 'true'"),
        ("nul", "invalid JSON at byte 0: invalid literal, expected 'null'"),
        ("falsy", "invalid JSON at byte 0: invalid literal, expected 'false'"),
        ("NaN", "invalid JSON at byte 0: unexpected character 'N', expected a value"),
        ("01", "invalid JSON at byte 1: leading zeros are not allowed in numbers"),
        ("-", "invalid JSON at byte 1: expected a digit in number"),
        ("1.", "invalid JSON at byte 2: expected a digit after the decimal point"),
        ("1e", "invalid JSON at byte 2: expected a digit in the exponent"),
        ("+1", "invalid JSON at byte 0: unexpected character '+', expected a value"),
        ("\"abc", "invalid JSON at byte 0: unterminated string"),
        ("\"a\\u00e9", "invalid JSON at byte 0: unterminated string"),
        ("\"a\nb\"", "invalid JSON at byte 2: unescaped control character U+000A in a string"),
        ("\"\\x\"", "invalid JSON at byte 1: invalid escape sequence: unexpected character 'x' after a backslash"),
        ("\"\\u12G4\"", "invalid JSON at byte 5: invalid hex digit in \\u escape"),
        ("\"\\u12\"", "invalid JSON at byte 3: truncated \\u escape"),
        ("\"\\u1", "invalid JSON at byte 3: truncated \\u escape"),
        ("\"\\", "invalid JSON at byte 1: unterminated escape sequence"),
        ("\"\\ud800\"", "invalid JSON at byte 1: lone high surrogate \\uD800 is not followed by a low surrogate"),
        ("\"\\ud800\\u0041\"", "invalid JSON at byte 7: high surrogate \\uD800 is followed by \\u0041"),
        ("\"\\udc00\"", "invalid JSON at byte 1: lone low surrogate \\uDC00"),
        ("{1:2}", "invalid JSON at byte 1: unexpected character '1', expected a string key"),
    ])
    func rejectsMalformedInput(input: String, reason: String) {
        expectError(.invalidJSON, reason) { () throws(BloodbankModelError) in
            _ = try JSONValue(parsing: input)
        }
    }

    @Test(
        arguments: [
            ([0x22, 0xC3, 0x28, 0x22], "invalid JSON at byte 2: invalid UTF-8 continuation byte"),
            ([0x22, 0xC0, 0xAF, 0x22], "invalid JSON at byte 1: invalid UTF-8 lead byte 0xC0"),
            ([0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid JSON at byte 2: invalid UTF-8 continuation byte"),
            ([0x22, 0xED, 0xA0, 0x80, 0x22], "invalid JSON at byte 2: invalid UTF-8 continuation byte"),
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid JSON at byte 2: invalid UTF-8 continuation byte"),
            ([0x22, 0xF0, 0x9F, 0x98, 0x22], "invalid JSON at byte 4: invalid UTF-8 continuation byte"),
            ([0x22, 0xE4, 0xB8], "invalid JSON at byte 1: truncated UTF-8 sequence"),
            ([0x22, 0xFF, 0x22], "invalid JSON at byte 1: invalid UTF-8 lead byte 0xFF"),
            ([0x22, 0x5C, 0x6E, 0xE9, 0x41, 0x41, 0x22], "invalid JSON at byte 4: invalid UTF-8 continuation byte"),
            ([0xC3, 0xA9], "invalid JSON at byte 0: unexpected byte 0xC3, expected a value"),
        ] as [([UInt8], String)])
    func rejectsInvalidUTF8(bytes: [UInt8], reason: String) {
        expectError(.invalidJSON, reason) { () throws(BloodbankModelError) in
            _ = try JSONValue(parsing: bytes)
        }
    }

    @Test func acceptsValidMultiByteUTF8InsideEscapedStrings() throws {
        let value = try JSONValue(parsing: "\"\\tä€😀\"")
        #expect(value == .string("\tä€😀"))
    }

    @Test func enforcesTheDepthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        _ = try JSONValue(parsing: ok)
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        expectError(.invalidJSON, "invalid JSON at byte 512: nesting deeper than 512 levels") {
            () throws(BloodbankModelError) in
            _ = try JSONValue(parsing: deep)
        }
        let objects = String(repeating: "{\"a\":", count: 3) + "1" + String(repeating: "}", count: 3)
        expectErrorCode(.invalidJSON) { () throws(BloodbankModelError) in
            _ = try JSONValue(parsing: objects, options: JSONParsingOptions(maximumDepth: 2))
        }
        // A hostile document far beyond the limit must fail cleanly, not overflow the stack.
        let hostile = String(repeating: "[", count: 1_000_000)
        expectErrorCode(.invalidJSON) { () throws(BloodbankModelError) in
            _ = try JSONValue(parsing: hostile)
        }
    }

    @Test func nullCharacterIsRejectedOnlyWhenAsked() throws {
        #expect(try JSONValue(parsing: #""a\u0000b""#) == .string("a\u{0}b"))
        let error = #expect(throws: BloodbankModelError.self) {
            _ = try JSONValue(parsing: #""a\u0000b""#, options: JSONParsingOptions(rejectsNullCharacter: true))
        }
        #expect(error?.byteOffset == 2)
        #expect(
            error?.reason == "invalid JSON at byte 2: \\u0000 is not accepted (PostgreSQL jsonb cannot store U+0000)")
    }

    @Test func valueAccessorsAndLiterals() {
        let value: JSONValue = ["s": "x", "n": 1, "b": true, "a": [nil], "o": ["k": "v"]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["n"]?.numberValue?.int64Value == 1)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue?.first?.isNull == true)
        #expect(value["o"]?["k"] == "v")
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["k"] == nil)
        #expect(JSONValue.null.stringValue == nil)
        #expect(JSONValue.null.objectValue == nil)
        #expect(JSONValue.null.arrayValue == nil)
        #expect(JSONValue.null.numberValue == nil)
        #expect(JSONValue.null.boolValue == nil)
        #expect(JSONValue.bool(true).isNull == false)
        #expect(
            [JSONValue.null, true, 1, "s", [], [:]].map(\.typeName)
                == ["null", "boolean", "number", "string", "array", "object"]
        )
    }

    @Test func objectMutation() {
        var object: JSONObject = ["a": 1, "b": 2, "a": 3]
        #expect(object.count == 3)
        #expect(!object.isEmpty)
        #expect(object.contains("b"))
        object["a"] = 9
        #expect(object.keys == ["a", "b", "a"])
        #expect(object.values == [1, 2, 9])
        object["c"] = "new"
        #expect(object.keys == ["a", "b", "a", "c"])
        object["a"] = nil
        #expect(object.keys == ["b", "c"])
        #expect(!object.contains("a"))
        object.append("b", true)
        #expect(object.entries.map(\.key) == ["b", "c", "b"])
        #expect(object["b"] == true)
        #expect(JSONObject().isEmpty)
        #expect(JSONObject([("x", JSONValue.null)]).encodedBytes() == Array(#"{"x":null}"#.utf8))
    }
}
