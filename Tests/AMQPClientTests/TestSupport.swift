import AMQPClient
import NIOCore

enum TestEnvironment {
    static var amqpURL: String {
        ProcessInfoLite.environment("RABBITMQ_URL") ?? "amqp://candystore:candystore@127.0.0.1:5675/%2F"
    }

    static var managementURL: String {
        ProcessInfoLite.environment("RABBITMQ_MANAGEMENT_URL") ?? "http://candystore:candystore@127.0.0.1:15675"
    }

    static func configuration(name: String = "amqp-tests") throws -> AMQPConfiguration {
        var configuration = try AMQPConfiguration(url: amqpURL)
        configuration.connectionName = "\(name)-\(UInt32.random(in: 0...UInt32.max))"
        return configuration
    }

    static func uniqueName(_ prefix: String) -> String {
        "amqp-test.\(prefix).\(UInt64.random(in: 0...UInt64.max))"
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum ProcessInfoLite {
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let string = String(cString: value)
        return string.isEmpty ? nil : string
    }
}
