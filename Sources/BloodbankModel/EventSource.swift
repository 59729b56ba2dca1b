import Foundation

/// Where an event came from: `{"host","type","app","meta"}` on the wire.
///
/// Real producers also send `source` as a plain string (`"tonny"`, `"http/127.0.0.1"`) or omit parts of it.
/// The store never rejects an event for its source: ``init(normalizing:)`` maps whatever arrived onto this
/// shape, and the envelope keeps the original JSON as ``EventEnvelope/rawSource``.
public struct EventSource: Sendable, Hashable {
    /// The producing host (`workstation`, `127.0.0.1`); `unknown` when the producer did not say.
    public var host: String
    /// The trigger kind, an open set (`manual`, `agent`, `scheduled`, `hook`, `service`, ...).
    public var type: String
    /// The producing application, when known.
    public var app: String?
    /// Free-form metadata; `nil` encodes as `null`, an empty object as `{}` (both occur on the wire).
    public var meta: JSONObject?

    /// Creates a source.
    public init(host: String, type: String, app: String? = nil, meta: JSONObject? = nil) {
        self.host = host
        self.type = type
        self.app = app
        self.meta = meta
    }

    /// The source this process stamps on events it publishes: its host name, type `service`.
    public static func local(app: String) -> EventSource {
        EventSource(host: ProcessInfo.processInfo.hostName, type: "service", app: app)
    }

    /// Normalises any `source` JSON, never failing.
    ///
    /// - An object keeps `host`, `type`, `app`, `meta`; a missing or null `host`/`type` becomes `unknown`, a
    ///   non-string one its compact JSON text; a non-object `meta` is wrapped as `{"raw": value}`; other keys
    ///   are dropped here (they survive in the raw source).
    /// - A string with a `/` splits at the first one: `http/127.0.0.1` → type `http`, host `127.0.0.1`;
    ///   without one it is the host and the type is `unknown`. `meta` is `{"raw": original}`.
    /// - Missing, null, or any other JSON gives host and type `unknown`, with the value in `meta.raw` unless it
    ///   is null.
    public init(normalizing raw: JSONValue) {
        switch raw {
        case .object(let object):
            let meta: JSONObject?
            switch object["meta"] {
            case .none, .null?: meta = nil
            case .object(let value)?: meta = value
            case let other?: meta = ["raw": other]
            }
            self.init(
                host: Self.text(object["host"]) ?? "unknown",
                type: Self.text(object["type"]) ?? "unknown",
                app: Self.text(object["app"]),
                meta: meta
            )
        case .string(let text):
            if let slash = text.firstIndex(of: "/") {
                self.init(
                    host: String(text[text.index(after: slash)...]),
                    type: String(text[..<slash]),
                    meta: ["raw": raw]
                )
            } else {
                self.init(host: text, type: "unknown", meta: ["raw": raw])
            }
        case .null:
            self.init(host: "unknown", type: "unknown")
        default:
            self.init(host: "unknown", type: "unknown", meta: ["raw": raw])
        }
    }

    private static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .none, .null?: return nil
        case .string(let text)?: return text
        case let other?: return other.encodedString()
        }
    }

    /// The canonical wire object, keys in order `host, type, app, meta`.
    public var jsonValue: JSONValue {
        [
            "host": .string(host),
            "type": .string(type),
            "app": app.map(JSONValue.string) ?? .null,
            "meta": meta.map(JSONValue.object) ?? .null,
        ]
    }
}
