// libFuzzer target: the JSON parser and the event validator (the ingest path's first code to see untrusted
// bytes). Built and run by scripts/fuzz (docs/testing.md); libFuzzer supplies `main`.
import BloodbankModel

/// The validator every input goes through (the standard catalogue, default limits).
let validator = EventValidator()

/// Runs before the first input: initialises the catalogue's lazily created globals, which would otherwise be
/// allocated during the first input and reported by LeakSanitizer as that input's leak.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    for type in validator.catalogue.eventTypes {
        _ = try? validator.catalogue[type]?.validate([:])
        let envelope = #"{"event_type":"\#(type)","payload":{}}"#
        _ = validator.result(bytes: Array(envelope.utf8))
    }
    _ = try? JSONValue(parsing: Array(#"[1,"a",{"b":null},true,2.5e3]"#.utf8))
    return 0
}

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
    if case .failure(let error) = validator.result(bytes: bytes), error.code.rawValue.isEmpty {
        fatalError("validation failed without a code")
    }
    return 0
}
