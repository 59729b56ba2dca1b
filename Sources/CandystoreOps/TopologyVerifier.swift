public import Bloodbank

/// Compares the broker's exchanges, queues, arguments and bindings with a ``BloodbankTopology``.
public struct TopologyVerifier: Sendable {
    private let client: RabbitMQManagementClient

    /// Creates a verifier reading the broker through `client`.
    public init(client: RabbitMQManagementClient) {
        self.client = client
    }

    /// Every difference, as a sentence; empty when the broker matches argument for argument.
    public func differences(from topology: BloodbankTopology) async throws -> [String] {
        var differences: [String] = []
        for expected in topology.exchanges {
            guard let actual = try await client.exchange(named: expected.name) else {
                differences.append("exchange \(expected.name) is missing")
                continue
            }
            if actual.type != expected.type {
                differences.append("exchange \(expected.name) has type \(actual.type), expected \(expected.type)")
            }
            if actual.durable != expected.durable {
                differences.append("exchange \(expected.name) durable=\(actual.durable), expected \(expected.durable)")
            }
        }
        for expected in topology.queues {
            guard let actual = try await client.queue(named: expected.name) else {
                differences.append("queue \(expected.name) is missing")
                continue
            }
            if actual.durable != expected.durable {
                differences.append("queue \(expected.name) durable=\(actual.durable), expected \(expected.durable)")
            }
            for key in Set(expected.arguments.keys).union(actual.arguments.keys).sorted()
            where expected.arguments[key] != actual.arguments[key] {
                differences.append(
                    "queue \(expected.name) argument \(key) is \(actual.arguments[key].map { "\($0)" } ?? "absent"), "
                        + "expected \(expected.arguments[key].map { "\($0)" } ?? "absent")")
            }
            let bindings = try await client.bindings(ofQueue: expected.name)
            for binding in expected.bindings where !bindings.contains(binding) {
                differences.append(
                    "queue \(expected.name) is not bound to \(binding.exchange) with \(binding.routingKey)")
            }
            for binding in bindings where !expected.bindings.contains(binding) {
                differences.append(
                    "queue \(expected.name) has an unexpected binding \(binding.exchange) \(binding.routingKey)")
            }
        }
        return differences
    }
}
