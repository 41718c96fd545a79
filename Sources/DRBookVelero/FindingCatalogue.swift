import DRBookText
import Foundation

// Every message the store verifier produces, in one place. Each names the object
// at fault and ends with what to do (a command, a setting, or reference/velero.md).

extension Finding {
    static func misplacedPrefix(_ suggestion: PrefixSuggestion, display: String) -> Finding {
        Finding(.failure, .misplacedPrefix, object: display, message: suggestion.message, fix: suggestion.fix + ".")
    }

    static func strayTopLevelFolder(_ folder: String, store: String, display: String) -> Finding {
        Finding(.failure, .strayTopLevelFolder, object: display,
                message: "the folder '\(folder)/' is not one Velero allows under the prefix (backups, restores, restic, metadata, plugins, kopia); Velero marks the BackupStorageLocation Unavailable and neither backs up nor restores.",
                fix: "move '\(folder)/' out of \(store) (or give the other data its own prefix), then check `velero backup-location get` shows Available.")
    }

    static func storeAtParentPrefix(parent: String, child: String, display: String, prefixVariable: String?) -> Finding {
        let override = prefixVariable.map { "the prefix variable (\($0))" } ?? "the prefix override"
        return Finding(.warning, .storeAtParentPrefix, object: display,
                       message: "there is a Velero store one level up, at \(parent) (it has backups/): the BackupStorageLocation using that prefix sees this store's folder as one Velero does not allow, and is Unavailable.",
                       fix: "give every environment its own prefix below a common one that holds no store (e.g. velero/prod and velero/staging, never velero), and set \(override) in each environment.")
    }

    static func folderWithoutMetadata(_ folder: String, display: String) -> Finding {
        Finding(.info, .backupFolderWithoutMetadata, object: display,
                message: "backup folder '\(folder)' has no velero-backup.json, so Velero does not consider it a backup (it may still be in progress, or its upload failed).",
                fix: "none if a backup is running now; otherwise `velero backup describe \(folder)` and delete the leftover folder.")
    }

    static func metadataUnreadable(_ folder: String, error: BackupStoreError) -> Finding {
        Finding(.warning, .backupMetadataUnreadable, object: error.object,
                message: "backup '\(folder)' cannot be used: its velero-backup.json \(error.what).", fix: error.fix + ".")
    }

    static func noBackups(store: String, display: String) -> Finding {
        Finding(.failure, .noBackups, object: display,
                message: "no backups under \(store)/backups/.",
                fix: "check the store prefix is the BackupStorageLocation's (objectStorage.prefix), and that the schedule runs: `velero schedule get`, `velero backup get`.")
    }

    static func namespaceNotIncluded(_ namespace: String, newest: Backup, count: Int) -> Finding {
        let reason: String
        if let exclusion = newest.exclusion(of: namespace) {
            reason = "its excludedNamespaces has '\(exclusion)'"
        } else {
            reason = "its includedNamespaces is \(newest.spec.includedNamespaces ?? [])"
        }
        let schedule = newest.schedule.map { "schedule '\($0)'" } ?? "the backup's schedule"
        return Finding(.failure, .namespaceNotIncluded, object: "backup \(newest.name)",
                       message: "none of the \(count) backups includes namespace '\(namespace)': in the newest, \(newest.name), \(reason).",
                       fix: "include '\(namespace)' in \(schedule) (template.includedNamespaces, and remove it from excludedNamespaces), then run `velero backup create --from-schedule \(newest.schedule ?? "SCHEDULE")`.")
    }

    static func backupExcludesNamespace(_ backup: Backup, namespace: String) -> Finding {
        let reason = backup.exclusion(of: namespace).map { "its excludedNamespaces has '\($0)'" }
            ?? "its includedNamespaces is \(backup.spec.includedNamespaces ?? [])"
        return Finding(.failure, .backupExcludesNamespace, object: "backup \(backup.name)",
                       message: "backup \(backup.name) does not include namespace '\(namespace)': \(reason).",
                       fix: "choose a backup that includes it (`drbook backups verify --namespace \(namespace)` finds the newest), or include '\(namespace)' in \(backup.schedule.map { "schedule '\($0)'" } ?? "the backup's schedule").")
    }

    static func backupNotRestorable(_ backup: Backup) -> Finding {
        let reason = backup.status.failureReason.map { ": \($0)" } ?? ""
        let message = backup.phase.isTerminal
            ? "backup \(backup.name) ended \(backup.phase)\(reason); nothing of it can be restored."
            : "backup \(backup.name) is \(backup.phase), not a terminal phase: Velero still rewrites it, so it is not trusted."
        return Finding(.failure, .backupNotRestorable, object: "backup \(backup.name)", message: message,
                       fix: backup.phase.isTerminal
                           ? "read `velero backup logs \(backup.name)`, and restore from an older Completed backup (`drbook backups list`)."
                           : "wait for it to finish (`velero backup describe \(backup.name)`) and look again.")
    }

    static func noRestorableBackup(_ namespace: String, count: Int) -> Finding {
        Finding(.failure, .noRestorableBackup, object: "namespace \(namespace)",
                message: "none of the \(count) backups that include '\(namespace)' finished Completed or PartiallyFailed; there is nothing to restore from.",
                fix: "look at the newest with `velero backup describe NAME --details` and `velero backup logs NAME`, fix the cause, and run a new backup.")
    }

    static func newerNotTerminal(_ backup: Backup, verified: String?) -> Finding {
        let then = verified.map { "verifying the previous terminal backup, \($0), instead" } ?? "and there is no earlier terminal backup"
        return Finding(.info, .newerBackupNotTerminal, object: "backup \(backup.name)",
                       message: "the newest backup, \(backup.name), is \(backup.phase) (not terminal): Velero still rewrites it, so it is not trusted; \(then).",
                       fix: "wait for it to finish (`velero backup describe \(backup.name)`) and verify again.")
    }

    /// A failure when its errors touch the namespace (its backups are failing now), else a warning.
    static func newerPartiallyFailed(_ backup: Backup, namespace: String, errorsInNamespace: [String]?, verified: String?) -> Finding {
        let errors = backup.status.errors ?? 0
        let then = verified.map { "; drbook verified \($0), the newest Completed backup, instead" } ?? ""
        let inNamespace: String
        switch errorsInNamespace {
        case let found? where !found.isEmpty:
            inNamespace = ", in namespace '\(namespace)': " + found.prefix(3).joined(separator: "; ") + (found.count > 3 ? " (and \(found.count - 3) more)" : "")
        case .some:
            inNamespace = ", none in namespace '\(namespace)'"
        case nil:
            inNamespace = " (its results could not be read)"
        }
        return Finding(errorsInNamespace?.isEmpty == false ? .failure : .warning, .newerBackupPartiallyFailed, object: "backup \(backup.name)",
                       message: "backup \(backup.name) is newer but ended PartiallyFailed (\(errors) error\(errors == 1 ? "" : "s")\(inNamespace)), so it is not trusted to hold everything\(then).",
                       fix: "read `velero backup describe \(backup.name) --details` and `velero backup logs \(backup.name)`, fix the cause, and run `velero backup create --from-schedule \(backup.schedule ?? "SCHEDULE")`.")
    }

    /// A failure for the backup verified; for another, a warning (it cannot even be ordered).
    static func ageUnknown(_ backup: Backup, object: String, verified: Bool) -> Finding {
        Finding(verified ? .failure : .warning, .ageUnknown, object: object,
                message: "backup \(backup.name) has no completionTimestamp, startTimestamp or creationTimestamp, so its age cannot be checked against the RPO"
                    + (verified ? "." : " and it cannot be ordered among the backups; it was not considered."),
                fix: "look at the object: Velero always writes these; a hand-edited or truncated velero-backup.json is not a backup to trust. Run a new backup.")
    }

    static func newerFailed(_ backup: Backup, verified: String?) -> Finding {
        let reason = backup.status.failureReason.map { ": \($0)" } ?? ""
        let then = verified.map { "; \($0) is the newest usable backup" } ?? ""
        return Finding(.warning, .newerBackupFailed, object: "backup \(backup.name)",
                       message: "backup \(backup.name) ended \(backup.phase)\(reason)\(then).",
                       fix: "read `velero backup logs \(backup.name)`, fix the cause, and run `velero backup create --from-schedule \(backup.schedule ?? "SCHEDULE")`.")
    }

    static func partiallyFailed(_ backup: Backup, olderCompleted: String?) -> Finding {
        let alternative = olderCompleted.map { " The newest Completed backup is \($0)." } ?? ""
        return Finding(.warning, .partiallyFailed, object: "backup \(backup.name)",
                       message: "backup \(backup.name) is PartiallyFailed (\(backup.status.errors ?? 0) errors, none in this namespace): restorable with care, but not green.\(alternative)",
                       fix: "read the errors with `velero backup describe \(backup.name) --details`, fix them, and run a new backup.")
    }

    static func partiallyFailedInNamespace(_ backup: Backup, namespace: String, errors: [String], olderCompleted: String?) -> Finding {
        let shown = errors.prefix(3).joined(separator: "; ")
        let more = errors.count > 3 ? " (and \(errors.count - 3) more)" : ""
        let alternative = olderCompleted.map { " The newest Completed backup is \($0)." } ?? ""
        return Finding(.failure, .partiallyFailedInNamespace, object: "backup \(backup.name)",
                       message: "backup \(backup.name) is PartiallyFailed with errors in namespace '\(namespace)': \(shown)\(more).\(alternative)",
                       fix: "read `velero backup logs \(backup.name)`, fix the errors in '\(namespace)', and run a new backup.")
    }

    static func expired(_ backup: Backup, at expiration: Date) -> Finding {
        Finding(.warning, .expired, object: "backup \(backup.name)",
                message: "backup \(backup.name) expired at \(VeleroJSON.formatTime(expiration)); Velero's garbage collection will delete it.",
                fix: "run a new backup (`velero backup create --from-schedule \(backup.schedule ?? "SCHEDULE")`), or raise the schedule's ttl.")
    }

    static func stale(_ backup: Backup, age: TimeInterval, rpo: TimeInterval, newest: Bool = true) -> Finding {
        Finding(.failure, .stale, object: "backup \(backup.name)",
                message: "\(newest ? "the newest usable backup, \(backup.name)," : "backup \(backup.name)") is \(Age.text(age)) old, beyond the RPO of \(Age.text(rpo)).",
                fix: "check the schedule runs (`velero schedule get`, `velero backup get`), then run `velero backup create --from-schedule \(backup.schedule ?? "SCHEDULE")`.")
    }

    static func formatVersion(_ version: String, backup: String, object: String) -> Finding {
        Finding(.warning, .formatVersion, object: object,
                message: "backup \(backup) has format version '\(version)'; drbook reads format 1.x (Velero writes 1.1.0).",
                fix: "restore it with the Velero version that wrote it, or check the object is a Velero backup.")
    }

    static func objectUnreadable(_ what: String, backup: String, error: Error) -> Finding {
        Finding(.failure, .objectUnreadable, object: "backup \(backup)",
                message: "the \(what) of backup \(backup) cannot be read: \(error).",
                fix: "copy the object again from the bucket if this is a mirror; otherwise the backup is damaged: run a new one.")
    }

    static func tarballMissing(_ backup: Backup, object: String) -> Finding {
        Finding(.failure, .tarballMissing, object: object,
                message: "backup \(backup.name) has no resource tarball: nothing of it can be restored.",
                fix: "run a new backup (`velero backup create --from-schedule \(backup.schedule ?? "SCHEDULE")`); if this is a mirror, sync it again.")
    }

    static func tarballUnreadable(_ backup: Backup, object: String, error: Error, previous: String?) -> Finding {
        let instead = previous.map { " Until then, \($0) is the previous backup to restore from." } ?? ""
        return Finding(.failure, .tarballUnreadable, object: object,
                       message: "the tarball of backup \(backup.name) cannot be read: \(error)",
                       fix: "run a new backup (`velero backup create --from-schedule \(backup.schedule ?? "SCHEDULE")`).\(instead)")
    }

    static func namespaceNotInTarball(_ namespace: String, backup: String, object: String) -> Finding {
        Finding(.failure, .namespaceNotInTarball, object: object,
                message: "backup \(backup) includes namespace '\(namespace)' by its filter, but its tarball holds nothing of it.",
                fix: "check the namespace exists and the schedule's label selectors; `velero backup describe \(backup) --details`.")
    }

    static func noPersistentVolumeClaims(_ namespace: String, backup: String, object: String) -> Finding {
        Finding(.warning, .noPersistentVolumeClaims, object: object,
                message: "backup \(backup) holds no PersistentVolumeClaims of namespace '\(namespace)'.",
                fix: "if the namespace should have volumes, check they exist and are not excluded (label velero.io/exclude-from-backup).")
    }

    static func pvcMissingFromTarball(_ pvc: String, namespace: String, backup: String, evidence: String, object: String) -> Finding {
        Finding(.failure, .pvcMissingFromTarball, object: "PVC \(namespace)/\(pvc)",
                message: "PVC \(namespace)/\(pvc) is named by \(evidence) of backup \(backup), but the tarball \(object) does not hold it: a restore will not recreate the claim.",
                fix: "look for errors on it with `velero backup logs \(backup)`, check it is not labelled velero.io/exclude-from-backup, and run a new backup.")
    }

    static func noPodVolumeBackup(_ pvc: String, namespace: String, backup: String, pods: [String]) -> Finding {
        let pod = pods.first.map { "pod \($0)" } ?? "the pod"
        return Finding(.failure, .noPodVolumeBackup, object: "PVC \(namespace)/\(pvc)",
                       message: "PVC \(namespace)/\(pvc) has no PodVolumeBackup in backup \(backup): its data is not in the backup.",
                       fix: "make sure the schedule has defaultVolumesToFsBackup: true (or annotate \(pod) with backup.velero.io/backup-volumes), the node-agent runs on its node, and run a new backup.")
    }

    static func podVolumeBackupNotCompleted(_ pvb: PodVolumeBackup, pvc: String, namespace: String, backup: String) -> Finding {
        let message = pvb.status.message.map { ": \($0)" } ?? ""
        return Finding(.failure, .podVolumeBackupNotCompleted, object: "PodVolumeBackup \(pvb.metadata.name)",
                       message: "the PodVolumeBackup of PVC \(namespace)/\(pvc) in backup \(backup) is \(pvb.phase.isEmpty ? "New" : pvb.phase)\(message): its data is not in the backup.",
                       fix: "read `velero backup logs \(backup)` and the node-agent log on \(pvb.spec.node ?? "the pod's node"), fix the cause, and run a new backup.")
    }

    static func emptySnapshotID(_ pvb: PodVolumeBackup, pvc: String, namespace: String, backup: String) -> Finding {
        Finding(.failure, .emptySnapshotID, object: "PodVolumeBackup \(pvb.metadata.name)",
                message: "the PodVolumeBackup of PVC \(namespace)/\(pvc) in backup \(backup) is Completed but has no snapshotID: restore ignores it, so the PVC has no data in this backup.",
                fix: "check the node-agent log for volume '\(pvb.spec.volume ?? "?")' of pod \(pvb.podName ?? "?") (an empty or unmounted volume), and run a new backup.")
    }

    static func zeroByteVolume(_ pvb: PodVolumeBackup, pvc: String, namespace: String, backup: String) -> Finding {
        Finding(.failure, .zeroByteVolume, object: "PodVolumeBackup \(pvb.metadata.name)",
                message: "the PodVolumeBackup of PVC \(namespace)/\(pvc) in backup \(backup) backed up 0 bytes: the volume was empty or not the one the application writes to.",
                fix: "check pod \(pvb.podName ?? "?") mounts PVC \(pvc) as volume '\(pvb.spec.volume ?? "?")' and writes data there, then run a new backup.")
    }

    static func podNotInBackup(_ pod: String?, pvc: String, namespace: String, backup: String) -> Finding {
        let subject = pod.map { "pod \(namespace)/\($0), which the PodVolumeBackup of PVC \(namespace)/\(pvc) names, is not" }
            ?? "no pod that mounts PVC \(namespace)/\(pvc) is"
        return Finding(.failure, .podNotInBackup, object: pod.map { "pod \(namespace)/\($0)" } ?? "PVC \(namespace)/\(pvc)",
                       message: "\(subject) in backup \(backup): file-system restore writes the volume's data through that pod, so the data cannot be restored.",
                       fix: "check the pod is not excluded from the backup (label velero.io/exclude-from-backup, resource filters), and run a new backup.")
    }

    static func expectedPVCMissing(_ pattern: String, namespace: String, backup: String, found: [String]) -> Finding {
        let present = found.isEmpty ? "none" : found.joined(separator: ", ")
        return Finding(.failure, .expectedPVCMissing, object: "namespace \(namespace)",
                       message: "no PVC matching '\(pattern)' is in backup \(backup) (its PVCs: \(present)).",
                       fix: "check the workload that owns it runs with persistence enabled in '\(namespace)', then run a new backup.")
    }

    static func pvcVanished(_ pvc: String, namespace: String, backup: String, lastHeldBy previous: String) -> Finding {
        Finding(.failure, .pvcVanished, object: "PVC \(namespace)/\(pvc)",
                message: "backup \(backup) does not hold this PVC, which the previous Completed backup \(previous) held: a restore from \(backup) would not bring its data back.",
                fix: "find out why it dropped out (is the workload still running with persistence? `kubectl -n \(namespace) get pvc \(pvc)`; a pod annotation backup.velero.io/backup-volumes-excludes or label velero.io/exclude-from-backup?), then run a new backup; if the volume was removed on purpose, say so with --allow-removed \(pvc) (runbook input allowRemoved) and list what must be there with --expect-pvc.")
    }

    static func previousBackupUnreadable(_ previous: String, what: String, error: any Error) -> Finding {
        Finding(.warning, .previousBackupUnreadable, object: "backup \(previous)",
                message: "the \(what) of the previous Completed backup cannot be read (\(error)), so a volume that dropped out of the newest backup would go unnoticed.",
                fix: "check the object in the store; list what must be there with --expect-pvc.")
    }

    static func kopiaRepositoryMissing(_ namespace: String, location: String) -> Finding {
        Finding(.failure, .kopiaRepositoryMissing, object: location,
                message: "there is no Kopia repository for namespace '\(namespace)': the volume data the PodVolumeBackups point to is not in the store.",
                fix: "check the BackupRepository `velero repo get` for '\(namespace)' and the bucket's lifecycle rules; run a new backup once the repository is Ready.")
    }

    static func kopiaFormatBlobMissing(_ namespace: String, location: String) -> Finding {
        Finding(.failure, .kopiaFormatBlobMissing, object: location,
                message: "the Kopia repository of '\(namespace)' has objects but no kopia.repository format blob: Kopia cannot open it.",
                fix: "check the bucket's lifecycle rules did not delete it; `velero repo get` shows whether the repository is Ready.")
    }
}

/// An age as a person reads it: to the minute, in the one duration form drbook prints
/// (`31h5m`, `52h`), so a verdict and a listing never spell the same age two ways.
public enum Age {
    public static func text(_ seconds: TimeInterval) -> String {
        DurationText.format(seconds: max(0, (seconds / 60).rounded(.down) * 60))
    }
}
