import ArgumentParser
import CandystoreApp
import Hummingbird

/// `candystore api`: serves the Event Store API (REST, WebSocket stream, OpenAPI, /docs) until SIGTERM/SIGINT.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve the Event Store API: queries, causation chains, workflows, sessions and the live stream.",
        discussion: """
            Settings: API_HOST (127.0.0.1), API_PORT, API_TOKEN, API_CORS_ORIGINS, API_WS_HEARTBEAT_SECONDS,
            API_WS_BUFFER_SIZE, API_MAX_CAUSATION_NODES, DATABASE_URL, REDIS_URL (see docs/api.md;
            `candystore config` shows them).
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let app = try global.app(label: "candystore.api")
        try await APIRole.application(configuration: app.apiConfiguration(), logger: app.logger).runService()
    }
}
