public import BloodbankModel

/// The health of one thing a process depends on (a server, another role).
public struct ComponentHealth: Sendable, Equatable {
    /// Component name: `postgres`, `rabbitmq`, `redis`, `letta`, `manager`, `api`, `letta-bridge`, ….
    public var name: String
    /// Whether it passed every check.
    public var healthy: Bool
    /// What was checked, or what is wrong.
    public var detail: String
    /// Time the check took, in milliseconds.
    public var latencyMilliseconds: Int

    /// Creates a component result.
    public init(name: String, healthy: Bool, detail: String, latencyMilliseconds: Int) {
        self.name = name
        self.healthy = healthy
        self.detail = detail
        self.latencyMilliseconds = latencyMilliseconds
    }
}

/// The health of one role, in the one JSON shape every `/health` endpoint and `candystore health --json` use:
///
/// ```json
/// {"role": "manager", "status": "ok",
///  "components": {"postgres": {"status": "ok", "detail": "…", "latency_ms": 2}, …},
///  "details": {…role-specific counters…}}
/// ```
///
/// `status` is `ok` when every component is healthy and the role itself is running, else `degraded`; a
/// component's `status` is `ok` or `down`. HTTP endpoints answer 200 for `ok` and 503 for `degraded`.
public struct HealthReport: Sendable, Equatable {
    /// Which role reports: `manager`, `api`, `letta-bridge`, or `stack` (`candystore health`).
    public var role: String
    /// One entry per component, in a stable order.
    public var components: [ComponentHealth]
    /// Whether the role itself is able to work (e.g. the manager is consuming), beyond its components.
    public var running: Bool
    /// Role-specific details (counters, positions), shown under `details`.
    public var details: JSONObject

    /// Creates a report.
    public init(role: String, components: [ComponentHealth], running: Bool = true, details: JSONObject = [:]) {
        self.role = role
        self.components = components
        self.running = running
        self.details = details
    }

    /// True when the role runs and every component is healthy.
    public var healthy: Bool { running && components.allSatisfy(\.healthy) }
    /// Names of the unhealthy components.
    public var unhealthyNames: [String] { components.filter { !$0.healthy }.map(\.name) }

    /// The report as the shared JSON shape.
    public var json: JSONValue {
        var components = JSONObject()
        for component in self.components {
            components.append(
                component.name,
                .object([
                    "status": .string(component.healthy ? "ok" : "down"),
                    "detail": .string(component.detail),
                    "latency_ms": .number(JSONNumber(component.latencyMilliseconds)),
                ]))
        }
        return .object([
            "role": .string(role),
            "status": .string(healthy ? "ok" : "degraded"),
            "components": .object(components),
            "details": .object(details),
        ])
    }

    /// Reads a report in the shared shape (another role's `/health` body); nil when it is not one.
    public init?(json: JSONValue) {
        guard case .object(let object) = json, case .string(let role)? = object["role"],
            case .string(let status)? = object["status"], case .object(let components)? = object["components"]
        else { return nil }
        var parsed: [ComponentHealth] = []
        for (name, value) in components.entries {
            guard case .object(let component) = value, case .string(let componentStatus)? = component["status"]
            else { return nil }
            var detail = ""
            if case .string(let text)? = component["detail"] { detail = text }
            var latency = 0
            if case .number(let number)? = component["latency_ms"], let value = Int(number.text) { latency = value }
            parsed.append(
                ComponentHealth(
                    name: name, healthy: componentStatus == "ok", detail: detail, latencyMilliseconds: latency))
        }
        var details = JSONObject()
        if case .object(let object)? = object["details"] { details = object }
        // A degraded report whose components are all fine means the role itself is not working.
        let running = status == "ok" || !parsed.allSatisfy(\.healthy)
        self.init(role: role, components: parsed, running: running, details: details)
    }
}
