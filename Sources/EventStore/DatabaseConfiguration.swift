import Foundation
import NIOSSL
public import PostgresNIO

/// Where and how to reach PostgreSQL, parsed from a `postgres://` URL (`DATABASE_URL`).
///
/// Accepted form: `postgres[ql]://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
/// Percent-encoded user, password and database names are decoded. The default `sslmode` is `disable`
/// for loopback hosts and `prefer` otherwise.
public struct DatabaseConfiguration: Sendable, Equatable {
    /// TLS policy, as libpq's `sslmode`.
    public enum TLSMode: String, Sendable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it.
        case prefer
        /// TLS or fail.
        case require
    }

    /// Server host name or address.
    public var host: String
    /// Server port (default 5432).
    public var port: Int
    /// Role name.
    public var username: String
    /// Password, if any.
    public var password: String?
    /// Database name.
    public var database: String
    /// TLS policy.
    public var tls: TLSMode
    /// Maximum connections of a pool built from this configuration.
    public var poolSize: Int

    /// Creates a configuration from its parts.
    public init(
        host: String,
        port: Int = 5432,
        username: String,
        password: String?,
        database: String,
        tls: TLSMode = .disable,
        poolSize: Int = 10
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.poolSize = poolSize
    }

    /// Parses a `postgres://` URL; throws ``EventStoreError/Code/invalidConfiguration`` naming the problem.
    public init(url string: String, poolSize: Int = 10) throws {
        guard let components = URLComponents(string: string),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw EventStoreError(
                .invalidConfiguration, "DATABASE_URL must look like postgres://user:pass@host:port/db")
        }
        guard let host = components.host, !host.isEmpty else {
            throw EventStoreError(.invalidConfiguration, "DATABASE_URL has no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw EventStoreError(.invalidConfiguration, "DATABASE_URL has no user name")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw EventStoreError(.invalidConfiguration, "DATABASE_URL has no database name")
        }
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(host)
        var tls: TLSMode = loopback ? .disable : .prefer
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            switch mode {
            case "disable", "allow": tls = .disable
            case "prefer": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default:
                throw EventStoreError(.invalidConfiguration, "DATABASE_URL sslmode '\(mode)' is not supported")
            }
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database,
            tls: tls,
            poolSize: poolSize
        )
    }

    /// The same server, another database (tests create scratch databases this way).
    public func with(database: String) -> DatabaseConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL form, with the password masked, for logs.
    public var redactedURL: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    /// Configuration for a single `PostgresConnection`; throws when a TLS context cannot be created.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tlsSetting: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable: tlsSetting = .disable
        case .prefer: tlsSetting = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tlsSetting = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tlsSetting
        )
    }

    /// Configuration for a pooled `PostgresClient`.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: clientTLS
        )
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    private var clientTLS: PostgresClient.Configuration.TLS {
        switch tls {
        case .disable: return .disable
        case .prefer: return .prefer(.makeClientConfiguration())
        case .require: return .require(.makeClientConfiguration())
        }
    }
}
