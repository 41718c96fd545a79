import Foundation

/// A check's stored state and its ping handling, following healthchecks'
/// `Check.ping`, `get_status` and `get_grace_start` (reference §8.5) for simple checks.
struct HeartbeatCheckState: Sendable {
    /// The stored status: new, up, down or paused (grace is only ever computed).
    enum Stored: String, Sendable { case new, up, down, paused }

    struct Flip: Sendable, Equatable {
        var timestamp: Date
        var up: Bool
    }

    let config: HeartbeatCheckConfig
    let uuid: String
    var stored: Stored
    var lastPing: Date?
    var lastStart: Date?
    var lastDuration: Int?
    var pings: [HeartbeatPing] = []
    var flips: [Flip] = []

    init(config: HeartbeatCheckConfig, uuid: String) {
        self.config = config
        self.uuid = uuid
        self.stored = config.paused ? .paused : .new
    }

    var timeout: TimeInterval { TimeInterval(config.timeout) }
    var grace: TimeInterval { TimeInterval(config.grace) }

    /// `get_grace_start`: nil when new or paused without an open run, or down.
    func graceStart(withStarted: Bool = true) -> Date? {
        var result: Date?
        if stored == .up, let lastPing { result = lastPing.addingTimeInterval(timeout) }
        if withStarted, let lastStart, stored != .down { result = min(result ?? lastStart, lastStart) }
        return result
    }

    /// `get_status`. `withStarted` is the v1 behaviour: an open run not yet overdue is `started`.
    func status(at now: Date, withStarted: Bool = false) -> String {
        if let lastStart {
            if now >= lastStart.addingTimeInterval(grace) { return "down" }
            if withStarted { return "started" }
        }
        if stored != .up { return stored.rawValue }
        guard let start = graceStart(withStarted: false) else { return stored.rawValue }
        if now >= start.addingTimeInterval(grace) { return "down" }
        if now >= start { return "grace" }
        return "up"
    }

    /// What healthchecks' `sendalerts` process would have done by `now`: a check whose
    /// computed status is down is stored down, with a flip at the moment it went down.
    mutating func settle(at now: Date) {
        guard stored != .down, stored != .paused, status(at: now) == "down" else { return }
        let candidates = [graceStart(withStarted: false).map { $0.addingTimeInterval(grace) },
                          lastStart.map { $0.addingTimeInterval(grace) }].compactMap { $0 }
        stored = .down
        flips.append(Flip(timestamp: candidates.min() ?? now, up: false))
    }

    /// `Check.ping`: record the ping and apply its effect on times and status.
    mutating func ping(kind requested: HeartbeatPingKind, at now: Date, method: String, bodySize: Int,
                       exitStatus: Int?, userAgent: String, rid: String?) {
        settle(at: now)
        var kind = requested
        // A POST-only check ignores GET/HEAD; a manually-resumed paused check ignores all.
        if config.methods == "POST", method != "POST" { kind = .ign }
        if stored == .paused, config.manualResume { kind = .ign }
        var duration: Double?
        switch kind {
        case .start:
            lastStart = now
        case .success, .fail:
            if let lastStart {
                duration = (now.timeIntervalSince(lastStart) * 100).rounded() / 100
                lastDuration = Int(now.timeIntervalSince(lastStart))
            }
            lastStart = nil
            lastPing = now
            setStored(kind == .success ? .up : .down, at: now)
        case .log, .ign:
            break
        }
        pings.append(HeartbeatPing(n: pings.count + 1, date: now, kind: kind, method: method, bodySize: bodySize,
                                   exitStatus: exitStatus, userAgent: String(userAgent.prefix(200)), rid: rid,
                                   duration: duration))
    }

    /// Pausing clears the open run and records a flip (`up: 0`), as healthchecks' pause does.
    mutating func pause(at now: Date) {
        lastStart = nil
        setStored(.paused, at: now)
    }

    private mutating func setStored(_ new: Stored, at now: Date) {
        guard new != stored else { return }
        stored = new
        flips.append(Flip(timestamp: now, up: new == .up))
    }
}
