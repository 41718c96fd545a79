import DRBookKube
import Foundation

extension PodVolumeBackup {
    public static let backupNameLabel = "velero.io/backup-name"
}

/// How a Restore ended, with its PodVolumeRestores: the judgement `velero.restore` makes.
public struct RestoreOutcome: Sendable {
    public var restore: Restore
    public var podVolumeRestores: [PodVolumeRestore]
    /// Bytes back per claim against the PodVolumeBackups' (`velero.restoreProof` makes the same account).
    public var volumes: RestoredVolumes

    public var bytesByClaim: [String: Int64] { volumes.bytesByClaim }
    public var shortClaims: [String] { volumes.shortClaims }

    /// Completed, with every PodVolumeRestore Completed and every claim's bytes back.
    public var succeeded: Bool {
        restore.phase == .completed && podVolumeRestores.allSatisfy { $0.phase == "Completed" } && shortClaims.isEmpty
    }

    /// Velero's own account of what went wrong: the phase, error and warning counts, the
    /// failure reason and validation errors, and each PodVolumeRestore that did not complete.
    public var problems: [String] {
        var lines: [String] = []
        let status = restore.status
        var head = "ended \(restore.phase)"
        let counts = [(status?.errors ?? 0, "error"), (status?.warnings ?? 0, "warning")].filter { $0.0 > 0 }
            .map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }
        if !counts.isEmpty { head += " with " + counts.joined(separator: " and ") }
        lines.append(head)
        if let reason = status?.failureReason, !reason.isEmpty { lines.append("failure reason: \(reason)") }
        for error in status?.validationErrors ?? [] { lines.append("validation error: \(error)") }
        for pvr in podVolumeRestores where pvr.phase != "Completed" {
            let pod = pvr.spec.pod.map { "pod \($0.namespace ?? "")/\($0.name ?? "")" } ?? "a pod"
            lines.append("PodVolumeRestore \(pvr.metadata.name) (\(pod), volume \(pvr.spec.volume ?? "?")): \(pvr.phase.isEmpty ? "New" : pvr.phase)"
                         + (pvr.status?.message.map { ": \($0)" } ?? ""))
        }
        lines += volumes.problems
        return lines
    }
}

/// Creates a Restore and follows it to its end: the phase and `status.progress` while it
/// runs, then every PodVolumeRestore it made (label `velero.io/restore-name`) until each
/// has ended, since volume data is what a restore is for.
public struct RestoreRun: Sendable {
    public var client: KubeClient
    public var request: RestoreRequest

    public init(client: KubeClient, request: RestoreRequest) {
        self.client = client
        self.request = request
    }

    public func create() async throws -> Restore {
        try await client.create(request.object)
    }

    /// Waits for the Restore to end and its PodVolumeRestores to end; `waiting.progress`
    /// receives items restored of total, and the volumes done.
    public func follow(waiting: KubeWaiting) async throws -> RestoreOutcome {
        let namespace = request.veleroNamespace
        let (restore, volumes) = try await waiting.until("Restore \(namespace)/\(request.name) to end") {
            () async throws -> KubeWaiting.Look<(Restore, [PodVolumeRestore])> in
            let restore = try await client.get(Restore.self, request.name, namespace: namespace)
            let volumes = try await client.list(PodVolumeRestore.self, namespace: namespace,
                                                labelSelector: "\(PodVolumeRestore.restoreNameLabel)=\(request.name)").items
            let ended = volumes.filter { ["Completed", "Failed", "Canceled"].contains($0.phase) }
            let bytesDone = volumes.reduce(Int64(0)) { $0 + ($1.status?.progress?.bytesDone ?? 0) }
            let bytesTotal = volumes.reduce(Int64(0)) { $0 + ($1.status?.progress?.totalBytes ?? 0) }
            if restore.phase.isTerminal, ended.count == volumes.count { return .done((restore, volumes)) }
            let progress = restore.status?.progress
            var message = "\(restore.phase)"
            if let restored = progress?.itemsRestored, let total = progress?.totalItems { message += ": \(restored) of \(total) items restored" }
            if !volumes.isEmpty { message += "; \(ended.count) of \(volumes.count) volumes done, \(bytesDone) of \(bytesTotal) bytes" }
            return .waiting(message, completed: progress?.itemsRestored, total: progress?.totalItems)
        }
        let account = try await RestoreProof.account(client: client, veleroNamespace: namespace, backup: request.backup, podVolumeRestores: volumes,
                                                     includedNamespaces: request.includedNamespaces, namespaceMapping: request.namespaceMapping)
        return RestoreOutcome(restore: restore, podVolumeRestores: volumes, volumes: account)
    }
}
