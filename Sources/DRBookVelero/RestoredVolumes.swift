import DRBookKube
import Foundation

/// What a restore wrote back per claim against what the backup holds: the proof that the
/// data came back, since Velero says Completed for a volume it skipped.
public struct RestoredVolumes: Sendable, Equatable {
    /// Bytes written back per claim (`namespace/claim` in the target namespace), from each
    /// PodVolumeRestore's `status.progress.bytesDone`.
    public var bytesByClaim: [String: Int64]
    /// The bytes each claim's PodVolumeBackup holds (`status.progress.totalBytes`), for the
    /// claims the restore should have refilled.
    public var expectedBytesByClaim: [String: Int64]

    public init(bytesByClaim: [String: Int64], expectedBytesByClaim: [String: Int64]) {
        self.bytesByClaim = bytesByClaim
        self.expectedBytesByClaim = expectedBytesByClaim
    }

    /// Matches each PodVolumeRestore to its claim by snapshot id (a PodVolumeRestore names
    /// its pod and volume, not the claim; the PodVolumeBackup's `velero.io/pvc-name` does),
    /// and expects every restorable PodVolumeBackup of a restored namespace back in full.
    /// `target` maps a source namespace to the one restored into (`namespaceMapping`); an
    /// empty `includedNamespaces` or `*` means every namespace.
    public init(podVolumeBackups: [PodVolumeBackup], podVolumeRestores: [PodVolumeRestore], includedNamespaces: [String],
                target: (String) -> String) {
        let claimBySnapshot = Dictionary(podVolumeBackups.compactMap { pvb in
            pvb.persistentVolumeClaim.map { (pvb.snapshotID, "\(target(pvb.podNamespace ?? ""))/\($0)") }
        }, uniquingKeysWith: { first, _ in first })
        var bytes: [String: Int64] = [:]
        for pvr in podVolumeRestores {
            let claim = claimBySnapshot[pvr.spec.snapshotID ?? ""] ?? "\(pvr.spec.pod?.namespace ?? "")/\(pvr.spec.volume ?? pvr.metadata.name)"
            bytes[claim, default: 0] += pvr.status?.progress?.bytesDone ?? 0
        }
        // A Restore with no namespaces, or `*`, restores every namespace of the backup.
        let everyNamespace = includedNamespaces.isEmpty || includedNamespaces.contains("*")
        var expected: [String: Int64] = [:]
        for pvb in podVolumeBackups where pvb.isRestorable && (everyNamespace || includedNamespaces.contains(pvb.podNamespace ?? "")) {
            guard let claim = pvb.persistentVolumeClaim else { continue }
            expected["\(target(pvb.podNamespace ?? ""))/\(claim)", default: 0] += pvb.totalBytes
        }
        self.init(bytesByClaim: bytes, expectedBytesByClaim: expected)
    }

    /// The claims that got fewer bytes back than their PodVolumeBackup holds, a missing
    /// PodVolumeRestore included.
    public var shortClaims: [String] {
        expectedBytesByClaim.keys.filter { (bytesByClaim[$0] ?? 0) < expectedBytesByClaim[$0] ?? 0 }.sorted()
    }

    /// One line per short claim: how many bytes of how many, and why when none came back.
    public var problems: [String] {
        shortClaims.map { claim in
            let got = bytesByClaim[claim]
            return "PVC \(claim): \(got ?? 0) of \(expectedBytesByClaim[claim] ?? 0) bytes restored (its PodVolumeBackup's totalBytes)"
                + (got == nil ? ": no PodVolumeRestore, so Velero skipped the volume: its pod existed before the restore created it (a controller made it again on a fresh empty claim)" : "")
        }
    }
}

/// Reads a finished Restore back from the cluster — its backup, namespaces and mapping, its
/// PodVolumeRestores (label `velero.io/restore-name`) and the backup's PodVolumeBackups
/// (label `velero.io/backup-name`) — and accounts for every claim. Read-only.
public struct RestoreProof: Sendable {
    public var client: KubeClient
    public var veleroNamespace: String
    public var restore: String

    public init(client: KubeClient, veleroNamespace: String, restore: String) {
        self.client = client
        self.veleroNamespace = veleroNamespace
        self.restore = restore
    }

    public struct Result: Sendable {
        public var restore: Restore
        public var backup: String
        public var volumes: RestoredVolumes
    }

    public func check() async throws -> Result {
        let object = try await client.get(Restore.self, restore, namespace: veleroNamespace)
        let backup = object.spec.backupName ?? ""
        let restores = try await client.list(PodVolumeRestore.self, namespace: veleroNamespace,
                                             labelSelector: "\(PodVolumeRestore.restoreNameLabel)=\(restore)").items
        let volumes = try await Self.account(client: client, veleroNamespace: veleroNamespace, backup: backup, podVolumeRestores: restores,
                                             includedNamespaces: object.spec.includedNamespaces ?? [],
                                             namespaceMapping: object.spec.namespaceMapping ?? [:])
        return Result(restore: object, backup: backup, volumes: volumes)
    }

    /// The one accounting `velero.restore` and `velero.restoreProof` share: the backup's
    /// PodVolumeBackups listed from the cluster, against the PodVolumeRestores given.
    public static func account(client: KubeClient, veleroNamespace: String, backup: String, podVolumeRestores: [PodVolumeRestore],
                               includedNamespaces: [String], namespaceMapping: [String: String]) async throws -> RestoredVolumes {
        let backups = try await client.list(PodVolumeBackup.self, namespace: veleroNamespace,
                                            labelSelector: "\(PodVolumeBackup.backupNameLabel)=\(backup)").items
        return RestoredVolumes(podVolumeBackups: backups, podVolumeRestores: podVolumeRestores, includedNamespaces: includedNamespaces,
                               target: { namespaceMapping[$0] ?? $0 })
    }
}
