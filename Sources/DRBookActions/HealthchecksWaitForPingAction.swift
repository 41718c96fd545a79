import DRBookKube
import DRBookAlerting
import DRBookRunbook
import Foundation

/// `healthchecks.waitForPing`: waits until the monitor records a ping newer than a given time.
struct HealthchecksWaitForPingAction: Action {
    static let descriptor = ActionDescriptor(
        name: "healthchecks.waitForPing",
        summary: "Wait until the heartbeat monitor records a ping newer than a given time — \"heartbeat resumed\" — and measure the delay.",
        inputs: AlertPathInputs.monitor + [
            InputSpec("after", .time, description: "The ping must be newer than this, e.g. ${{ steps.restore.outputs.finishedAt }}. Default: when the step starts."),
            InputSpec("timeout", .duration, description: "How long to wait. Default: the platform profile's monitor period + grace."),
            InputSpec("pollInterval", .duration, description: "How often to ask the monitor. Default: 10s (hosted healthchecks asks for at most 100 requests a minute)."),
            InputSpec("metric", .string, description: "The name of the metric the delay is emitted as. Default: heartbeat_resume_seconds."),
        ],
        outputs: [
            OutputSpec("pingAt", .time, description: "When the first ping after 'after' arrived."),
            OutputSpec("delaySeconds", .int, description: "Seconds from 'after' to that ping."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Polls the check the heartbeat URL pings through the monitor's Management API (never \
            the ping URL: any request to it is a ping) until a success ping newer than `after` \
            is recorded, with progress while it waits, then logs "heartbeat resumed" and emits \
            the delay from `after` to that ping as a metric for the report. With a read-write \
            key the pings list is read (microsecond times, success pings only); a read-only key \
            sees only `last_ping`, in whole seconds, so a ping in the same second as `after` \
            counts. It serves every heartbeat source: whatever pings — Alertmanager or a \
            CronJob whose Jobs succeed even when curl fails — only the monitor's record says \
            the heartbeat is back. It fails when `timeout` passes without such a ping.
            """)

    let environment: ActionEnvironment

    static let defaultPoll = Duration.seconds(10)
    static let defaultMetric = "heartbeat_resume_seconds"

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let started = context.now()
        let after = inputs.time("after") ?? started
        let timeout: TimeInterval
        if let given = inputs.duration("timeout") {
            timeout = given.seconds
        } else {
            let times = try AlertPathInputs.monitorTimes(inputs, environment)
            timeout = times.period + times.grace
        }
        let poll = inputs.duration("pollInterval") ?? Self.defaultPoll
        let (client, pingURL) = try await AlertPathInputs.monitor(inputs, environment, context)
        let subject = "check \(pingURL)"
        context.log("waiting up to \(PrometheusDuration(seconds: timeout)) for a ping newer than \(KubeJSON.formatTime(after))")
        while true {
            if let ping = try await newestPing(client, pingURL), ping > after || (client.keyKind == .readOnly && ping >= after.addingTimeInterval(-1)) {
                let delay = max(0, ping.timeIntervalSince(after))
                context.log("heartbeat resumed: ping at \(KubeJSON.formatTime(ping)), \(Int(delay.rounded())) s after \(KubeJSON.formatTime(after))")
                context.metric(inputs.string("metric") ?? Self.defaultMetric, delay, unit: "s")
                return ["pingAt": .time(ping), "delaySeconds": .int(Int(delay.rounded()))]
            }
            let waited = context.now().timeIntervalSince(started)
            guard waited < timeout else {
                throw ActionError("no ping newer than \(KubeJSON.formatTime(after)) in \(PrometheusDuration(seconds: timeout)): the heartbeat has not resumed", subject: subject,
                                  fix: "check the heartbeat source (alertmanager.alertActive, alertmanager.notificationsHealthy, or heartbeat.cronJobScheduled), then wait again")
            }
            context.progress(ActionProgress(fraction: waited / timeout, message: "waiting for the heartbeat to resume (\(Int(waited)) s)"))
            try await context.sleep(for: min(poll, .milliseconds(Int(max(0.1, timeout - waited) * 1000))))
        }
    }

    /// The newest success ping: from the pings list with a read-write key, else `last_ping`.
    private func newestPing(_ client: HealthchecksClient, _ pingURL: HealthchecksPingURL) async throws(ActionError) -> Date? {
        do {
            let check = try await client.check(pingedBy: pingURL)
            if client.keyKind != .readOnly, let uuid = check.uuid {
                return try await client.pings(uuid: uuid).filter { $0.type == "success" }.map(\.date).max()
            }
            return check.lastPing
        } catch {
            throw ActionError.alerting(error)
        }
    }
}
