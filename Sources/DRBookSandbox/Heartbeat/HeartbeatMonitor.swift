import FlyingFox
import Foundation

/// The sandbox's simulated heartbeat monitor: a healthchecks.io-compatible server on
/// loopback with one project's checks, ping URLs (reference §9) and the Management API
/// subset drbook reads (§8). A simulation, not healthchecks: simple checks only, no
/// notifications, no mutations through the API.
public final class HeartbeatMonitor: Sendable {
    /// `SITE_ROOT`: the API is under `/api/v3/`, pings under `/ping/`.
    public let baseURL: URL
    public let keys: HeartbeatKeys
    private let store: HeartbeatStore
    private let server: HTTPServer
    private let serverTask: Task<Void, Error>

    private init(baseURL: URL, keys: HeartbeatKeys, store: HeartbeatStore, server: HTTPServer, serverTask: Task<Void, Error>) {
        self.baseURL = baseURL
        self.keys = keys
        self.store = store
        self.server = server
        self.serverTask = serverTask
    }

    /// Starts the monitor on 127.0.0.1 (`port` 0 for a free one) with `checks`, reading
    /// the time from `clock` so tests can move it.
    public static func start(checks: [HeartbeatCheckConfig], clock: SimulationClock = SimulationClock(),
                             port: Int = 0) async throws -> HeartbeatMonitor {
        let names = checks.map(\.name)
        guard Set(names).count == names.count else { throw SandboxError.server("heartbeat monitor: check names must be unique") }
        let keys = HeartbeatKeys.random()
        let store = HeartbeatStore(configs: checks, pingKey: keys.pingKey, clock: clock)
        let chosenPort = port == 0 ? try LoopbackPort.free() : port
        let base = "http://127.0.0.1:\(chosenPort)"
        let handler = HeartbeatHandler(ping: HeartbeatPingView(store: store),
                                       api: HeartbeatAPIView(store: store, keys: keys, baseURL: base))
        let (server, serverTask) = try await LoopbackServer.start(port: chosenPort, requestTimeout: 30, handler: handler,
                                                                  name: "heartbeat monitor")
        return HeartbeatMonitor(baseURL: URL(string: base)!, keys: keys, store: store, server: server, serverTask: serverTask)
    }

    /// The Management API base (`<SITE_ROOT>/api/v3/`).
    public var apiURL: URL { URL(string: baseURL.absoluteString + "/api/v3/")! }

    /// The UUID ping URL of the named check, as the API's `ping_url` gives it.
    public func pingURL(for name: String) async -> URL? {
        guard let check = await store.check(named: name) else { return nil }
        return URL(string: "\(baseURL.absoluteString)/ping/\(check.uuid)")
    }

    /// The slug ping URL of the named check (`/ping/<ping-key>/<slug>`).
    public func slugPingURL(for name: String) async -> URL? {
        guard let check = await store.check(named: name) else { return nil }
        return URL(string: "\(baseURL.absoluteString)/ping/\(keys.pingKey)/\(check.config.effectiveSlug)")
    }

    /// The named check's UUID.
    public func uuid(of name: String) async -> String? { await store.check(named: name)?.uuid }

    /// The pings the named check received, oldest first.
    public func pings(of name: String) async -> [HeartbeatPing] { await store.check(named: name)?.pings ?? [] }

    /// Pauses the named check as the UI's pause does; false when there is no such check.
    @discardableResult
    public func pause(_ name: String) async -> Bool { await store.pause(named: name) }

    public func stop() async {
        await server.stop(timeout: 1)
        serverTask.cancel()
    }
}
