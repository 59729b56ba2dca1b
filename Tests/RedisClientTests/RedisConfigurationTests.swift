import NIOCore
import Testing

@testable import RedisClient

@Suite struct RedisConfigurationTests {
    @Test func parsesPlainURL() throws {
        let configuration = try RedisConnection.Configuration(url: "redis://127.0.0.1:6382/0")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6382)
        #expect(configuration.database == 0)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
    }

    @Test func defaultsPortAndDatabase() throws {
        let configuration = try RedisConnection.Configuration(url: "redis://cache.internal")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6379)
        #expect(configuration.database == 0)
    }

    @Test func parsesPasswordOnlyForms() throws {
        let colon = try RedisConnection.Configuration(url: "redis://:s3cret@host:1/2")
        #expect(colon.username == nil)
        #expect(colon.password == "s3cret")
        #expect(colon.database == 2)
        let bare = try RedisConnection.Configuration(url: "redis://s3cret@host")
        #expect(bare.username == nil)
        #expect(bare.password == "s3cret")
    }

    @Test func parsesUserAndPercentEncodedPassword() throws {
        let configuration = try RedisConnection.Configuration(url: "redis://alice:p%40ss%3Aw0rd@host:6380/15")
        #expect(configuration.username == "alice")
        #expect(configuration.password == "p@ss:w0rd")
        #expect(configuration.port == 6380)
        #expect(configuration.database == 15)
    }

    @Test func parsesIPv6Host() throws {
        let configuration = try RedisConnection.Configuration(url: "redis://[::1]:6390/3")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 6390)
        #expect(configuration.database == 3)
    }

    @Test(arguments: [
        "rediss://host",
        "http://host",
        "host:6379",
        "redis://",
        "redis://host:0",
        "redis://host:99999",
        "redis://host:abc",
        "redis://host/-1",
        "redis://host/db",
        "redis://:%zz@host",
    ])
    func rejectsInvalidURLs(url: String) {
        let error = #expect(throws: RedisClientError.self) {
            _ = try RedisConnection.Configuration(url: url)
        }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test func handshakeCommandsFollowTheConfiguration() {
        var configuration = RedisConnection.Configuration(host: "h")
        #expect(RedisConnection.handshakeCommands(for: configuration).isEmpty)
        configuration.password = "pw"
        configuration.database = 4
        configuration.clientName = "candystore"
        #expect(
            RedisConnection.handshakeCommands(for: configuration).map { [$0.0] + $0.1.map(\.debugText) }
                == [["AUTH", "pw"], ["CLIENT", "SETNAME", "candystore"], ["SELECT", "4"]]
        )
        configuration.username = "alice"
        #expect(RedisConnection.handshakeCommands(for: configuration).first?.1.map(\.debugText) == ["alice", "pw"])
    }
}

extension RESPArgument {
    var debugText: String {
        switch self.storage {
        case .string(let string): return string
        case .bytes(let bytes): return String(buffer: bytes)
        case .integer(let value): return String(value)
        }
    }
}
