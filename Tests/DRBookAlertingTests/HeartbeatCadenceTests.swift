import DRBookAlerting
import Foundation
import Testing

@Suite("The real heartbeat cadence and Prometheus durations")
struct HeartbeatCadenceTests {
    @Test("durations as Alertmanager writes them", arguments: [
        ("30s", 30.0), ("5m", 300), ("1h30m", 5_400), ("12h", 43_200), ("1d", 86_400), ("1w", 604_800),
        ("500ms", 0.5), ("1m30s500ms", 90.5), ("0", 0), ("14m30s", 870),
    ])
    func durations(text: String, seconds: Double) {
        #expect(PrometheusDuration(text)?.seconds == seconds)
    }

    @Test("malformed durations are refused", arguments: ["", "30", "s", "5m5h", "1.5m", "-5m", "5 m", "5mm"])
    func malformed(text: String) {
        #expect(PrometheusDuration(text) == nil)
    }

    // Measured on Alertmanager 0.25 and reported upstream (alerting.md §4).
    @Test("the period is the next group_interval tick after repeat_interval", arguments: [
        ("30s", "50s", 60.0, false),   // the platform: every 60 s, not 50 s
        ("10s", "50s", 60, true),      // exact multiple: RI + GI (0.25 may send at 50 s)
        ("2s", "2s", 4, true),
        ("2s", "3s", 4, false),
        ("2s", "1s", 2, false),        // RI < GI: every GI
        ("5m", "5m", 600, true),       // alertmanager#676
        ("1m", "3m", 240, true),       // alertmanager#917
        ("15m", "20m", 1_800, false),  // alertmanager#2647
        ("1m", "50s", 60, false),
    ])
    func period(groupInterval: String, repeatInterval: String, expected: Double, early: Bool) throws {
        let cadence = HeartbeatCadence(groupInterval: try #require(PrometheusDuration(groupInterval)),
                                       repeatInterval: try #require(PrometheusDuration(repeatInterval)))
        #expect(cadence.period.seconds == expected)
        #expect(cadence.mayFireOneTickEarly == early)
        #expect(cadence.longestHealthyGap().seconds == expected + cadence.groupInterval.seconds + 10)
    }

    @Test("durations print in Alertmanager's form")
    func printing() {
        #expect(PrometheusDuration(seconds: 60).description == "1m")
        #expect(PrometheusDuration(seconds: 5_430).description == "1h30m30s")
        #expect(PrometheusDuration(seconds: 0.5).description == "500ms")
    }
}
