import ArgumentParser
import CandystoreAPI
import CandystoreOps
import Hummingbird

/// `candystore api`: serves the Event Store API (REST, WebSocket stream, OpenAPI, /docs) until SIGTERM/SIGINT.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve the Event Store API: queries, causation chains, workflows, sessions and the live stream.",
        discussion: """
            Settings: API_HOST (127.0.0.1), API_PORT, API_TOKEN, API_CORS_ORIGINS, API_WS_HEARTBEAT_SECONDS,
            API_WS_BUFFER_SIZE, API_MAX_CAUSATION_NODES, DATABASE_URL, REDIS_URL (see docs/api.md).
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let (_, logger) = try global.load(label: "candystore.api")
        let settings = try Settings.load()
        let app = try await buildApplication(configuration: APIConfiguration(settings: settings), logger: logger)
        try await app.runService()
    }
}
