import DRBookKube
import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.scheduleCovers`: the schedule will keep producing the backups the RPO needs.
struct VeleroScheduleCoversAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.scheduleCovers",
        summary: "Check that a Velero Schedule exists, is not paused, includes a namespace, keeps backups long enough and ran recently.",
        inputs: [
            InputSpec("veleroNamespace", .string, required: true, description: "The namespace Velero runs in, e.g. velero."),
            InputSpec("schedule", .string, required: true, description: "The Schedule's name, e.g. daily-full."),
            InputSpec("namespace", .string, required: true, description: "The namespace it must back up, e.g. monitoring."),
            InputSpec("rpo", .duration, description: "Recovery point objective. Default: 24h."),
        ],
        outputs: [
            OutputSpec("lastBackup", .time, description: "When the schedule last made a backup."),
            OutputSpec("ttl", .duration, description: "How long its backups are kept."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads the Schedule through the API and fails when it is missing, paused, not \
            Enabled, leaves `namespace` out (its template's included and excluded namespaces, \
            `*` and globs honoured), keeps backups for no longer than the RPO (then a missed \
            run leaves nothing to restore), or last ran longer ago than the RPO.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let veleroNamespace = try inputs.requiredString("veleroNamespace")
        let name = try inputs.requiredString("schedule")
        let namespace = try inputs.requiredString("namespace")
        let rpo = inputs.duration("rpo") ?? .seconds(24 * 3_600)
        let client = try environment.kube.kubeClient()
        let schedule: Schedule
        do {
            schedule = try await client.get(Schedule.self, name, namespace: veleroNamespace)
        } catch {
            throw ActionError.kube(error, doing: "reading the schedule")
        }
        let subject = "schedule \(veleroNamespace)/\(name)"
        if schedule.isPaused {
            throw ActionError("is paused: no backups are being made", subject: subject,
                              fix: "unpause it in git (spec.paused: false) and let Flux apply it, or `velero schedule unpause \(name)`")
        }
        if let phase = schedule.status?.phase, phase != "Enabled" {
            throw ActionError("phase is \(phase)\(schedule.status?.validationErrors.map { ": \($0.joined(separator: "; "))" } ?? "")", subject: subject,
                              fix: "correct the schedule's spec (cron expression, storage location) in git")
        }
        let included = schedule.spec.template?.includedNamespaces
        let excluded = schedule.spec.template?.excludedNamespaces
        guard Backup.includes(namespace: namespace, included: included, excluded: excluded) else {
            let why = Backup.exclusion(of: namespace, excluded: excluded).map { "excluded by '\($0)'" } ?? "not in includedNamespaces \(schedule.spec.template?.includedNamespaces ?? [])"
            throw ActionError("does not back up namespace \(namespace): \(why)", subject: subject,
                              fix: "add \(namespace) to the schedule's template.includedNamespaces (or remove the exclusion) in git")
        }
        let ttl = schedule.spec.template?.ttl.flatMap(GoDuration.parse) ?? 720 * 3_600
        guard ttl > rpo.seconds else {
            throw ActionError("keeps backups for \(GoDuration.format(ttl)), not longer than the RPO \(RunbookDuration.format(rpo))", subject: subject,
                              fix: "raise template.ttl well above the RPO (the platform keeps 14 days: 336h0m0s)")
        }
        guard let last = schedule.status?.lastBackup else {
            throw ActionError("has never made a backup", subject: subject, fix: "check Velero's logs; `velero backup create --from-schedule \(name)` makes one now")
        }
        let age = context.now().timeIntervalSince(last)
        context.metric("schedule_last_backup_age_seconds", age, unit: "s", target: rpo.seconds)
        guard age <= rpo.seconds else {
            throw ActionError("last backup was \(GoDuration.format(age.rounded())) ago, older than the RPO \(RunbookDuration.format(rpo))", subject: subject,
                              fix: "check why the schedule stopped (Velero's logs, the BackupStorageLocation's phase)")
        }
        context.log("\(subject) covers \(namespace): ttl \(GoDuration.format(ttl)), last backup \(GoDuration.format(age)) ago")
        return ["lastBackup": .time(last), "ttl": .duration(.seconds(ttl))]
    }
}
