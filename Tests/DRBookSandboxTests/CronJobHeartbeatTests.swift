import DRBookKube
@testable import DRBookSandbox
import Foundation
import Testing

/// The simulated CronJob controller feeding the simulated heartbeat monitor, as the
/// platform's `cluster-heartbeat` CronJob feeds the real one (reference/platform-head.md §2):
/// on its schedule, through drbook's client against the sandbox over HTTPS, the clock moved by hand.
@Suite("Sandbox CronJobs run on their schedule and ping the heartbeat monitor", .timeLimit(.minutes(2)))
struct CronJobHeartbeatTests {
    static let cronJobs = GroupResource(group: "batch", resource: "cronjobs")
    static let jobs = GroupResource(group: "batch", resource: "jobs")

    /// A CronJob as the platform's: every 5 minutes, `curl ... "<url>" || true`.
    static func cronJob(_ name: String, url: String, suspend: Bool = false) -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "CronJob",
         "metadata": ["name": .string(name), "namespace": "monitoring"],
         "spec": ["schedule": "*/5 * * * *", "suspend": .bool(suspend), "concurrencyPolicy": "Forbid",
                  "jobTemplate": ["spec": ["backoffLimit": 0, "template": ["spec": [
                      "restartPolicy": "Never",
                      "containers": [["name": "heartbeat", "image": "curlimages/curl",
                                      "command": ["/bin/sh", "-c", .string("curl -sf --max-time 10 \"\(url)\" || true")]]],
                  ]]]]]]
    }

    @Test("a CronJob whose command curls the monitor's ping URL pings it once per firing; a suspended one, and one with another URL, never do (their Job still succeeds: || true)")
    func pingsOnSchedule() async throws {
        // 12:03:30 UTC: the next */5 firing is 12:05.
        let clock = HeartbeatMonitorTests.ManualClock(Date(timeIntervalSince1970: 1_789_999_200 + 210))
        let check = HeartbeatCheckConfig(name: "cluster-heartbeat", timeout: 300, grace: 600, tags: "", desc: "")
        let monitor = try await HeartbeatMonitor.start(checks: [check], clock: clock.clock)
        defer { Task { await monitor.stop() } }
        let url = try #require(await monitor.pingURL(for: "cluster-heartbeat")).absoluteString
        let controller = CronJobController(clock: clock.clock, interval: .milliseconds(50))
        try await withClients(controllers: [controller]) { _, _, sandbox in
            let store = sandbox.store
            _ = try await store.create(Self.cronJobs, namespace: "monitoring", Self.cronJob("heartbeat", url: url))
            _ = try await store.create(Self.cronJobs, namespace: "monitoring", Self.cronJob("suspended", url: url, suspend: true))
            _ = try await store.create(Self.cronJobs, namespace: "monitoring",
                                       Self.cronJob("unrendered", url: "${alertmanager_heartbeat_url:=https://example.invalid/no-heartbeat-configured}"))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await store.list(Self.jobs, namespace: "monitoring").items.isEmpty, "a Job ran before its schedule fired")
            #expect(await monitor.pings(of: "cluster-heartbeat").isEmpty)

            clock.advance(120)  // 12:05:30
            _ = try await store.waitFor(Self.jobs, namespace: "monitoring", name: "heartbeat-\(Int((clock.now.timeIntervalSince1970 - 30) / 60))",
                                              timeout: .seconds(10)) { $0?[path: ["status", "succeeded"]]?.intValue == 1 }
            #expect(await monitor.pings(of: "cluster-heartbeat").count == 1)
            let heartbeat = try await store.get(Self.cronJobs, namespace: "monitoring", name: "heartbeat")
            #expect(heartbeat[path: ["status", "lastScheduleTime"]]?.stringValue == KubeJSON.formatTime(clock.now.addingTimeInterval(-30)))
            #expect(heartbeat[path: ["status", "lastSuccessfulTime"]]?.stringValue != nil)

            // The unrendered URL's Job succeeds (|| true) but nothing reached the monitor; the suspended one made no Job.
            let unrendered = try await store.waitFor(Self.jobs, namespace: "monitoring", name: "unrendered-\(Int((clock.now.timeIntervalSince1970 - 30) / 60))",
                                                     timeout: .seconds(10)) { $0?[path: ["status", "succeeded"]]?.intValue == 1 }
            #expect(unrendered != nil)
            let names = try await store.list(Self.jobs, namespace: "monitoring").items.map { $0[path: ["metadata", "name"]]?.stringValue ?? "" }
            #expect(!names.contains { $0.hasPrefix("suspended-") }, "\(names)")

            // Five more minutes: one more ping, not one per tick.
            try await Task.sleep(for: .milliseconds(300))
            #expect(await monitor.pings(of: "cluster-heartbeat").count == 1)
            clock.advance(300)
            _ = try await store.waitFor(Self.jobs, namespace: "monitoring", name: "heartbeat-\(Int((clock.now.timeIntervalSince1970 - 30) / 60))",
                                        timeout: .seconds(10)) { $0?[path: ["status", "succeeded"]]?.intValue == 1 }
            #expect(await monitor.pings(of: "cluster-heartbeat").count == 2)
        }
    }
}
