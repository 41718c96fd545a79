import DRBookAlerting
import DRBookHTTP
import DRBookTestSupport
import Foundation
import Testing

@Suite("The alert path against Debian's Prometheus and Alertmanager and the simulated healthchecks", .serialized, .timeLimit(.minutes(3)))
struct AlertPathTests {
    @Test("Watchdog fires in Prometheus, is active in Alertmanager routed to heartbeat, and its pings reach the monitor")
    func watchdogReachesTheMonitor() async throws {
        try await withAlertStack { stack in
            let alertmanager = AlertmanagerClient(endpoint: .url(stack.alertmanager.baseURL))
            let prometheus = PrometheusClient(endpoint: .url(stack.prometheus.baseURL))

            // Prometheus: the rule, the firing alert, ALERTS, and where it sends alerts.
            let firing = try await eventually({ try await prometheus.alerts() }, until: { $0.contains { $0.labels["alertname"] == "Watchdog" && $0.state == "firing" } })
            #expect(firing.contains { $0.labels["alertname"] == "Watchdog" && $0.state == "firing" && $0.value == "1e+00" })
            let rule = try #require(try await prometheus.ruleGroups(type: "alert").flatMap(\.rules).first { $0.name == "Watchdog" })
            #expect(rule.type == "alerting" && rule.health == "ok" && rule.query == "vector(1)")
            let series = try await eventually({ try await prometheus.query(#"ALERTS{alertname="Watchdog",alertstate="firing"}"#) }, until: { !$0.isEmpty })
            #expect(series.count == 1 && series.first?.value == 1)
            let targets = try await eventually({ try await prometheus.alertmanagers() }, until: { !$0.activeAlertmanagers.isEmpty })
            #expect(targets.activeAlertmanagers.map(\.url) == ["http://127.0.0.1:\(stack.alertmanager.port)/api/v2/alerts"])

            // Alertmanager: active, routed to heartbeat by the current routing tree.
            let alerts = try await eventually({ try await alertmanager.alerts(.alertname("Watchdog")) }, until: { !$0.isEmpty })
            let watchdog = try #require(alerts.first)
            #expect(watchdog.isActive && !watchdog.isSilenced && !watchdog.isInhibited)
            #expect(watchdog.receivers.map(\.name) == ["heartbeat"])
            #expect(watchdog.fingerprint.count == 16)
            #expect(watchdog.endsAt > watchdog.startsAt)
            let status = try await alertmanager.status()
            #expect(status.cluster.status == "disabled")
            #expect(status.versionInfo.version.hasPrefix("0.25"))
            #expect(status.config.original.contains("receiver: heartbeat"))
            #expect(Set(try await alertmanager.receivers().map(\.name)) == ["slack", "heartbeat"])

            // The monitor: POSTs from Alertmanager, seen through the Management API only.
            let uuid = try #require(await stack.monitor.uuid(of: "watchdog"))
            let healthchecks = HealthchecksClient(apiBase: stack.monitor.apiURL, apiKey: stack.monitor.keys.readWrite)
            let pingURL = try #require(HealthchecksPingURL(stack.pingURL.absoluteString))
            #expect(pingURL.target == .uuid(uuid))
            #expect(!pingURL.description.contains(uuid))
            let check = try await eventually({ try await healthchecks.check(pingedBy: pingURL) }, until: { $0.nPings >= 2 })
            #expect(check.status == "up")
            #expect(check.uuid == uuid)
            #expect(check.timeout == 60 && check.grace == 120)
            #expect(check.downAfter.map { $0 > Date() } == true)
            let pings = try await healthchecks.pings(uuid: uuid)
            #expect(pings.count >= 2)
            #expect(pings.allSatisfy { $0.type == "success" && $0.method == "POST" && ($0.ua ?? "").hasPrefix("Alertmanager/") })
            #expect(zip(pings, pings.dropFirst()).allSatisfy { $0.date >= $1.date }, "newest first")

            // Alertmanager's own counters: heartbeat notifications sent, none failed.
            let metrics = try await alertmanager.metrics()
            let webhook = metrics.notifications(integration: "webhook", receiver: "heartbeat")
            // Counted, and consistent. Failures are not pinned to 0: when the whole suite runs,
            // the in-process monitor can be starved past Alertmanager's 10 s send deadline, and
            // then a ping it did record counts as a failed send.
            #expect(webhook.attempted >= 1)
            #expect(webhook.failed <= webhook.attempted)
            #expect(webhook.failedByReason.values.reduce(0, +) == webhook.failed)
            #expect(!webhook.perReceiver, "0.25 has no receiver_name label")
            #expect(metrics.alertmanagerLastReloadSuccessful == true)
            #expect(metrics.alertmanagerConfigHash != nil)
        }
    }

    @Test("a silence suppresses Watchdog and expiring it lists it as expired")
    func silence() async throws {
        try await withAlertStack { stack in
            let alertmanager = AlertmanagerClient(endpoint: .url(stack.alertmanager.baseURL))
            _ = try await eventually({ try await alertmanager.alerts(.alertname("Watchdog")) }, until: { !$0.isEmpty })

            let watchdog = AlertmanagerMatcher(name: "alertname", value: "Watchdog")
            let id = try await alertmanager.createSilence(AlertmanagerSilenceRequest(
                matchers: [watchdog], startsAt: Date(), endsAt: Date().addingTimeInterval(600), createdBy: "drbook tests", comment: "silence test"))
            let suppressed = try await eventually({ try await alertmanager.alerts(.alertname("Watchdog")) },
                                                  until: { $0.first?.status.state == "suppressed" })
            #expect(suppressed.first?.status.silencedBy == [id])
            var unsilenced = AlertmanagerAlertQuery.alertname("Watchdog")
            unsilenced.silenced = false
            #expect(try await alertmanager.alerts(unsilenced).isEmpty)

            try await alertmanager.expireSilence(id: id)
            let silences = try await alertmanager.silences(matching: [watchdog])
            #expect(silences.first { $0.id == id }?.status.state == "expired")
            #expect(try await alertmanager.silences().first { $0.id == id }?.comment == "silence test")
        }
    }

    @Test("a heartbeat receiver pointing at a dead port shows as failed webhook notifications")
    func deadReceiver() async throws {
        try await withAlertStack(heartbeatURL: URL(string: "http://127.0.0.1:\(closedPort())/ping/dead")!) { stack in
            let alertmanager = AlertmanagerClient(endpoint: .url(stack.alertmanager.baseURL))
            let counters = try await eventually(seconds: 60, { try await alertmanager.metrics().notifications(integration: "webhook") },
                                                until: { $0.failed >= 1 })
            #expect(counters.failed >= 1)
            #expect(counters.attempted >= counters.failed)
            #expect(await stack.monitor.pings(of: "watchdog").isEmpty)
        }
    }

    @Test("errors name the system, the request and what to do: Prometheus' bad_data, a 404, a dead endpoint")
    func errors() async throws {
        try await withAlertStack { stack in
            let prometheus = PrometheusClient(endpoint: .url(stack.prometheus.baseURL))
            let bad = await #expect(throws: AlertingAPIError.self) { try await prometheus.query("sum(") }
            #expect(bad?.system == "Prometheus")
            #expect(bad?.message.hasPrefix("bad_data:") == true)
            #expect(bad?.description.contains("GET /api/v1/query on http://127.0.0.1:\(stack.prometheus.port)") == true)

            // Alertmanager's API asked of Prometheus: a 404 with the route-prefix hint.
            let wrong = AlertmanagerClient(endpoint: .url(stack.prometheus.baseURL))
            let notFound = await #expect(throws: AlertingAPIError.self) { try await wrong.status() }
            #expect(notFound?.status == 404)
            #expect(notFound?.fix.contains("route prefix") == true)

            let dead = AlertmanagerClient(endpoint: .url(URL(string: "http://127.0.0.1:\(closedPort())")!),
                                          timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(5)))
            let refused = await #expect(throws: AlertingAPIError.self) { try await dead.alerts() }
            #expect(refused?.message.contains("connecting failed") == true, "\(String(describing: refused))")
        }
    }
}
