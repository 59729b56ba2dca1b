/// Mutual exclusion per key (one per-name agent works on one task at a time in this process).
actor KeyedLock {
    private var busy: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until `key` is free, then takes it.
    func lock(_ key: String) async {
        while busy.contains(key) {
            await withCheckedContinuation { continuation in
                waiters[key, default: []].append(continuation)
            }
        }
        busy.insert(key)
    }

    /// Frees `key` and wakes its waiters.
    func unlock(_ key: String) {
        busy.remove(key)
        for waiter in waiters.removeValue(forKey: key) ?? [] { waiter.resume() }
    }
}

/// Counts arrivals at the configured fault point and kills the process at the configured one (tests only).
actor FaultInjector {
    private let point: LettaBridgeConfiguration.FaultPoint?
    private var arrivals = 0

    /// An injector for `point` (nil: never fires).
    init(point: LettaBridgeConfiguration.FaultPoint?) {
        self.point = point
    }

    /// Called at `stage`; when it is the configured stage's n-th arrival, the process dies at once (SIGKILL).
    func reached(_ stage: LettaBridgeConfiguration.FaultPoint.Stage) {
        guard let point, point.stage == stage else { return }
        arrivals += 1
        if arrivals == point.occurrence { killSelf() }
    }
}
