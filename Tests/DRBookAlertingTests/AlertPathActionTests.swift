import DRBookActions
import DRBookAlerting
import DRBookDigest
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// The alert-path actions as a runbook uses them: templated inputs, run by the engine,
/// against Debian's Prometheus and Alertmanager pinging the simulated healthchecks.
@Suite("Alert-path actions through the engine against real Prometheus and Alertmanager", .serialized, .timeLimit(.minutes(4)))
struct AlertPathActionTests {
    /// The runbook's params: where each system is and git's heartbeat URL (secret, from the environment).
    static let params = """
        params:
          alertmanager: {type: string}
          prometheus: {type: string}
          monitor: {type: string}
          receiver: {type: string, default: "${{ platform.heartbeat.alertmanagerRoute.receiver }}"}
        """

    static func header(_ name: String, extraParams: String) -> String {
        "apiVersion: drbook/v1\nkind: Runbook\nmetadata:\n  name: \(name)\n  title: \(name)\n" + params + "\n" + extraParams + "steps:\n"
    }

    /// The stack's values for the params, and the environment holding the secrets.
    static func run(_ steps: String, _ stack: AlertStack, name: String, heartbeatURL: String? = nil, apiKey: String? = nil,
                    extraParams: String = "") async throws -> RunbookRun {
        let yaml = header(name, extraParams: extraParams) + steps
        let params = ["alertmanager=\(stack.alertmanager.baseURL.absoluteString)", "prometheus=\(stack.prometheus.baseURL.absoluteString)",
                      "monitor=\(stack.monitor.apiURL.absoluteString)"]
        let env = ["HEARTBEAT_URL": heartbeatURL ?? stack.pingURL.absoluteString, "HEALTHCHECKS_API_KEY": apiKey ?? stack.monitor.keys.readWrite]
        // The API key is left to its default, HEALTHCHECKS_API_KEY in drbook's environment.
        let environment = ActionEnvironment(processEnvironment: env, kube: KubeConnection(access: KubeAccess(environment: [:])))
        return try await runRunbook(yaml, environment: environment, params: params, env: env, secret: ["HEARTBEAT_URL", "HEALTHCHECKS_API_KEY"])
    }

    /// Waits until Watchdog has reached the monitor twice, so the runbook's verdicts are settled.
    static func settled(_ stack: AlertStack) async throws {
        let pings = try await eventually(seconds: 60, { await stack.monitor.pings(of: "watchdog").count }, until: { $0 >= 2 })
        #expect(pings >= 2, "the heartbeat reached the monitor")
    }

    @Test("the Watchdog path passes: rule firing, alert active and routed to heartbeat, git's URL in the loaded config (API), notifications healthy, the check up")
    func healthyPath() async throws {
        try await withAlertStack { stack in
            try await Self.settled(stack)
            let run = try await Self.run("""
                  - id: rule
                    title: Prometheus fires the heartbeat rule
                    uses: prometheus.ruleFiring
                    with: {url: "${{ params.prometheus }}"}
                  - id: active
                    title: Watchdog is active and routed to the heartbeat receiver
                    uses: alertmanager.alertActive
                    with: {url: "${{ params.alertmanager }}", receiver: "${{ params.receiver }}"}
                  - id: config
                    title: The loaded config pings git's URL
                    uses: alertmanager.configHasReceiver
                    with: {url: "${{ params.alertmanager }}", heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                  - id: notifications
                    title: Heartbeat notifications succeed
                    uses: alertmanager.notificationsHealthy
                    with: {url: "${{ params.alertmanager }}", window: 12s}
                  - id: up
                    title: The monitor's check is up
                    uses: healthchecks.checkUp
                    with: {api: "${{ params.monitor }}", pingURL: "${{ env.HEARTBEAT_URL }}"}
                """, stack, name: "healthy-path")
            for step in ["rule", "active", "config", "notifications", "up"] {
                #expect(run.status(step) == .passed, "\(step): \(run.error(step) ?? "")")
            }
            #expect(run.outcome.exitCode == 0)
            #expect(run.lines("rule").contains { $0.hasPrefix("Watchdog is firing in group general.rules") })
            #expect(run.output("active", "receivers") == .list([.string("heartbeat")]))
            #expect(run.output("config", "source") == .string("api"))
            #expect(run.output("config", "version").map { "\($0)".hasPrefix("0.25") } == true)
            let digest = SHA256Digest.hex(of: stack.pingURL.absoluteString)
            #expect(run.lines("config").contains("receiver heartbeat in the config from Alertmanager 0.25.0's API (config.original) posts to git's heartbeat URL (sha256 \(digest.prefix(12))…)"),
                    "\(run.lines("config"))")
            #expect(run.lines("notifications").contains("note: Alertmanager does not label its counters by receiver; they cover every webhook receiver"))
            if case let .int(sent)? = run.output("notifications", "sent") { #expect(sent >= 1) } else { Issue.record("no sent output") }
            #expect(run.output("notifications", "failed") == .int(0))
            #expect(run.output("up", "status") == .string("up"))
            // The ping URL (its UUID) and the API key never reach the journal.
            let uuid = try #require(await stack.monitor.uuid(of: "watchdog"))
            #expect(!run.journalText.contains(uuid))
            #expect(!run.journalText.contains(stack.monitor.keys.readWrite))
        }
    }

    @Test("a silenced Watchdog fails alertActive naming the silence; a URL that is not git's fails configHasReceiver by digest")
    func silencedAndWrongURL() async throws {
        try await withAlertStack { stack in
            try await Self.settled(stack)
            let alertmanager = AlertmanagerClient(endpoint: .url(stack.alertmanager.baseURL))
            let id = try await alertmanager.createSilence(AlertmanagerSilenceRequest(
                matchers: [AlertmanagerMatcher(name: "alertname", value: "Watchdog")], startsAt: Date(), endsAt: Date().addingTimeInterval(600),
                createdBy: "drbook tests", comment: "maintenance"))
            _ = try await eventually({ try await alertmanager.alerts(.alertname("Watchdog")) }, until: { $0.first?.isSilenced == true })
            let gitURL = "https://hc-ping.com/0f9c4c1e-7a0b-4c53-9a57-2d1e9d5c0a11"
            let run = try await Self.run("""
                  - id: active
                    title: Watchdog is active
                    uses: alertmanager.alertActive
                    onFailure: continue
                    with: {url: "${{ params.alertmanager }}"}
                  - id: config
                    title: The loaded config pings git's URL
                    uses: alertmanager.configHasReceiver
                    with: {url: "${{ params.alertmanager }}", heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                """, stack, name: "silenced", heartbeatURL: gitURL)
            #expect(run.status("active") == .failed)
            #expect(run.error("active") == "alert Watchdog in Alertmanager (\(stack.alertmanager.baseURL.absoluteString)): is silenced (by \(id)): no heartbeat goes out")
            #expect(run.fix("active") == "expire the silence (`amtool silence expire \(id)`), or wait for it to end")
            #expect(run.status("config") == .failed)
            let loaded = SHA256Digest.hex(of: stack.pingURL.absoluteString).prefix(12), git = SHA256Digest.hex(of: gitURL).prefix(12)
            #expect(run.error("config") == "receiver heartbeat in the config from Alertmanager 0.25.0's API (config.original): holds a URL that is not git's (sha256 \(loaded)…; git's \(git)…)")
            #expect(!run.journalText.contains(gitURL) && !run.journalText.contains(stack.pingURL.absoluteString))
        }
    }

    @Test("a heartbeat receiver on a dead port fails notificationsHealthy with the failed count")
    func deadReceiver() async throws {
        try await withAlertStack(heartbeatURL: URL(string: "http://127.0.0.1:\(closedPort())/ping/dead")!) { stack in
            let alertmanager = AlertmanagerClient(endpoint: .url(stack.alertmanager.baseURL))
            _ = try await eventually({ try await alertmanager.alerts(.alertname("Watchdog")) }, until: { !$0.isEmpty })
            let run = try await Self.run("""
                  - id: notifications
                    title: Heartbeat notifications succeed
                    uses: alertmanager.notificationsHealthy
                    with: {url: "${{ params.alertmanager }}", window: 25s}
                """, stack, name: "dead-receiver")
            #expect(run.status("notifications") == .failed)
            let error = try #require(run.error("notifications"))
            #expect(error.hasPrefix("Alertmanager's webhook notifications (all receivers: this Alertmanager does not label them by receiver): "), "\(error)")
            #expect(error.contains(" failed in 25 s"), "\(error)")
            #expect(run.fix("notifications")?.hasPrefix("read Alertmanager's log for 'Notify for alerts failed'") == true)
            #expect(await stack.monitor.pings(of: "watchdog").isEmpty)
        }
    }

    @Test("after Alertmanager is stopped and started again, waitForPing sees the heartbeat resume and emits the delay")
    func resumes() async throws {
        try await withAlertStack { stack in
            try await Self.settled(stack)
            stack.stopAlertmanager()
            let stopped = Date()
            try await Task.sleep(for: .seconds(3))
            try await stack.startAlertmanagerAgain()
            let run = try await Self.run("""
                  - id: resumed
                    title: The heartbeat resumes
                    uses: healthchecks.waitForPing
                    with:
                      api: "${{ params.monitor }}"
                      pingURL: "${{ env.HEARTBEAT_URL }}"
                      after: "\(ISO8601DateFormatter().string(from: stopped.addingTimeInterval(1)))"
                      timeout: 60s
                      pollInterval: 500ms
                """, stack, name: "resumes")
            #expect(run.status("resumed") == .passed, "\(run.error("resumed") ?? "")")
            let delay = try #require(run.metrics("resumed").first)
            #expect(delay.name == "heartbeat_resume_seconds" && delay.unit == "s")
            #expect(delay.value >= 2 && delay.value < 60, "\(delay.value)")
            #expect(run.lines("resumed").contains { $0.hasPrefix("heartbeat resumed: ping at ") })
            let pings = await stack.monitor.pings(of: "watchdog")
            #expect(pings.contains { $0.date > stopped.addingTimeInterval(1) })
        }
    }

    @Test("cadence: the platform's 30s/50s gives a heartbeat every 60 s; the stack's loaded 2s/3s gives 4 s, matched by the pings the monitor saw")
    func cadence() async throws {
        try await withAlertStack { stack in
            // Enough pings for intervals to judge.
            _ = try await eventually(seconds: 60, { await stack.monitor.pings(of: "watchdog").count }, until: { $0 >= 5 })
            let run = try await Self.run("""
                  - id: platform
                    title: The platform's route
                    uses: alertmanager.heartbeatCadence
                    with:
                      groupInterval: "${{ params.group }}"
                      repeatInterval: "${{ params.repeat }}"
                  - id: loaded
                    title: The loaded route, against the pings
                    uses: alertmanager.heartbeatCadence
                    with:
                      url: "${{ params.alertmanager }}"
                      monitorPeriod: 60s
                      monitorGrace: 120s
                      observePings: true
                      api: "${{ params.monitor }}"
                      pingURL: "${{ env.HEARTBEAT_URL }}"
                """, stack, name: "cadence", extraParams: """
                  group: {type: duration, default: "${{ platform.heartbeat.alertmanagerRoute.groupInterval }}"}
                  repeat: {type: duration, default: "${{ platform.heartbeat.alertmanagerRoute.repeatInterval }}"}

                """)
            #expect(run.status("platform") == .passed, "\(run.error("platform") ?? "")")
            #expect(run.output("platform", "periodSeconds") == .int(60))
            #expect(run.output("platform", "longestHealthyGapSeconds") == .int(100))
            #expect(run.lines("platform").first == "group_interval 30s, repeat_interval 50s: a heartbeat every 1m")
            #expect(run.lines("platform").contains("longest healthy gap 1m40s; the monitor calls the check down after 15m (period 5m + grace 10m)"))
            #expect(run.status("loaded") == .passed, "\(run.error("loaded") ?? "")")
            #expect(run.output("loaded", "periodSeconds") == .int(4))
            #expect(run.lines("loaded").contains("note: the loaded config has 2s / 3s; the platform profile says 30s / 50s"), "\(run.lines("loaded"))")
            #expect(run.lines("loaded").contains { $0.hasPrefix("the monitor saw ") && $0.hasSuffix("(expected 4s)") }, "\(run.lines("loaded"))")
            if case let .int(longest)? = run.output("loaded", "observedLongestSeconds") { #expect(longest >= 2 && longest < 180) } else { Issue.record("no observedLongestSeconds") }
        }
    }

    @Test("a heartbeat route whose real period outlasts the monitor fails, saying when the monitor calls the check down")
    func cadenceTooSlow() async throws {
        try await withAlertStack { stack in
            let run = try await Self.run("""
                  - id: slow
                    title: A slow route
                    uses: alertmanager.heartbeatCadence
                    with: {groupInterval: 5m, repeatInterval: 12h}
                """, stack, name: "slow")
            #expect(run.status("slow") == .failed)
            #expect(run.error("slow") == "the heartbeat route: heartbeats go out every 12h5m (group_interval 5m, repeat_interval 12h); a gap of up to 12h10m10s is healthy, but the monitor calls the check down after 15m")
        }
    }
}
