import Foundation
import Testing

@testable import BloodbankModel

@Suite struct JSONValueSerializationTests {
    @Test func escapesOnlyQuoteBackslashAndControlCharacters() {
        var scalars = String.UnicodeScalarView()
        for value in 0..<0x20 { scalars.append(Unicode.Scalar(UInt8(value))) }
        let controls = String(scalars)
        let value = JSONValue.string(controls + "\"\\/\u{7f}é\u{2028}😀")
        let expected =
            #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
            + "\\\"\\\\/\u{7f}é\u{2028}😀\""
        #expect(value.encodedString() == expected)
    }

    @Test func matchesPythonCompactLayout() throws {
        let value: JSONValue = ["a": [1, "x", nil, true, false, [:], []], "b": ["c": "ü"]]
        #expect(value.encodedString() == #"{"a":[1,"x",null,true,false,{},[]],"b":{"c":"ü"}}"#)
        #expect(value.encodedBytes() == Array(value.encodedString().utf8))
    }

    @Test func escapedKeysRoundTrip() throws {
        let value: JSONValue = ["line\nbreak \"quoted\"": "tab\there"]
        let text = value.encodedString()
        #expect(text == #"{"line\nbreak \"quoted\"":"tab\there"}"#)
        #expect(try JSONValue(parsing: text) == value)
    }

    @Test func pythonSerialisedSampleIsReproducedExactly() throws {
        // Produced by json.dumps(obj, ensure_ascii=False, separators=(",", ":")), which pydantic matches.
        let python = #"{"k":"v\u0001\u001f\n\"\\é","n":[12345678901234567890,0.1,1e+400],"u":"中文"}"#
        #expect(try JSONValue(parsing: python).encodedString() == python)
    }

    @Test func prettyEncodingMatchesPythonIndent2() throws {
        let value: JSONValue = ["a": [1, "é", [:], []], "b": ["c": nil], "d": .number(JSONNumber("0.5e1")!)]
        let expected = """
            {
              "a": [
                1,
                "é",
                {},
                []
              ],
              "b": {
                "c": null
              },
              "d": 0.5e1
            }

            """
        #expect(String(decoding: value.prettyEncodedBytes(), as: UTF8.self) == expected)
        #expect(try JSONValue(parsing: value.prettyEncodedBytes()) == value)
        #expect(JSONValue.string("x").prettyEncodedBytes() == Array("\"x\"\n".utf8))
    }
}
