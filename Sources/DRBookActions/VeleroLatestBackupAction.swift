import DRBookKube
import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.latestBackup`: the backup a restore would use.
struct VeleroLatestBackupAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.latestBackup",
        summary: "Find the newest Completed backup that includes a namespace, through the API, or from the store when the cluster is gone.",
        inputs: StoreInputs.specs(storeRequired: false) + [
            InputSpec("veleroNamespace", .string, required: true, description: "The namespace Velero runs in, e.g. velero."),
            InputSpec("namespace", .string, required: true, description: "The namespace the backup must include, e.g. monitoring."),
            InputSpec("schedule", .string, description: "Only backups made by this schedule (label velero.io/schedule-name)."),
            InputSpec("rpo", .duration, description: "Fail when the backup found is older. Default: no limit."),
        ],
        outputs: [
            OutputSpec("backup", .string, description: "The backup's name."),
            OutputSpec("completedAt", .time, description: "When it completed."),
            OutputSpec("source", .string, description: "api, or store when the backups were read from the store."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Lists the Backups in the Velero namespace and picks the newest that includes \
            `namespace` and is Completed; newer ones that failed, partially failed or are \
            still running are logged and passed over.

            With `store` given, a cluster that does not answer (no kubeconfig, connection \
            refused, timeout) is not the end: the backups are read from the store instead, \
            as Velero itself would sync them, and the step says so. An answer from the API \
            server (forbidden, not found) is never masked by the store.

            \(StoreInputs.credentialsDoc)
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let veleroNamespace = try inputs.requiredString("veleroNamespace")
        let namespace = try inputs.requiredString("namespace")
        let schedule = inputs.string("schedule")
        var backups: [Backup]
        var source = "api"
        do {
            let client = try environment.kube.kubeClient()
            backups = try await client.list(Backup.self, namespace: veleroNamespace,
                                            labelSelector: schedule.map { "\(Backup.scheduleLabel)=\($0)" }).items
        } catch {
            // The store is opened (and its credentials decrypted) only when it is needed.
            guard Self.clusterDidNotAnswer(error), let store = try await StoreInputs.open(inputs, context, environment: environment) else {
                throw ActionError.kube(error, doing: "listing backups")
            }
            context.log("the cluster did not answer (\(Self.reason(error))); reading the backups from \(store.location) instead")
            do {
                backups = try await StoreReader(store: store).listBackups().backups.map(\.backup)
            } catch {
                throw ActionError("neither the cluster nor the store could be read: \(error)", subject: store.location.description,
                                  fix: "check the store location, the endpoint, the credentials and the network")
            }
            if let schedule { backups = backups.filter { $0.schedule == schedule } }
            source = "store"
        }
        let selection = BackupSelection(newestOf: backups, namespace: namespace)
        for newer in selection.passedOver {
            context.log("passed over \(newer.name): phase \(newer.phase)")
        }
        guard let latest = selection.chosen, selection.choice == .newestCompleted else {
            let fallback = selection.chosen.map { " (the newest usable one, \($0.name), is PartiallyFailed: check its errors with `velero backup describe \($0.name) --details` before naming it with input 'backup' of the restore)" } ?? ""
            throw ActionError("no Completed backup includes namespace \(namespace) (\(backups.count) backups listed)\(fallback)",
                              subject: "backups in \(veleroNamespace)" + (schedule.map { " from schedule \($0)" } ?? ""),
                              fix: "check the schedule (velero.scheduleCovers) and the BackupStorageLocation (velero.locationAvailable)")
        }
        guard let completed = latest.takenAt else {
            throw ActionError("backup \(latest.name) has no completion, start or creation time, so its age cannot be known",
                              subject: "backup \(latest.name)", fix: "Velero always writes these: look at the object (`velero backup describe \(latest.name)`) and run a new backup")
        }
        let age = context.now().timeIntervalSince(completed)
        context.log("latest Completed backup of \(namespace) (from the \(source)): \(latest.name), completed \(GoDuration.format(age)) ago")
        if let rpo = inputs.duration("rpo") {
            context.metric("backup_age_seconds", age, unit: "s", target: rpo.seconds)
            guard age <= rpo.seconds else {
                throw ActionError("the newest Completed backup is \(GoDuration.format(age.rounded())) old, older than the RPO \(RunbookDuration.format(rpo))",
                                  subject: "backup \(latest.name)", fix: "find out why newer backups failed or did not run")
            }
        }
        return ["backup": .string(latest.name), "completedAt": .time(completed), "source": .string(source)]
    }

    /// No answer from the API server at all (as opposed to an answer refusing the request).
    private static func clusterDidNotAnswer(_ error: any Error) -> Bool {
        switch error {
        case is KubeAPIError, is KubePermissionDenied, is CancellationError: return false
        default: return true
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? ActionError { return error.message }
        return String(describing: error)
    }
}
