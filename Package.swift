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
    ],
    targets: [
        // MARK: Event model (pure Foundation)
        .target(
            name: "BloodbankModel",
            swiftSettings: swiftSettings
        ),
        // MARK: Retry/backoff policy (dependency-free; used by the transports and the services)
        .target(
            name: "Retry",
            swiftSettings: swiftSettings
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
            swiftSettings: swiftSettings
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
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LettaClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
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
            swiftSettings: swiftSettings
        ),
        // MARK: Event store (PostgreSQL)
        .target(
            name: "EventStore",
            dependencies: [
                "BloodbankModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: Read side of the store (queries, causation walks, stream reads)
        .target(
            name: "EventStoreQueries",
            dependencies: [
                "EventStore",
                "BloodbankModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: Event Store API (HTTP + WebSocket; never imports PostgresNIO or the AMQP client)
        .target(
            name: "CandystoreAPI",
            dependencies: [
                "EventStoreQueries",
                "BloodbankModel",
                "RedisClient",
                "CandystoreOps",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
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
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
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
            swiftSettings: swiftSettings
        ),
        // MARK: Composition: configuration, health, operations
        .target(
            name: "CandystoreOps",
            dependencies: [
                "EventStore",
                "Bloodbank",
                "RedisClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CandystoreCommands",
            dependencies: [
                "CandystoreOps",
                "EventStore",
                "EventStoreManager",
                "CandystoreAPI",
                "LettaBridge",
                "LettaClient",
                "Bloodbank",
                "BloodbankModel",
                "AMQPClient",
                "RedisClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // MARK: Executables (thin)
        .executableTarget(
            name: "candystore",
            dependencies: ["CandystoreCommands"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bb",
            dependencies: ["CandystoreCommands"],
            swiftSettings: swiftSettings
        ),
        // MARK: Benchmarks (bench/<name>/run builds them in release and records results in bench/results/)
        .executableTarget(
            name: "amqp-bench",
            dependencies: [
                "AMQPClient",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "bench/amqp",
            exclude: ["pika_bench.py", "run"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ingest-bench",
            dependencies: [
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
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "api-bench",
            dependencies: [
                "CandystoreAPI",
                "CandystoreOps",
                "EventStore",
                "BloodbankModel",
                "RedisClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "bench/api",
            exclude: ["run"],
            swiftSettings: swiftSettings
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
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BloodbankModelTests",
            dependencies: ["BloodbankModel"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AMQPClientTests",
            dependencies: [
                "AMQPClient",
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: [
                "RedisClient",
                "Retry",
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BloodbankTests",
            dependencies: ["Bloodbank", "BloodbankModel", "Retry"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EventStoreManagerTests",
            dependencies: ["EventStoreManager", "EventStore", "BloodbankModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LettaBridgeTests",
            dependencies: ["LettaBridge", "LettaClient", "BloodbankModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LettaClientTests",
            dependencies: ["LettaClient"],
            swiftSettings: swiftSettings
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
            swiftSettings: swiftSettings
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
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EventStoreWriterTests",
            dependencies: [
                "EventStore",
                "BloodbankModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EventStoreTests",
            dependencies: ["EventStore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CandystoreOpsTests",
            dependencies: ["CandystoreOps", "Bloodbank", "EventStore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
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
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
