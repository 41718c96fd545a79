import DRBookAlerting
import Foundation
import Testing

@Suite("Prometheus' text exposition format")
struct MetricsTextTests {
    @Test("samples with labels, escapes, special values and timestamps; comments skipped")
    func parse() throws {
        let snapshot = try MetricsSnapshot(parsing: """
            # HELP alertmanager_notifications_total The total number of attempted notifications.
            # TYPE alertmanager_notifications_total counter
            alertmanager_notifications_total{integration="webhook"} 12
            alertmanager_notifications_total{integration="slack"} 3
            alertmanager_notifications_failed_total{integration="webhook",reason="serverError"} 2
            alertmanager_notifications_failed_total{integration="webhook",reason="clientError"} 1
            alertmanager_config_hash 2.0733946543593e+14
            weird{path="a\\"b\\\\c\\nd",empty=""} +Inf 1700000000000
            up NaN
            """)
        #expect(snapshot.value(of: "alertmanager_config_hash") == 2.0733946543593e14)
        let webhook = snapshot.notifications(integration: "webhook")
        #expect(webhook.attempted == 12 && webhook.failed == 3)
        #expect(webhook.failedByReason == ["serverError": 2, "clientError": 1])
        let weird = try #require(snapshot.samples(named: "weird").first)
        #expect(weird.labels == ["path": "a\"b\\c\nd", "empty": ""])
        #expect(weird.value == .infinity)
        #expect(snapshot.value(of: "up")?.isNaN == true)
    }

    @Test("with receiver_name (Alertmanager 0.27+), the counters narrow to one receiver")
    func perReceiver() throws {
        let snapshot = try MetricsSnapshot(parsing: """
            alertmanager_notifications_total{integration="webhook",receiver_name="heartbeat"} 40
            alertmanager_notifications_total{integration="webhook",receiver_name="other"} 5
            alertmanager_notifications_failed_total{integration="webhook",reason="other",receiver_name="other"} 5
            """)
        let heartbeat = snapshot.notifications(integration: "webhook", receiver: "heartbeat")
        #expect(heartbeat == NotificationCounters(attempted: 40, failed: 0, failedByReason: [:], perReceiver: true))
    }

    @Test("a malformed line is named by line and column")
    func malformed() {
        let error = #expect(throws: MetricsTextError.self) { try MetricsSnapshot(parsing: "ok 1\nbad{label=unquoted} 1\n") }
        #expect(error?.line == 2 && error?.column == 11)
        #expect(error?.description.hasPrefix("metrics line 2, column 11: expected") == true)
    }
}
