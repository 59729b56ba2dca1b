/// The error of ``withDeadline(_:_:)``: the work did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    /// The time the work was given.
    public let timeout: Duration

    /// Creates the error for work given `timeout`.
    public init(timeout: Duration) { self.timeout = timeout }

    /// "no answer within …", for command-line and health output.
    public var description: String { "no answer within \(timeout)" }
}

/// Runs `body`, cancelling it and throwing ``DeadlineExceeded`` when it takes longer than `timeout`; errors of
/// `body` are rethrown as they are.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(timeout: timeout)
        }
        return value
    }
}
