import DRBookAlerting
import DRBookKube
import Foundation
import Testing

@Suite("How far apart heartbeats go out: cron schedules and Alertmanager routes")
struct HeartbeatScheduleTests {
    @Test("cron schedules: every 5 minutes, hourly, a business-hours job, and bad fields")
    func cron() throws {
        #expect(try CronSchedule("*/5 * * * *").longestGap() == 300)
        #expect(try CronSchedule("@hourly").longestGap() == 3_600)
        #expect(try CronSchedule("17 2 * * *").longestGap() == 86_400)
        // Weekdays 9–17 on the hour: Friday 17:00 to Monday 09:00.
        #expect(try CronSchedule("0 9-17 * * MON-FRI").longestGap() == 64 * 3_600)
        #expect(try CronSchedule("0,30 * * * *").longestGap() == 1_800)
        // Both day fields restricted: a day matching either fires (the 1st, and every Sunday).
        #expect(try CronSchedule("0 0 1 * SUN").fires(at: Date(timeIntervalSince1970: 1_764_547_200)))  // Mon 2025-12-01 00:00 UTC
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("*/5 * * *") }
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("61 * * * *") }
        #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("*/0 * * * *") }
    }

    @Test("the route to the heartbeat receiver inherits the timings it does not set")
    func routeTimings() throws {
        let config = try AlertmanagerConfig(yaml: """
            route:
              receiver: slack
              group_interval: 5m
              repeat_interval: 12h
              routes:
                - matchers: ['alertname="Watchdog"']
                  receiver: heartbeat
                  repeat_interval: 50s
                  group_interval: 30s
                - matchers: ['severity="warning"']
                  receiver: slack-warnings
                  repeat_interval: 24h
            receivers:
              - name: heartbeat
                webhook_configs: [{url: "<secret>"}]
            """, source: "test")
        #expect(config.cadence(toReceiver: "heartbeat")?.period == PrometheusDuration(seconds: 60))
        #expect(config.cadence(toReceiver: "slack-warnings") == HeartbeatCadence(groupInterval: PrometheusDuration(seconds: 300), repeatInterval: PrometheusDuration(seconds: 86_400)))
        #expect(config.cadence(toReceiver: "nobody") == nil)
        #expect(config.receivers["heartbeat"]?.first?.isMasked == true)
    }
}
