import ArgumentParser
import CandystoreCommands

/// Entry point of the `candystore` executable; all logic lives in CandystoreCommands.
@main
enum CandystoreMain {
    static func main() async {
        await CandystoreCommand.main()
    }
}
