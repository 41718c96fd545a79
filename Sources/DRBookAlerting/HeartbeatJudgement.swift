import DRBookDigest
import Foundation

/// The verdicts on the heartbeat's path. Each takes what was read and returns what passed,
/// or throws the problem with its fix; none does I/O, so each reads as the rule it checks.
public enum HeartbeatJudgement {
    /// The always-firing alert is in Alertmanager, active (not silenced, inhibited or muted)
    /// and routed by the current tree to the heartbeat receiver.
    public static func alertActive(_ alerts: [AlertmanagerAlert], alertname: String, receiver: String,
                                   at endpoint: String) throws(AlertPathProblem) -> AlertmanagerAlert {
        let subject = "alert \(alertname) in Alertmanager (\(endpoint))"
        guard let alert = alerts.first(where: { $0.name == alertname }) else {
            throw AlertPathProblem("is not there: Alertmanager holds no \(alertname) alert", subject: subject,
                                   fix: "check that Prometheus fires the rule and sends to this Alertmanager (prometheus.ruleFiring; Prometheus' /api/v1/alertmanagers)")
        }
        if alert.isSilenced {
            throw AlertPathProblem("is silenced (by \(alert.status.silencedBy.joined(separator: ", "))): no heartbeat goes out", subject: subject,
                                   fix: "expire the silence (`amtool silence expire \(alert.status.silencedBy.joined(separator: " "))`), or wait for it to end")
        }
        if alert.isInhibited {
            throw AlertPathProblem("is inhibited (by alerts \(alert.status.inhibitedBy.joined(separator: ", "))): no heartbeat goes out", subject: subject,
                                   fix: "correct the inhibit_rules so that nothing inhibits \(alertname)")
        }
        if alert.isMuted {
            throw AlertPathProblem("is muted by a time interval (\((alert.status.mutedBy ?? []).joined(separator: ", "))): no heartbeat goes out", subject: subject,
                                   fix: "remove mute_time_intervals from the route of \(alertname)")
        }
        guard alert.isActive else {
            throw AlertPathProblem("is \(alert.status.state), not active", subject: subject, fix: "wait for Alertmanager to process it, then retry")
        }
        let routed = alert.receivers.map(\.name)
        guard routed.contains(receiver) else {
            throw AlertPathProblem("is routed to \(routed.isEmpty ? "no receiver" : routed.joined(separator: ", ")), not to \(receiver)", subject: subject,
                                   fix: "route alertname=\"\(alertname)\" to receiver \(receiver) ahead of any route that matches it first, with continue: false")
        }
        return alert
    }

    /// Two scrapes of Alertmanager's counters: at least `minimumSent` notifications of the
    /// integration succeeded between them and none failed.
    public static func notificationsHealthy(before: NotificationCounters, after: NotificationCounters, window: TimeInterval,
                                            integration: String, receiver: String, minimumSent: Int) throws(AlertPathProblem) -> (sent: Int, failed: Int) {
        // A restarted Alertmanager starts its counters again at 0.
        let restarted = after.attempted < before.attempted || after.failed < before.failed
        let attempted = Int(restarted ? after.attempted : after.attempted - before.attempted)
        let failed = Int(restarted ? after.failed : after.failed - before.failed)
        let sent = max(0, attempted - failed)
        let scope = after.perReceiver ? "receiver \(receiver)'s \(integration) notifications" : "\(integration) notifications (all receivers: this Alertmanager does not label them by receiver)"
        let subject = "Alertmanager's \(scope)"
        let seconds = Int(window.rounded())
        if failed > 0 {
            var reasons: [String] = []
            if restarted {
                reasons = after.failedByReason.filter { $0.value > 0 }.map { "\($0.key) \(Int($0.value))" }.sorted()
            } else {
                for (reason, count) in after.failedByReason where count - (before.failedByReason[reason] ?? 0) > 0 {
                    reasons.append("\(reason) \(Int(count - (before.failedByReason[reason] ?? 0)))")
                }
                reasons.sort()
            }
            throw AlertPathProblem("\(failed) of \(attempted) failed in \(seconds) s" + (reasons.isEmpty ? "" : " (\(reasons.joined(separator: ", ")))"),
                                   subject: subject,
                                   fix: "read Alertmanager's log for 'Notify for alerts failed' and check that the monitor's host is reachable from the cluster (DNS, egress policy)")
        }
        guard sent >= minimumSent else {
            throw AlertPathProblem("\(sent) succeeded in \(seconds) s; expected at least \(minimumSent)", subject: subject,
                                   fix: "check that the heartbeat alert is active and routed to \(receiver) (alertmanager.alertActive), or give a window longer than the heartbeat's period")
        }
        return (sent, failed)
    }

    /// The URL a receiver (or a CronJob) really uses is git's, compared by SHA-256, and not a
    /// value that means "never set". `candidates` are secret: only digests are ever shown.
    public static func urlIsGits(_ candidates: [String], gitDigest: String, placeholders: [String], subject: String,
                                 fix: String) throws(AlertPathProblem) -> String {
        guard !candidates.isEmpty else {
            throw AlertPathProblem("holds no URL", subject: subject, fix: fix)
        }
        if candidates.contains(where: { SHA256Digest.hex(of: $0) == gitDigest }) { return gitDigest }
        if let placeholder = candidates.first(where: placeholders.contains) {
            throw AlertPathProblem("holds the placeholder \(placeholder): the heartbeat reaches nobody", subject: subject, fix: fix)
        }
        let digests = candidates.map { String(SHA256Digest.hex(of: $0).prefix(12)) + "…" }
        throw AlertPathProblem("holds a URL that is not git's (sha256 \(digests.joined(separator: ", ")); git's \(gitDigest.prefix(12))…)", subject: subject, fix: fix)
    }

    /// How the heartbeat's real period fits the monitor: the longest healthy gap must end
    /// before the monitor calls the check down (period + grace).
    public static func cadenceFits(_ cadence: HeartbeatCadence, monitorPeriod: TimeInterval, monitorGrace: TimeInterval,
                                   subject: String) throws(AlertPathProblem) {
        let gap = cadence.longestHealthyGap().seconds
        guard gap < monitorPeriod + monitorGrace else {
            throw AlertPathProblem("heartbeats go out every \(cadence.period) (group_interval \(cadence.groupInterval), repeat_interval \(cadence.repeatInterval)); a gap of up to \(PrometheusDuration(seconds: gap)) is healthy, but the monitor calls the check down after \(PrometheusDuration(seconds: monitorPeriod + monitorGrace))",
                                   subject: subject,
                                   fix: "choose repeat_interval slightly below a multiple of group_interval and well below the monitor's period (e.g. group_interval 30s, repeat_interval 50s → every 60s)")
        }
    }

    /// The intervals between the monitor's success pings, oldest first; the longest must
    /// end before the monitor calls the check down.
    public static func observedIntervals(_ pings: [HealthchecksPing]) -> [TimeInterval] {
        let dates = pings.filter { $0.type == "success" }.map(\.date).sorted()
        return zip(dates, dates.dropFirst()).map { $1.timeIntervalSince($0) }
    }
}
