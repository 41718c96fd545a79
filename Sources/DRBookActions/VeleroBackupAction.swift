import DRBookKube
import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.backup`: a safety backup of a namespace, taken before anything destructive.
struct VeleroBackupAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.backup",
        summary: "Back up a namespace now (every pod volume by fs-backup) and wait until Velero completes it.",
        inputs: [
            InputSpec("veleroNamespace", .string, required: true, description: "The namespace Velero runs in (platform.namespaces.velero)."),
            InputSpec("namespace", .string, required: true, description: "The namespace to back up."),
            InputSpec("location", .string, description: "The BackupStorageLocation (platform.velero.location). Default: Velero's default location."),
            InputSpec("name", .string, description: "The Backup's name. Default: <namespace>-safety-<UTC time of the run, yyyyMMddHHmmss>."),
            InputSpec("ttl", .duration, description: "How long Velero keeps it. Default: Velero's (30 days)."),
            InputSpec("timeout", .duration, description: "How long to wait for it to end. Default: 1h."),
        ],
        outputs: [
            OutputSpec("backup", .string, description: "The Backup's name."),
            OutputSpec("completedAt", .time, description: "status.completionTimestamp."),
        ],
        mutates: true, idempotent: false,
        doc: """
            Creates a `velero.io/v1` Backup in the Velero namespace with `includedNamespaces` \
            [namespace], `defaultVolumesToFsBackup: true` and the location, then follows it to a \
            terminal phase with `status.progress` (items backed up of total) on the live line. \
            `Completed` passes; `PartiallyFailed`, `Failed` or `FailedValidation` fails the step \
            naming Velero's errors (counts, failure reason, validation errors). Take it before \
            deleting anything, so the state just before the restore can be had back.

            Preflight: the location exists and the identity may create Backups.
            """)

    let environment: ActionEnvironment

    func backup(_ inputs: ActionInputs, at time: Date?) throws(ActionError) -> OnDemandBackup {
        let namespace = try inputs.requiredString("namespace")
        let name = inputs.string("name") ?? time.map { "\(namespace)-safety-\(VeleroRestoreAction.stamp($0))" } ?? "\(namespace)-safety-<UTC time of the run>"
        return OnDemandBackup(veleroNamespace: try inputs.requiredString("veleroNamespace"), name: name, namespace: namespace,
                              location: inputs.string("location"), ttl: inputs.duration("ttl").map { GoDuration.format($0.seconds) })
    }

    func plan(_ inputs: ActionInputs) -> [String] { (try? backup(inputs, at: nil))?.planLines ?? [] }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard let backup = try? backup(inputs, at: nil) else { return nil }
        let needs = [Permission("create", .veleroBackups, in: backup.veleroNamespace)]
        var checks = [ClusterChange.permissionCheckLine(needs)]
        if let location = backup.location { checks.append("backupstoragelocation \(backup.veleroNamespace)/\(location) exists") }
        return Preflight(checks: checks) { _ in
            let client = try environment.kube.kubeClient()
            var findings = try await ClusterChange.permissionFindings(client, needs)
            if let location = backup.location,
               try await client.getIfPresent(BackupStorageLocation.self, location, namespace: backup.veleroNamespace) == nil {
                findings.append(.blocking("does not exist", subject: "backupstoragelocation \(backup.veleroNamespace)/\(location)",
                                          fix: "name an existing location (`kubectl -n \(backup.veleroNamespace) get backupstoragelocations.velero.io`)"))
            }
            return findings
        }
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let backup = try backup(inputs, at: context.now())
        let client = try environment.kube.kubeClient()
        let subject = "backup \(backup.veleroNamespace)/\(backup.name)"
        let ended: Backup
        do {
            try await backup.create(client)
            context.log("created \(subject) of namespace \(backup.namespace)")
            ended = try await backup.follow(client, waiting: KubeWaiting.step(context, timeout: inputs.duration("timeout", default: .seconds(3600))))
        } catch let error as KubeWaitExpired {
            throw ActionError(error.description, subject: subject, fix: "follow it with `velero backup describe \(backup.name) --details`; raise input 'timeout' if it is only slow")
        } catch {
            throw ActionError.kube(error, doing: "backing up \(backup.namespace)")
        }
        guard ended.phase == .completed, let completed = ended.status.completionTimestamp else {
            let problems = OnDemandBackup.problems(ended, results: nil)
            for line in problems { context.log(line) }
            throw ActionError(problems.joined(separator: "; "), subject: subject,
                              fix: "read Velero's account: `velero backup describe \(backup.name) --details` and `velero backup logs \(backup.name)`; fix the cause before deleting anything")
        }
        context.log("\(subject) Completed: \(ended.status.progress?.itemsBackedUp ?? 0) items")
        return ["backup": .string(backup.name), "completedAt": .time(completed)]
    }
}
