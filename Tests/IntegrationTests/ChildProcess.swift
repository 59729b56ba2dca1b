import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid`.
///
/// Why not Foundation's `Process`: on Linux its exit monitoring (a SIGCHLD dispatch source) can miss a child's
/// exit — the child stays a zombie and `waitUntilExit()` never returns. It happened in the outage tests
/// right after `scripts/dev start rabbitmq` (the script daemonises the broker and exits), and hung the run.
/// Here the test itself polls `waitpid(pid, WNOHANG)`, which cannot miss an exit and never blocks a thread.
struct ChildProcess: Sendable {
    /// The child's process id.
    let pid: pid_t

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `executable` with `arguments`; the environment defaults to the test process's own.
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        currentDirectory: String? = nil
    ) throws -> ChildProcess {
        // glibc's posix_spawn_file_actions_addchdir_np is not imported into Swift: a shell changes directory and
        // then execs the program (so the pid is the program's own and signals reach it).
        var command = [executable] + arguments
        if let currentDirectory {
            command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", currentDirectory] + command
        }
        let argv = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environment = environment ?? ProcessInfo.processInfo.environment
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], nil, nil, argv, envp)
        guard result == 0 else {
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid)
    }

    /// Runs `executable` to completion and throws unless it exits with status 0.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        currentDirectory: String? = nil
    ) async throws {
        let child = try spawn(executable, arguments, environment: environment, currentDirectory: currentDirectory)
        let status = try await child.wait()
        guard status == .exited(0) else {
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")): \(status)")
        }
    }

    /// How a child ended.
    enum Termination: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// Waits for the child to end (polling every 20 ms) and reaps it.
    func wait() async throws -> Termination {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result == -1 && errno != EINTR {
                throw Failure(description: "waitpid(\(pid)): \(String(cString: strerror(errno)))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // The WIFEXITED/WEXITSTATUS macros are not imported into Swift; these are their glibc definitions.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// Sends `signal` to the child.
    func kill(_ signal: Int32) {
        _ = Glibc.kill(pid, signal)
    }
}
