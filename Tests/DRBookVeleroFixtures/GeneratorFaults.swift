import DRBookVelero
import Foundation

/// A fault the generator writes into a store, each the way it happens with a real
/// Velero (reference/velero.md). Backup-level faults apply to the newest backup of
/// the series (the one a verifier should pick).
public enum GeneratorFault: Sendable, Hashable {
    /// The newest backup ends PartiallyFailed; its results name an error in the
    /// scenario's namespace, or only in another scope.
    case partiallyFailed(errorsInNamespace: Bool)
    /// The newest backup ends Failed during item collection (uploaded anyway, trap 7).
    case failedNewest
    /// The PVC is named by the resource list and its PodVolumeBackup, but its item is not in the tarball.
    case pvcMissingFromTarball(pvc: String)
    /// The PVC was left out of the backup altogether (e.g. labelled
    /// `velero.io/exclude-from-backup`): not in the tarball, the resource list or any
    /// PodVolumeBackup, while the pod that mounts it is backed up.
    case pvcExcludedFromBackup(pvc: String)
    /// The PVC, its pod and its PodVolumeBackup are gone from the newest backup (a
    /// replica scaled away, the claim deleted), while the older backups hold them.
    case volumeGone(pvc: String)
    /// The PVC and its pod are in the tarball, but no PodVolumeBackup was made for it
    /// (the pod opted out with `backup.velero.io/backup-volumes-excludes`).
    case noPodVolumeBackup(pvc: String)
    /// The newest backup has no `<name>.tar.gz` (its upload failed).
    case tarballMissing
    /// The newest backup's `velero-backup.json` is not JSON.
    case unreadableMetadata
    /// The newest backup's `velero-backup.json` has no start, completion or creation time.
    case timestampsMissing
    /// The Kopia repository has objects but no `kopia.repository` format blob.
    case missingKopiaFormatBlob
    /// The pod is not in the tarball (its PVC and PodVolumeBackup are).
    case podMissingFromTarball(pod: String)
    /// The PVC's PodVolumeBackup ended Failed, with no snapshot id.
    case podVolumeBackupFailed(pvc: String)
    /// The PVC's PodVolumeBackup is Completed but has an empty snapshot id (trap 8).
    case emptySnapshotID(pvc: String)
    /// The PVC's PodVolumeBackup is Completed with a snapshot id but 0 bytes.
    case zeroByteVolume(pvc: String)
    /// No `kopia/<namespace>/` objects at all.
    case missingKopiaPrefix
    /// The newest backup started `age` seconds before the scenario's `now`.
    case staleNewest(age: TimeInterval)
    /// One more backup, newer than the series, whose `velero-backup.json` is in a
    /// non-terminal phase (and which has no tarball yet).
    case nonTerminalNewest(phase: BackupPhase)
    /// The newest tarball is cut short.
    case truncatedTarball
    /// Bytes in the middle of the newest tarball's gzip stream are flipped.
    case corruptGzip
    /// A top-level folder Velero does not allow (trap 5), holding one object.
    case strayTopLevelFolder(String)
}

extension Array where Element == GeneratorFault {
    var partialFailure: Bool? {
        for fault in self { if case .partiallyFailed(let inNamespace) = fault { return inNamespace } }
        return nil
    }
    var staleAge: TimeInterval? {
        for fault in self { if case .staleNewest(let age) = fault { return age } }
        return nil
    }
    var nonTerminalPhase: BackupPhase? {
        for fault in self { if case .nonTerminalNewest(let phase) = fault { return phase } }
        return nil
    }
    var strayFolders: [String] {
        compactMap { if case .strayTopLevelFolder(let folder) = $0 { return folder } else { return nil } }
    }
}
