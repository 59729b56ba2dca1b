import CandystoreCommands

/// Entry point of the `bb` executable; all logic lives in CandystoreCommands.
@main
enum BBMain {
    static func main() async {
        await BBCommand.main()
    }
}
