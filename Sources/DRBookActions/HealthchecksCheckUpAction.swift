import DRBookKube
import DRBookAlerting
import DRBookRunbook
import Foundation

/// `healthchecks.checkUp`: the monitor's check of the heartbeat is up.
struct HealthchecksCheckUpAction: Action {
    static let descriptor = ActionDescriptor(
        name: "healthchecks.checkUp",
        summary: "Check that the heartbeat monitor's check (healthchecks.io or self-hosted) is up, read through its Management API without pinging.",
        inputs: AlertPathInputs.monitor + [
            InputSpec("monitorPeriod", .duration, description: "The period the check should have. Default: the platform profile's."),
            InputSpec("monitorGrace", .duration, description: "The grace the check should have. Default: the platform profile's."),
        ],
        outputs: [
            OutputSpec("status", .string, description: "The check's status: up (the step fails on new, grace, down or paused)."),
            OutputSpec("lastPing", .time, description: "When the check last received a success ping."),
            OutputSpec("pings", .int, description: "How many pings the check has received in all."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Finds the check the heartbeat URL pings — by its UUID (or, with a read-only key, the \
            unique_key derived from it) or by slug — and reads it with `GET /api/v3/checks/…`. \
            The ping URL itself is never requested: healthchecks records any request to it, \
            even a HEAD, as a ping. The step passes when the check is `up`; `new` (never pinged), \
            `grace` (late: the next ping is overdue), `down` and `paused` (nobody is alerted) \
            each fail with what to do. It serves every heartbeat source (an Alertmanager route, \
            a CronJob): the monitor is the only judge of whether pings arrive. The check's \
            period and grace are logged beside the platform profile's, with a note when they \
            differ. The key is a secret: give it from the environment (HEALTHCHECKS_API_KEY).
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let (client, pingURL) = try await AlertPathInputs.monitor(inputs, environment, context)
        let check: HealthchecksCheck
        do {
            check = try await client.check(pingedBy: pingURL)
        } catch {
            throw ActionError.alerting(error)
        }
        let subject = "check \"\(check.name)\" (\(pingURL))"
        if let times = try? AlertPathInputs.monitorTimes(inputs, environment), let timeout = check.timeout {
            context.log("the check expects a ping every \(PrometheusDuration(seconds: Double(timeout))) with \(PrometheusDuration(seconds: Double(check.grace))) grace")
            if Double(timeout) != times.period || Double(check.grace) != times.grace {
                context.log("note: the platform profile says period \(PrometheusDuration(seconds: times.period)), grace \(PrometheusDuration(seconds: times.grace))")
            }
        }
        let last = check.lastPing.map { "last ping at \(KubeJSON.formatTime($0))" } ?? "no ping yet"
        switch check.status {
        case "up":
            context.log("\(subject) is up, \(last), \(check.nPings) ping(s) in all")
        case "new":
            throw ActionError("has never received a ping", subject: subject,
                              fix: "check the heartbeat source (alertmanager.alertActive and alertmanager.configHasReceiver, or heartbeat.cronJobScheduled) and that the URL in git is this check's ping URL")
        case "grace":
            throw ActionError("is late (\(last)): the next ping is overdue and the monitor alerts at the end of the grace time", subject: subject,
                              fix: "find why the heartbeat stopped: its source, then healthchecks.waitForPing")
        case "down":
            throw ActionError("is down (\(last)): the monitor has alerted that the heartbeat stopped", subject: subject,
                              fix: "restore the heartbeat source, then wait for it with healthchecks.waitForPing")
        case "paused":
            throw ActionError("is paused (\(last)): the monitor alerts nobody when pings stop", subject: subject,
                              fix: check.manualResume == true ? "resume it in the monitor's UI: pings do not resume it (manual_resume)"
                                  : "resume it in the monitor's UI, or let the next ping resume it")
        default:
            throw ActionError("has status \(check.status)", subject: subject, fix: "look at the check in the monitor's UI")
        }
        var outputs: ActionOutputs = ["status": .string(check.status), "pings": .int(check.nPings)]
        if let lastPing = check.lastPing { outputs["lastPing"] = .time(lastPing) }
        return outputs
    }
}
