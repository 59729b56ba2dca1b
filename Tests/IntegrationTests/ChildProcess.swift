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
/// The child also starts the way a shell would start it: no signal blocked, and SIGTERM, SIGINT, SIGQUIT, SIGPIPE,
/// SIGCHLD, SIGUSR1/2 at their default disposition. (Children inherit the spawning thread's signal mask; a server
/// started by a script from a test thread that blocks SIGTERM would otherwise ignore `stop`.)
struct ChildProcess: Sendable {
    /// The child's process id.
    let pid: pid_t

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `executable` with `arguments`; the environment defaults to the test process's own.
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        currentDirectory: String? = nil, standardOutput: String? = nil, standardError: String? = nil
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (descriptor, path) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            guard let path else { continue }
            posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
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
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
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

    /// Runs `executable` to completion and returns how it ended with everything it wrote to stdout and stderr.
    static func output(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        currentDirectory: String? = nil
    ) async throws -> (termination: Termination, output: String, errors: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let child = try spawn(
            executable, arguments, environment: environment, currentDirectory: currentDirectory,
            standardOutput: base + ".out", standardError: base + ".err")
        let termination = try await child.wait()
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return (termination, output, errors)
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
