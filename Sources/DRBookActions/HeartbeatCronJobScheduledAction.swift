import DRBookAlerting
import DRBookDigest
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import Foundation

/// `heartbeat.cronJobScheduled`: the CronJob that pings the monitor runs, often enough, with git's URL.
struct HeartbeatCronJobScheduledAction: Action {
    static let descriptor = ActionDescriptor(
        name: "heartbeat.cronJobScheduled",
        summary: "Check the CronJob that pings the heartbeat monitor: it exists, is not suspended, its schedule fits the monitor, it ran recently, and it was rendered with git's URL.",
        inputs: [
            InputSpec("namespace", .string, description: "The CronJob's namespace. Default: the platform profile's heartbeat cronJob."),
            InputSpec("name", .string, description: "The CronJob's name. Default: the platform profile's heartbeat cronJob."),
            InputSpec("monitorPeriod", .duration, description: "The monitor check's period. Default: the platform profile's."),
            InputSpec("monitorGrace", .duration, description: "The monitor check's grace. Default: the platform profile's."),
        ] + AlertPathInputs.gitURL,
        outputs: [
            OutputSpec("lastScheduleTime", .time, description: "When the controller last started a Job of it."),
            OutputSpec("longestGapSeconds", .int, description: "The longest time between two runs of its schedule, in seconds."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads the CronJob through the API and checks, in order: it exists; `spec.suspend` is \
            not true; its schedule's longest gap between runs, plus one run \
            (`activeDeadlineSeconds`), ends before the monitor calls the check down (period + \
            grace; a gap longer than the period alone is noted: every ping lands in grace); \
            `status.lastScheduleTime` is no older than one gap (plus startingDeadlineSeconds and \
            a minute); and the URL in its containers' command, arguments and literal env — as \
            Flux rendered it — is git's heartbeat URL by SHA-256, not the placeholder, with no \
            `${…}` left unsubstituted. URLs are never shown, only digest prefixes. The Jobs' own \
            success is not looked at: the platform's command ends in `|| true`, so a Job \
            succeeds whether or not the ping arrived. Whether the heartbeat arrives, or has \
            resumed, is judged only from the monitor (`healthchecks.checkUp`, \
            `healthchecks.waitForPing`).
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let job: PlatformProfile.CronJob? = if case let .success(profile) = environment.platform, case let .cronJob(job) = profile.heartbeat.source { job } else { nil }
        guard let namespace = inputs.string("namespace") ?? job?.namespace, let name = inputs.string("name") ?? job?.name else {
            throw ActionError("the CronJob is unknown: the platform's heartbeat is not a CronJob", fix: "give namespace and name")
        }
        let (period, grace) = try AlertPathInputs.monitorTimes(inputs, environment)
        let git = try await AlertPathInputs.gitHeartbeatURL(inputs, environment, context)
        let kube = try environment.kube.kubeClient()
        let found: CronJob?
        do {
            found = try await kube.getIfPresent(CronJob.self, name, namespace: namespace)
        } catch {
            throw ActionError.kube(error, doing: "reading the CronJob")
        }
        guard let found else {
            throw ActionError("does not exist: nothing pings the monitor", subject: "cronjob \(namespace)/\(name)",
                              fix: "let Flux apply it (`flux reconcile kustomization <the one that applies it> --with-source`)" + (job?.definedIn.first.map { "; it is defined in \($0)" } ?? ""))
        }
        do {
            let heartbeat = try HeartbeatCronJob(found)
            try heartbeat.notSuspended()
            for note in try heartbeat.scheduleFits(monitorPeriod: period, monitorGrace: grace) { context.log("note: \(note)") }
            if let expected = job?.schedule, name == job?.name, expected != found.spec.schedule {
                context.log("note: it runs on \"\(found.spec.schedule)\"; the platform profile says \"\(expected)\"")
            }
            let last = try heartbeat.scheduledRecently(now: context.now())
            context.log("\(heartbeat.subject) runs on \"\(heartbeat.schedule)\" (at most \(Int(heartbeat.longestGap)) s apart), last scheduled at \(KubeJSON.formatTime(last))")
            let rendered = heartbeat.renderedURLs()
            // Placeholders are public defaults, and naming one is the finding; every other URL is a secret.
            let placeholders = AlertPathInputs.placeholders(environment)
            for url in rendered.urls where !placeholders.contains(url) { context.treatAsSecret(url) }
            // Only the heartbeat's own variable counts when the profile names it: a shell's ${HOME} is no Flux leftover.
            let variable = (try? environment.platformProfile())?.alerting.heartbeatURL.variable
            if let left = rendered.unsubstituted.first(where: { text in variable.map { text.hasPrefix("${\($0)") } ?? true }) {
                throw AlertPathProblem("was not substituted by Flux: its command still holds \(left)", subject: heartbeat.subject,
                                       fix: "give the Kustomization that applies it postBuild.substituteFrom with the Secret that holds the variable, then reconcile it")
            }
            let digest = try HeartbeatJudgement.urlIsGits(rendered.urls, gitDigest: SHA256Digest.hex(of: git.revealed),
                                                          placeholders: placeholders, subject: heartbeat.subject,
                                                          fix: "let Flux render it with git's value: `flux reconcile kustomization <the one that applies it> --with-source` (a Secret change reaches it only on the next reconcile)")
            context.log("\(heartbeat.subject) was rendered with git's heartbeat URL (sha256 \(digest.prefix(12))…)")
            context.log("note: its Jobs succeed even when the ping fails (`|| true`); whether pings arrive is judged from the monitor (healthchecks.checkUp, healthchecks.waitForPing)")
            return ["lastScheduleTime": .time(last), "longestGapSeconds": .int(Int(heartbeat.longestGap))]
        } catch let problem as AlertPathProblem {
            throw ActionError(problem)
        }
    }
}
