import Foundation

/// The checks of the one simulated project, shared by the ping and API handlers.
actor HeartbeatStore {
    private var checks: [HeartbeatCheckState]
    let pingKey: String
    private let clock: SimulationClock

    init(configs: [HeartbeatCheckConfig], pingKey: String, clock: SimulationClock) {
        self.checks = configs.map { HeartbeatCheckState(config: $0, uuid: $0.uuid ?? UUID().uuidString.lowercased()) }
        self.pingKey = pingKey
        self.clock = clock
    }

    var now: Date { clock.now() }

    /// Every check, settled to the clock's now.
    func all() -> [HeartbeatCheckState] {
        let now = clock.now()
        for index in checks.indices { checks[index].settle(at: now) }
        return checks
    }

    func check(uuid: String) -> HeartbeatCheckState? {
        all().first { $0.uuid == uuid.lowercased() }
    }

    func check(uniqueKey: String) -> HeartbeatCheckState? {
        all().first { HeartbeatUniqueKey.of(uuid: $0.uuid) == uniqueKey }
    }

    func check(named name: String) -> HeartbeatCheckState? {
        all().first { $0.config.name == name }
    }

    /// The index of the check a ping addresses; `.ambiguous` when a slug names several.
    enum Lookup { case found(Int), notFound, ambiguous }

    func lookup(uuid: String) -> Lookup {
        checks.firstIndex { $0.uuid == uuid.lowercased() }.map(Lookup.found) ?? .notFound
    }

    func lookup(pingKey key: String, slug: String) -> Lookup {
        guard key == pingKey else { return .notFound }
        let matches = checks.indices.filter { checks[$0].config.effectiveSlug == slug }
        if matches.count > 1 { return .ambiguous }
        return matches.first.map(Lookup.found) ?? .notFound
    }

    func ping(_ index: Int, kind: HeartbeatPingKind, method: String, bodySize: Int, exitStatus: Int?, userAgent: String, rid: String?) {
        checks[index].ping(kind: kind, at: clock.now(), method: method, bodySize: bodySize, exitStatus: exitStatus,
                           userAgent: userAgent, rid: rid)
    }

    /// Pauses the named check; false when there is none.
    func pause(named name: String) -> Bool {
        guard let index = checks.firstIndex(where: { $0.config.name == name }) else { return false }
        checks[index].settle(at: clock.now())
        checks[index].pause(at: clock.now())
        return true
    }
}
