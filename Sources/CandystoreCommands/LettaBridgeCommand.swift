import ArgumentParser
import CandystoreApp

/// `candystore letta-bridge`: hands each BMAD handoff request to a Letta agent until SIGTERM/SIGINT.
struct LettaBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "letta-bridge",
        abstract: "Turn bmad.workflow.handoff.requested events into work for Letta agents.",
        discussion: """
            Settings: RABBITMQ_URL, LETTA_SERVER_URL, LETTA_TOKEN, LETTA_MODEL*, LETTA_EMBEDDING*,
            LETTA_BRIDGE_HOST/LETTA_BRIDGE_PORT (/health, /metrics; 9465), LETTA_BRIDGE_CONCURRENCY (4),
            LETTA_BRIDGE_MAX_ATTEMPTS (8), LETTA_BRIDGE_RETRY_MAX_SECONDS (15) (`candystore config` shows them).
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let app = try global.app(label: "candystore.letta-bridge")
        try await app.lettaBridgeRole().run(logger: app.logger)
    }
}
