// swift-tools-version:6.0
// Candystore: the Bloodbank event backbone (event model, AMQP/Redis clients, event store, API, Letta bridge).
//
// Dependency direction (see docs/architecture.md):
//   transport clients (AMQPClient, RedisClient) never import the event model;
//   BloodbankModel is pure Foundation; EventStore adds PostgresNIO;
//   CandystoreOps composes configuration and health; executables are thin.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

/// Targets converted to compiler-checked imports (as Hummingbird does): every member used must come from a module
/// the file imports (SE-0444), and imports are internal unless marked `public`/`package` (SE-0409), so a
/// dependency leaking through public API is visible in the source. The other targets move over one by one.
let checkedImportsSwiftSettings: [SwiftSetting] =
    swiftSettings + [
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]

let package = Package(
    name: "candystore",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "candystore", targets: ["candystore"]),
        .executable(name: "bb", targets: ["bb"]),
        .library(name: "BloodbankModel", targets: ["BloodbankModel"]),
        .library(name: "AMQPClient", targets: ["AMQPClient"]),
        .library(name: "RedisClient", targets: ["RedisClient"]),
        .library(name: "LettaClient", targets: ["LettaClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0"),
    ],
    targets: [
        // MARK: Event model (pure Foundation)
        .target(
            name: "BloodbankModel",
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Retry/backoff policy (dependency-free; used by the transports and the services)
        .target(
            name: "Retry",
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Transport clients (no event model)
        .target(
            name: "AMQPClient",
            dependencies: [
                "Retry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .target(
            name: "RedisClient",
            dependencies: [
                "Retry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .target(
            name: "LettaClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Bloodbank topology and (later) publisher/consumer glue
        .target(
            name: "Bloodbank",
            dependencies: [
                "AMQPClient",
                "BloodbankModel",
                "Retry",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Event store on PostgreSQL: migrations, the writer and projections, the reader
        .target(
            name: "EventStore",
            dependencies: [
                "BloodbankModel",
                "EventStoreQueries",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: The query model and port of the read side (filters, pages, causation graphs; no database)
        .target(
            name: "EventStoreQueries",
            dependencies: ["BloodbankModel"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Event Store API (HTTP + WebSocket; never imports PostgresNIO or the AMQP client)
        .target(
            name: "CandystoreAPI",
            dependencies: [
                "EventStoreQueries",
                "BloodbankModel",
                "RedisClient",
                "CandystoreHealth",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Event Store Manager (consume → validate → batch → store → announce → ack)
        .target(
            name: "EventStoreManager",
            dependencies: [
                "AMQPClient",
                "Bloodbank",
                "BloodbankModel",
                "EventStore",
                "RedisClient",
                "Retry",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Letta bridge (handoff requests → Letta agents → acceptance and outcome events)
        .target(
            name: "LettaBridge",
            dependencies: [
                "AMQPClient",
                "Bloodbank",
                "BloodbankModel",
                "LettaClient",
                "Retry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Configuration (settings: environment over .env over defaults; shared by every executable)
        .target(
            name: "CandystoreConfig",
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Health reports (one JSON shape for every role) and the check runner
        .target(
            name: "CandystoreHealth",
            dependencies: ["BloodbankModel", "Retry"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Operations: health checks of the servers, RabbitMQ management client
        .target(
            name: "CandystoreOps",
            dependencies: [
                "CandystoreConfig",
                "CandystoreHealth",
                "BloodbankModel",
                "EventStore",
                "Bloodbank",
                "RedisClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Composition root of the server binary: settings → typed configuration → every role, wired
        .target(
            name: "CandystoreApp",
            dependencies: [
                "Retry",
                "CandystoreConfig",
                "CandystoreHealth",
                "CandystoreOps",
                "CandystoreAPI",
                "EventStore",
                "EventStoreQueries",
                "EventStoreManager",
                "LettaBridge",
                "LettaClient",
                "Bloodbank",
                "BloodbankModel",
                "AMQPClient",
                "RedisClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .target(
            name: "CandystoreCommands",
            dependencies: [
                "CandystoreApp",
                "CandystoreConfig",
                "CandystoreHealth",
                "CandystoreOps",
                "EventStore",
                "BloodbankModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: The client CLI `bb` (event model, AMQP, HTTP client; no server module)
        .target(
            name: "BloodbankCLI",
            dependencies: [
                "Retry",
                "AMQPClient",
                "Bloodbank",
                "BloodbankModel",
                "CandystoreConfig",
                // The query grammar (event type patterns) shared with the API; no database.
                "EventStoreQueries",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The WebSocket client only (swift-websocket's WSClient): no Hummingbird server module.
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Executables (thin)
        .executableTarget(
            name: "candystore",
            dependencies: ["CandystoreCommands"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .executableTarget(
            name: "bb",
            dependencies: ["BloodbankCLI"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        // MARK: Tests
        .target(
            name: "CandystoreTestSupport",
            dependencies: [
                "EventStore",
                "EventStoreQueries",
                "BloodbankModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/CandystoreTestSupport",
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "BloodbankModelTests",
            dependencies: [
                "CandystoreTestSupport",
                "BloodbankModel",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "AMQPClientTests",
            dependencies: [
                "Retry",
                "AMQPClient",
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: [
                "Retry",
                "RedisClient",
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "BloodbankTests",
            dependencies: ["Bloodbank", "BloodbankModel", "Retry"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "EventStoreManagerTests",
            dependencies: ["EventStoreManager", "EventStore", "BloodbankModel"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "LettaBridgeTests",
            dependencies: ["LettaBridge", "LettaClient", "BloodbankModel"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "LettaClientTests",
            dependencies: [
                "LettaClient",
                "CandystoreApp",
                "CandystoreConfig",
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "EventStoreQueriesTests",
            dependencies: [
                "CandystoreTestSupport",
                "EventStoreQueries",
                "EventStore",
                "BloodbankModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "CandystoreAPITests",
            dependencies: [
                "CandystoreTestSupport",
                "CandystoreAPI",
                "EventStoreQueries",
                "EventStore",
                "BloodbankModel",
                "RedisClient",
                "CandystoreOps",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                "CandystoreHealth",
                "CandystoreApp",
                "CandystoreConfig",
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "EventStoreWriterTests",
            dependencies: [
                "CandystoreTestSupport",
                "EventStore",
                "BloodbankModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "EventStoreTests",
            dependencies: [
                "EventStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "CandystoreConfigTests",
            dependencies: ["CandystoreTestSupport", "CandystoreConfig"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "CandystoreHealthTests",
            dependencies: ["CandystoreHealth", "CandystoreConfig", "BloodbankModel"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "RetryTests",
            dependencies: ["Retry", "CandystoreTestSupport"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "BloodbankCLITests",
            dependencies: [
                "BloodbankCLI", "BloodbankModel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "CandystoreAppTests",
            dependencies: [
                "CandystoreApp", "CandystoreConfig", "CandystoreHealth", "CandystoreOps", "CandystoreAPI",
                "EventStoreManager", "LettaBridge", "LettaClient", "Bloodbank", "BloodbankModel", "AMQPClient",
                "EventStore",
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "CandystoreOpsTests",
            dependencies: [
                "CandystoreOps",
                "Bloodbank",
                "EventStore",
                "CandystoreConfig",
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "CandystoreTestSupport",
                "CandystoreOps",
                "EventStore",
                "EventStoreManager",
                "Bloodbank",
                "BloodbankModel",
                "AMQPClient",
                "RedisClient",
                "LettaClient",
                "LettaBridge",
                "Retry",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                "CandystoreHealth",
                "BloodbankCLI",
                "CandystoreApp",
                "CandystoreConfig",
            ],
            swiftSettings: checkedImportsSwiftSettings
        ),
    ]
)

// MARK: Fuzzers
// Only with CANDYSTORE_FUZZ=1: scripts/fuzz builds them with `-sanitize=fuzzer,address` into .build-fuzz.
if Context.environment["CANDYSTORE_FUZZ"] == "1" {
    package.targets += [
        .executableTarget(
            name: "json-fuzzer", dependencies: ["BloodbankModel"], path: "fuzz/json", exclude: ["corpus"],
            swiftSettings: checkedImportsSwiftSettings),
        .executableTarget(
            name: "amqp-fuzzer", dependencies: ["AMQPClient"], path: "fuzz/amqp", exclude: ["corpus"],
            swiftSettings: checkedImportsSwiftSettings),
    ]
}

// MARK: Benchmarks
// Only with CANDYSTORE_BENCH=1 (bench/<name>/run sets it and builds in release into .build-bench), so neither
// `swift build` nor `swift build --build-tests` compiles them. They record results in bench/results/.
if Context.environment["CANDYSTORE_BENCH"] == "1" {
    package.targets += [
        .executableTarget(
            name: "amqp-bench",
            dependencies: [
                "AMQPClient",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "bench/amqp",
            exclude: ["pika_bench.py", "run"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .executableTarget(
            name: "ingest-bench",
            dependencies: [
                "CandystoreApp",
                "CandystoreConfig",
                "AMQPClient", "Bloodbank", "BloodbankModel", "CandystoreOps", "EventStore", "EventStoreManager",
                "RedisClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "bench/ingest",
            exclude: ["run"],
            swiftSettings: checkedImportsSwiftSettings
        ),
        .executableTarget(
            name: "api-bench",
            dependencies: [
                "CandystoreApp",
                "CandystoreConfig",
                "CandystoreAPI",
                "CandystoreOps",
                "EventStore",
                "BloodbankModel",
                "RedisClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "bench/api",
            exclude: ["run"],
            swiftSettings: checkedImportsSwiftSettings
        ),
    ]
}
