// libFuzzer target: the JSON parser and the event validator (the ingest path's first code to see untrusted
// bytes). Built and run by scripts/fuzz (docs/testing.md); libFuzzer supplies `main`.
import BloodbankModel

/// One input: parse it; a parsed value must survive encode → parse unchanged; validation must classify it
/// (an error with a code, never a crash).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let value = try? JSONValue(parsing: bytes) {
        let encoded = value.encodedBytes()
        guard let again = try? JSONValue(parsing: encoded), again == value else {
            fatalError("round trip changed the value of \(size) input bytes")
        }
    }
    if case .failure(let error) = EventValidator().result(bytes: bytes), error.code.rawValue.isEmpty {
        fatalError("validation failed without a code")
    }
    return 0
}
