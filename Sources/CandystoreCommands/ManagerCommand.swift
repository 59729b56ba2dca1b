import ArgumentParser
import CandystoreApp
import CandystoreConfig

/// `candystore manager`: runs the Event Store Manager until SIGTERM/SIGINT.
struct ManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manager",
        abstract: "Consume every Bloodbank event, store it exactly once, project it, announce it on Redis.",
        discussion: """
            Settings: RABBITMQ_URL, DATABASE_URL, REDIS_URL, MANAGER_HOST/MANAGER_PORT (/health, /metrics),
            MANAGER_PREFETCH, MANAGER_BATCH_SIZE, MANAGER_BATCH_MAX_WAIT_MS, REDIS_STREAM_CHANNEL
            (`candystore config` shows them).
            SIGTERM/SIGINT: stop consuming, finish and commit the batch in flight, acknowledge it, close.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Port of /health and /metrics (default MANAGER_PORT or 9464).") var port: Int?

    func run() async throws {
        let app = try global.app(label: "candystore.manager")
        try await app.managerRole(port: port).run(logger: app.logger)
    }
}
