import Dispatch
package import Foundation

/// What a finished child process left: its exit status and standard output.
package struct ProcessOutput: Sendable {
    /// The exit status (or the terminating signal, as Foundation reports it).
    package var status: Int32
    /// Everything it wrote to standard output.
    package var output: Data
}

/// Runs a short program to completion on a Dispatch thread and returns its status and standard output.
///
/// Foundation's `Process` waits by blocking (`readDataToEndOfFile`, `waitUntilExit`). Done inside a test, that blocks
/// one of the cooperative pool's threads — on a 2-core machine half the pool — and starves every other test's
/// tasks for as long as the child runs (it made unrelated Redis and health tests miss their timeouts in CI).
/// Here the blocking happens off the pool. For servers and long-running children use the integration tests'
/// `ChildProcess`.
package func runToCompletion(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil
) async throws -> ProcessOutput {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            if let environment { process.environment = environment }
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            continuation.resume(returning: ProcessOutput(status: process.terminationStatus, output: output))
        }
    }
}
