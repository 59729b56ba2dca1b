import ArgumentParser

/// The `bb` client CLI for BMAD skills and people: publish events, list the catalogue, export schemas.
public struct BBCommand: AsyncParsableCommand {
    /// Command-line description and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "bb",
        abstract: "Bloodbank client: publish events and inspect the event catalogue.",
        subcommands: []
    )

    /// Creates the command (ArgumentParser requirement).
    public init() {}
}
