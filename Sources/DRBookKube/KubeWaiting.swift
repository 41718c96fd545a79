import Foundation

/// How a change waits for the cluster to catch up: bounded, re-read on an interval, and
/// telling what it sees each time, so a wait longer than a moment shows progress and none
/// hangs. The clock and the sleep are the caller's (a run's clock in an action, a test's own).
public struct KubeWaiting: Sendable {
    /// What one look found: the value once the wait is over, else what it is waiting for now.
    public enum Look<Value: Sendable>: Sendable {
        case done(Value)
        /// Not yet: a sentence for the live line, and counts when they are known.
        case waiting(String, completed: Int? = nil, total: Int? = nil)
    }

    public var timeout: Duration
    public var interval: Duration
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void
    /// Told each look that is not the last: the sentence and the counts.
    public var progress: @Sendable (_ message: String, _ completed: Int?, _ total: Int?) -> Void

    public init(timeout: Duration, interval: Duration = .seconds(1), now: @escaping @Sendable () -> Date = { Date() },
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                progress: @escaping @Sendable (String, Int?, Int?) -> Void = { _, _, _ in }) {
        self.timeout = timeout
        self.interval = interval
        self.now = now
        self.sleep = sleep
        self.progress = progress
    }

    /// Looks until `look` says done or `timeout` passes; the timeout names `what` and the last sight.
    public func until<Value: Sendable>(_ what: String, _ look: () async throws -> Look<Value>) async throws -> Value {
        let started = now()
        while true {
            switch try await look() {
            case let .done(value):
                return value
            case let .waiting(message, completed, total):
                let waited = now().timeIntervalSince(started)
                guard waited < Double(timeout.components.seconds) else {
                    throw KubeWaitExpired(what: what, timeout: timeout, lastSeen: message)
                }
                progress("\(message) (\(Int(waited)) s)", completed, total)
                try await sleep(interval)
            }
        }
    }
}

/// A wait that ran out: what was awaited, for how long, and what was last seen.
public struct KubeWaitExpired: Error, Sendable, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var lastSeen: String

    public var description: String {
        "\(what) did not happen within \(Self.format(timeout)); last seen: \(lastSeen)"
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        if seconds >= 3600, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
