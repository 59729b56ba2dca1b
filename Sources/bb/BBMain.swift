import ArgumentParser
import BloodbankCLI

/// Entry point of the `bb` executable; all logic lives in BloodbankCLI (a client module: no server code).
@main
enum BBMain {
    static func main() async {
        await BBCommand.main()
    }
}
