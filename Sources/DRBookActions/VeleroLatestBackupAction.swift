import DRBookKube
import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.latestBackup`: the backup a restore would use.
struct VeleroLatestBackupAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.latestBackup",
        summary: "Find the newest Completed backup that includes a namespace, through the API.",
        inputs: [
            InputSpec("veleroNamespace", .string, required: true, description: "The namespace Velero runs in, e.g. velero."),
            InputSpec("namespace", .string, required: true, description: "The namespace the backup must include, e.g. monitoring."),
            InputSpec("schedule", .string, description: "Only backups made by this schedule (label velero.io/schedule-name)."),
            InputSpec("rpo", .duration, description: "Fail when the backup found is older. Default: no limit."),
        ],
        outputs: [
            OutputSpec("backup", .string, description: "The backup's name."),
            OutputSpec("completedAt", .time, description: "When it completed."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Lists the Backups in the Velero namespace and picks the newest that includes \
            `namespace` and is Completed; newer ones that failed, partially failed or are \
            still running are logged and passed over. With the cluster gone, use \
            `velero.verifyStore`, which reads the bucket instead.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let veleroNamespace = try inputs.requiredString("veleroNamespace")
        let namespace = try inputs.requiredString("namespace")
        let schedule = inputs.string("schedule")
        let client = try environment.kube.kubeClient()
        let backups: [Backup]
        do {
            backups = try await client.list(Backup.self, namespace: veleroNamespace,
                                            labelSelector: schedule.map { "\(Backup.scheduleLabel)=\($0)" }).items
        } catch {
            throw ActionError.kube(error, doing: "listing backups")
        }
        let candidates = backups.filter { $0.includes(namespace: namespace) }
            .sorted { ($0.startedAt ?? .distantPast) > ($1.startedAt ?? .distantPast) }
        for newer in candidates.prefix(while: { $0.phase != .completed }) {
            context.log("passed over \(newer.name): phase \(newer.phase)")
        }
        guard let latest = candidates.first(where: { $0.phase == .completed }) else {
            throw ActionError("no Completed backup includes namespace \(namespace) (\(backups.count) backups listed)",
                              subject: "backups in \(veleroNamespace)" + (schedule.map { " from schedule \($0)" } ?? ""),
                              fix: "check the schedule (velero.scheduleCovers) and the BackupStorageLocation (velero.locationAvailable)")
        }
        let completed = latest.status.completionTimestamp ?? latest.startedAt ?? context.now()
        let age = context.now().timeIntervalSince(completed)
        context.log("latest Completed backup of \(namespace): \(latest.name), completed \(Int(age)) s ago")
        if let rpo = inputs.duration("rpo") {
            context.metric("backup_age_seconds", age, unit: "s", target: rpo.seconds)
            guard age <= rpo.seconds else {
                throw ActionError("the newest Completed backup is \(GoDuration.format(age.rounded())) old, older than the RPO \(RunbookDuration.format(rpo))",
                                  subject: "backup \(latest.name)", fix: "find out why newer backups failed or did not run")
            }
        }
        return ["backup": .string(latest.name), "completedAt": .time(completed)]
    }
}
