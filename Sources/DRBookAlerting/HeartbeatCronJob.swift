import DRBookKube
import Foundation

/// A CronJob that pings the heartbeat monitor, judged from the cluster alone: it exists, is
/// not suspended, runs often enough for the monitor, ran recently, and was rendered with
/// git's URL. Its Jobs' success proves nothing (the platform's command ends in `|| true`),
/// so whether pings arrive is only ever judged from the monitor.
public struct HeartbeatCronJob: Sendable {
    public let cronJob: CronJob
    public let schedule: CronSchedule
    public var subject: String { "cronjob \(cronJob.metadata.reference)" }

    public init(_ cronJob: CronJob) throws(AlertPathProblem) {
        self.cronJob = cronJob
        do {
            schedule = try CronSchedule(cronJob.spec.schedule)
        } catch {
            throw AlertPathProblem("has a \(error) that drbook cannot read", subject: "cronjob \(cronJob.metadata.reference)",
                                   fix: "write the schedule as five cron fields, e.g. \"*/5 * * * *\"")
        }
    }

    /// The longest time between two runs.
    public var longestGap: TimeInterval { schedule.longestGap() }

    /// How long one run may take before its ping goes out at the latest (the Job's deadline).
    public var runAllowance: TimeInterval { TimeInterval(cronJob.spec.jobTemplate.spec?.activeDeadlineSeconds ?? 0) }

    public func notSuspended() throws(AlertPathProblem) {
        guard !cronJob.isSuspended else {
            throw AlertPathProblem("is suspended: no Job runs, so no ping goes out", subject: subject,
                                   fix: "resume it (`kubectl -n \(cronJob.metadata.namespace ?? "") patch cronjob \(cronJob.metadata.name) -p '{\"spec\":{\"suspend\":false}}'`) and find out why it was suspended; if Flux manages it, its manifest must not say suspend: true")
        }
    }

    /// The schedule's longest gap, plus one run, must end before the monitor calls the check down.
    public func scheduleFits(monitorPeriod: TimeInterval, monitorGrace: TimeInterval) throws(AlertPathProblem) -> [String] {
        let worst = longestGap + runAllowance
        guard worst < monitorPeriod + monitorGrace else {
            throw AlertPathProblem("runs on \"\(schedule)\", up to \(Self.span(longestGap)) apart (plus up to \(Self.span(runAllowance)) for one run); the monitor calls the check down after \(Self.span(monitorPeriod + monitorGrace)) (period \(Self.span(monitorPeriod)) + grace \(Self.span(monitorGrace)))",
                                   subject: subject, fix: "run it at least every \(Self.span(monitorPeriod)) (e.g. \"*/5 * * * *\"), or lengthen the check's period in the monitor")
        }
        var notes: [String] = []
        if longestGap > monitorPeriod {
            notes.append("runs up to \(Self.span(longestGap)) apart, longer than the monitor's period \(Self.span(monitorPeriod)): every ping lands in the grace time (shown as late)")
        }
        return notes
    }

    /// The controller's last scheduled run must be no older than one gap (plus `slack`).
    public func scheduledRecently(now: Date, slack: TimeInterval = 60) throws(AlertPathProblem) -> Date {
        guard let last = cronJob.status?.lastScheduleTime else {
            throw AlertPathProblem("has never been scheduled (no status.lastScheduleTime)", subject: subject,
                                   fix: "check that the CronJob controller runs (kube-controller-manager) and that the schedule has come round; `kubectl -n \(cronJob.metadata.namespace ?? "") get events --field-selector involvedObject.name=\(cronJob.metadata.name)`")
        }
        let age = now.timeIntervalSince(last)
        let bound = longestGap + TimeInterval(cronJob.spec.startingDeadlineSeconds ?? 0) + slack
        guard age <= bound else {
            throw AlertPathProblem("was last scheduled \(Self.ago(age)) ago, at \(KubeJSON.formatTime(last)); on \"\(schedule)\" it should have run within \(Self.span(longestGap))",
                                   subject: subject,
                                   fix: "read its events (`kubectl -n \(cronJob.metadata.namespace ?? "") describe cronjob \(cronJob.metadata.name)`): a missed startingDeadlineSeconds, a Forbid policy behind a stuck Job, or the controller down")
        }
        return last
    }

    /// The URLs its containers' commands, arguments and literal env values hold, as Flux
    /// rendered them; and any `${variable…}` Flux left unsubstituted.
    public func renderedURLs() -> (urls: [String], unsubstituted: [String]) {
        var texts: [String] = []
        for container in cronJob.containers {
            texts += (container.command ?? []) + (container.args ?? []) + (container.env ?? []).compactMap(\.value)
        }
        var urls: [String] = [], unsubstituted: [String] = []
        for text in texts {
            for match in text.matches(of: /\$\{[A-Za-z_][A-Za-z0-9_]*[^}]*\}/) { unsubstituted.append(String(match.output)) }
            for match in text.matches(of: /https?:\/\/[^\s"'`|;&<>(){}]+/) { urls.append(String(match.output)) }
        }
        return (urls, unsubstituted)
    }

    static func span(_ seconds: TimeInterval) -> String { PrometheusDuration(seconds: seconds).description }

    /// An age as a person reads it: past ten minutes, seconds are noise.
    static func ago(_ seconds: TimeInterval) -> String {
        span(seconds >= 600 ? (seconds / 60).rounded() * 60 : seconds)
    }
}
