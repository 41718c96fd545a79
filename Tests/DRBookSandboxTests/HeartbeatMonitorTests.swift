import DRBookHTTP
import DRBookKube
import DRBookSandbox
import Foundation
import Testing

/// The simulated heartbeat monitor with drbook's own HTTP client: ping URLs of every
/// form (reference §9), the Management API's check object, status, flips and errors
/// (§8), all timed by a movable clock instead of sleeping.
@Suite("Sandbox heartbeat monitor: healthchecks ping URLs and Management API v3")
struct HeartbeatMonitorTests {
    /// A clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current: Date
        init(_ start: Date) { current = start }
        func advance(_ seconds: TimeInterval) {
            lock.lock(); defer { lock.unlock() }
            current = current.addingTimeInterval(seconds)
        }
        var now: Date {
            lock.lock(); defer { lock.unlock() }
            return current
        }
        var clock: SimulationClock { SimulationClock { [self] in now } }
    }

    static let start = Date(timeIntervalSince1970: 1_790_000_000)
    /// The docs' example UUID prefix, whose unique_key §8.4 prints.
    static let docsUUID = "803f680d-e89b-492b-82ef-2be7b774a92d"
    static let backup = HeartbeatCheckConfig(name: "Nightly Backup", timeout: 3600, grace: 600, tags: "prod backup",
                                             uuid: docsUUID)

    func withMonitor(_ checks: [HeartbeatCheckConfig] = [backup], clock: ManualClock = ManualClock(start),
                     _ body: (HeartbeatMonitor) async throws -> Void) async throws {
        let monitor = try await HeartbeatMonitor.start(checks: checks, clock: clock.clock)
        do {
            try await body(monitor)
            await monitor.stop()
        } catch {
            await monitor.stop()
            throw error
        }
    }

    func send(_ method: DRBookHTTP.HTTPMethod = .get, _ url: String, key: String? = nil, body: String? = nil) async throws -> DRBookHTTP.HTTPResponse {
        var headers: DRBookHTTP.HTTPHeaders = [:]
        if let key { headers.set("X-Api-Key", key) }
        return try await DRBookHTTP.HTTPClient.shared.send(DRBookHTTP.HTTPRequest(
            method, URL(string: url)!, headers: headers, body: body.map { .bytes(Data($0.utf8)) },
            timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(30)), retry: .never))
    }

    func api(_ monitor: HeartbeatMonitor, _ path: String, key: String?) async throws -> (status: Int, body: JSONValue?, text: String) {
        let response = try await send(.get, monitor.baseURL.absoluteString + "/api/v3/" + path, key: key)
        return (response.status, try? JSONValue(data: response.body), response.bodyText)
    }

    @Test("pings of every form answer OK and are recorded with kind, method and body size; bad forms answer as healthchecks")
    func pingForms() async throws {
        try await withMonitor { monitor in
            let uuidURL = try #require(await monitor.pingURL(for: "Nightly Backup")).absoluteString
            let slugURL = try #require(await monitor.slugPingURL(for: "Nightly Backup")).absoluteString
            #expect(uuidURL == monitor.baseURL.absoluteString + "/ping/" + Self.docsUUID)
            #expect(slugURL.hasSuffix("/\(monitor.keys.pingKey)/nightly-backup"))
            let sent: [(DRBookHTTP.HTTPMethod, String, String?)] = [
                (.get, uuidURL, nil), (.head, uuidURL + "/", nil), (.post, uuidURL + "/start", "hello"),
                (.post, uuidURL + "/fail", "{\"x\":1}"), (.get, uuidURL + "/log", nil), (.get, uuidURL + "/0", nil),
                (.get, uuidURL + "/3", nil), (.get, slugURL, nil), (.post, slugURL + "/start", nil), (.get, slugURL + "/fail", nil),
                (.post, slugURL + "/7", "abc"), (.get, slugURL + "/0", nil),
            ]
            for (method, url, body) in sent {
                let response = try await send(method, url, body: body)
                #expect(response.status == 200, "\(method) \(url)")
                if method != .head { #expect(response.bodyText == "OK") }
                #expect(response.headers["Ping-Body-Limit"] == "100000")
            }
            let pings = await monitor.pings(of: "Nightly Backup")
            #expect(pings.map(\.kind) == [.success, .success, .start, .fail, .log, .success, .fail, .success, .start, .fail, .fail, .success])
            #expect(pings.map(\.method) == ["GET", "HEAD", "POST", "POST", "GET", "GET", "GET", "GET", "POST", "GET", "POST", "GET"])
            #expect(pings.map(\.bodySize) == [0, 0, 5, 7, 0, 0, 0, 0, 0, 0, 3, 0])
            #expect(pings.map(\.exitStatus) == [nil, nil, nil, nil, nil, 0, 3, nil, nil, nil, 7, 0])
            #expect(pings.map(\.n) == Array(1...12))

            let refused: [(String, Int, String)] = [
                (uuidURL + "/256", 400, "invalid url format"),
                (monitor.baseURL.absoluteString + "/ping/00000000-0000-4000-8000-000000000000", 404, "not found"),
                (monitor.baseURL.absoluteString + "/ping/" + Self.docsUUID.replacingOccurrences(of: "-", with: ""), 404, "not found"),
                (monitor.baseURL.absoluteString + "/ping/wrongpingkey/nightly-backup", 404, "not found"),
                (slugURL.replacingOccurrences(of: "nightly-backup", with: "Nightly-Backup"), 400, "invalid url format"),
                (uuidURL + "?rid=not-a-uuid", 400, "invalid uuid format"),
            ]
            for (url, status, text) in refused {
                let response = try await send(.get, url)
                #expect(response.status == status, "\(url)")
                #expect(response.bodyText == text, "\(url)")
            }
            #expect(await monitor.pings(of: "Nightly Backup").count == 12, "refused pings are not recorded")
            let check = try await api(monitor, "checks/\(Self.docsUUID)", key: monitor.keys.readWrite)
            #expect(check.body?["n_pings"] == 12, "n_pings counts start and log pings too")

            let log = try await api(monitor, "checks/\(Self.docsUUID)/pings/", key: monitor.keys.readWrite)
            #expect(log.status == 200)
            let listed = try #require(log.body?["pings"]?.arrayValue)
            #expect(listed.count == 12)
            #expect(listed.first?["n"] == 12, "newest first")
            #expect(listed.first?["type"] == "success")
            #expect(listed.last?["method"] == "GET")
            #expect(listed[2]["duration"] != nil, "a completion after /start carries a duration")
            #expect(listed[1]["duration"] == nil, "one without an open run has none")
        }
    }

    @Test("status goes new → up → grace → down by the clock, with next_ping, last_ping and flips as healthchecks computes them")
    func statusTransitions() async throws {
        let clock = ManualClock(Self.start)
        try await withMonitor(clock: clock) { monitor in
            let key = monitor.keys.readWrite
            func check() async throws -> JSONValue { try #require(try await api(monitor, "checks/\(Self.docsUUID)", key: key).body) }
            var object = try await check()
            #expect(object["status"] == "new")
            #expect(object["last_ping"] == .null)
            #expect(object["next_ping"] == .null)
            #expect(object["timeout"] == 3600)
            #expect(object["grace"] == 600)
            #expect(object["started"] == false)

            clock.advance(30)
            _ = try await send(.post, try #require(await monitor.pingURL(for: "Nightly Backup")).absoluteString)
            object = try await check()
            #expect(object["status"] == "up")
            #expect(object["last_ping"] == "2026-09-21T14:13:50+00:00")
            #expect(object["next_ping"] == "2026-09-21T15:13:50+00:00")

            clock.advance(3599)
            #expect(try await check()["status"] == "up")
            clock.advance(1)
            #expect(try await check()["status"] == "grace")
            clock.advance(599)
            #expect(try await check()["status"] == "grace")
            clock.advance(1)
            object = try await check()
            #expect(object["status"] == "down")
            #expect(object["next_ping"] == .null, "down with no open run has no next ping")

            let flips = try await api(monitor, "checks/\(Self.docsUUID)/flips/", key: key)
            #expect(flips.body == ["flips": [["timestamp": "2026-09-21T15:23:50+00:00", "up": 0],
                                             ["timestamp": "2026-09-21T14:13:50+00:00", "up": 1]]])
            let recent = try await api(monitor, "checks/\(Self.docsUUID)/flips/?seconds=60", key: key)
            #expect(recent.body == ["flips": [["timestamp": "2026-09-21T15:23:50+00:00", "up": 0]]])
            let bad = try await api(monitor, "checks/\(Self.docsUUID)/flips/?seconds=-1", key: key)
            #expect(bad.status == 400)
            #expect(bad.text.isEmpty)

            // A run opened by /start and not completed within grace is down again.
            _ = try await send(.get, try #require(await monitor.pingURL(for: "Nightly Backup")).absoluteString)
            #expect(try await check()["status"] == "up")
            _ = try await send(.get, try #require(await monitor.pingURL(for: "Nightly Backup")).absoluteString + "/start")
            object = try await check()
            #expect(object["started"] == true)
            #expect(object["next_ping"] == object["last_ping"], "an open run moves next_ping to its start")
            let v1 = try await send(.get, monitor.baseURL.absoluteString + "/api/v1/checks/\(Self.docsUUID)", key: key)
            #expect(try JSONValue(data: v1.body)["status"] == "started", "only v1 reports an open run as a status")
            clock.advance(600)
            #expect(try await check()["status"] == "down")
        }
    }

    @Test("a paused check reports paused until a ping resumes it, unless manual_resume; pausing records an up:0 flip")
    func paused() async throws {
        let checks = [
            HeartbeatCheckConfig(name: "weekly", timeout: 604_800, grace: 3600, paused: true),
            HeartbeatCheckConfig(name: "manual", timeout: 60, grace: 60, paused: true, manualResume: true),
        ]
        try await withMonitor(checks) { monitor in
            let key = monitor.keys.readWrite
            let listed = try #require(try await api(monitor, "checks/", key: key).body?["checks"]?.arrayValue)
            #expect(listed.map { $0["status"] } == ["paused", "paused"])
            #expect(listed.map { $0["next_ping"] } == [.null, .null])

            _ = try await send(.get, try #require(await monitor.pingURL(for: "manual")).absoluteString)
            #expect(await monitor.pings(of: "manual").map(\.kind) == [.ign])
            let manualUUID = try #require(await monitor.uuid(of: "manual"))
            #expect(try await api(monitor, "checks/\(manualUUID)", key: key).body?["status"] == "paused")

            let weeklyUUID = try #require(await monitor.uuid(of: "weekly"))
            _ = try await send(.get, try #require(await monitor.pingURL(for: "weekly")).absoluteString)
            #expect(try await api(monitor, "checks/\(weeklyUUID)", key: key).body?["status"] == "up")
            #expect(await monitor.pause("weekly"))
            #expect(try await api(monitor, "checks/\(weeklyUUID)", key: key).body?["status"] == "paused")
            let flips = try #require(try await api(monitor, "checks/\(weeklyUUID)/flips/", key: key).body?["flips"]?.arrayValue)
            #expect(flips.map { $0["up"] } == [0, 1])
        }
    }

    @Test("API keys: missing and wrong keys are 401 with healthchecks' bodies; a read-only key may not list pings")
    func authErrors() async throws {
        try await withMonitor { monitor in
            let missing = try await api(monitor, "checks/", key: nil)
            #expect(missing.status == 401)
            #expect(missing.body == ["error": "missing api key"])
            let short = try await api(monitor, "checks/", key: "hcw_short")
            #expect(short.status == 401)
            #expect(short.body == ["error": "missing api key"], "a key that is not 32 characters counts as missing")
            let wrong = try await api(monitor, "checks/", key: "hcw_" + String(repeating: "x", count: 28))
            #expect(wrong.status == 401)
            #expect(wrong.body == ["error": "wrong api key"])
            let readOnlyPings = try await api(monitor, "checks/\(Self.docsUUID)/pings/", key: monitor.keys.readOnly)
            #expect(readOnlyPings.status == 401, "healthchecks answers 401, not 403")
            #expect(readOnlyPings.body == ["error": "wrong api key"])
            #expect(try await api(monitor, "checks/\(Self.docsUUID)/flips/", key: monitor.keys.readOnly).status == 200)
            #expect(monitor.keys.readWrite.count == 32 && monitor.keys.readWrite.hasPrefix("hcw_"))
            #expect(monitor.keys.readOnly.count == 32 && monitor.keys.readOnly.hasPrefix("hcr_"))

            let unknown = try await api(monitor, "checks/00000000-0000-4000-8000-000000000000", key: monitor.keys.readWrite)
            #expect(unknown.status == 404)
            #expect(unknown.body == nil, "an unknown UUID is Django's HTML page, not JSON")
            let unknownKey = try await api(monitor, "checks/" + String(repeating: "a", count: 40), key: monitor.keys.readOnly)
            #expect(unknownKey.status == 404)
            #expect(unknownKey.text.isEmpty)
            let status = try await api(monitor, "status/", key: nil)
            #expect(status.status == 200)
            #expect(status.text == "OK")
        }
    }

    @Test("a read-only key sees unique_key and never the UUID or ping URL; a read-write key sees the reverse")
    func readOnlyView() async throws {
        try await withMonitor { monitor in
            let readOnly = try await api(monitor, "checks/", key: monitor.keys.readOnly)
            #expect(readOnly.status == 200)
            let object = try #require(readOnly.body?["checks"]?.arrayValue?.first)
            #expect(object["unique_key"] == "124f983e0e3dcaeba921cfcef46efd084576e783", "the formula of §8.4 on the docs' UUID")
            for field in ["uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"] {
                #expect(object[field] == nil, "\(field)")
            }
            #expect(!readOnly.text.contains(Self.docsUUID))
            #expect(object["name"] == "Nightly Backup")
            #expect(object["slug"] == "nightly-backup")
            #expect(object["tags"] == "prod backup")

            let byKey = try await api(monitor, "checks/124f983e0e3dcaeba921cfcef46efd084576e783", key: monitor.keys.readOnly)
            #expect(byKey.status == 200)
            #expect(byKey.body?["name"] == "Nightly Backup", "the bare object, not wrapped")

            let readWrite = try #require(try await api(monitor, "checks/\(Self.docsUUID)", key: monitor.keys.readWrite).body)
            #expect(readWrite["uuid"] == .string(Self.docsUUID))
            #expect(readWrite["ping_url"] == .string(monitor.baseURL.absoluteString + "/ping/" + Self.docsUUID))
            #expect(readWrite["unique_key"] == nil)
            let filtered = try await api(monitor, "checks/?tag=prod&tag=nothing", key: monitor.keys.readWrite)
            #expect(filtered.body == ["checks": []])
            let bySlug = try await api(monitor, "checks/?slug=nightly-backup", key: monitor.keys.readWrite)
            #expect(bySlug.body?["checks"]?.arrayValue?.count == 1)
        }
    }

    @Test("the seed's labelled ConfigMap configures the sandbox's check; its names and periods come from sandbox/platform.yaml")
    func seedCheck() async throws {
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../sandbox/platform.yaml").standardized.path
        let platform = try SandboxPlatform.load(seed: seed, storeDirectory: FileManager.default.temporaryDirectory)
        let checks = try HeartbeatCheckConfig.fromSeed(platform.seed, source: seed)
        #expect(checks.count == 1)
        let check = try #require(checks.first)
        #expect(check.timeout == 300 && check.grace == 600, "the platform's period ~5 min and grace ~10 min")
        try await withMonitor(checks) { monitor in
            let listed = try #require(try await api(monitor, "checks/", key: monitor.keys.readOnly).body?["checks"]?.arrayValue)
            #expect(listed.map { $0["name"] } == [.string(check.name)])
            #expect(listed.first?["status"] == "new")
        }
        let broken: [JSONValue] = [["apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": ["name": "x", "labels": [.init(stringLiteral: HeartbeatCheckConfig.seedLabel): "true"]],
                                    "data": ["name": "x", "timeout": "soon"]]]
        #expect(throws: KubeManifestError.self) { try HeartbeatCheckConfig.fromSeed(broken, source: "seed.yaml") }
    }
}
