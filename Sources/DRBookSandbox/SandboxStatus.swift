import DRBookKube
import DRBookVelero
import Foundation

/// What `drbook sandbox status` tells about the sandbox of a directory: its record, whether
/// it runs, and, asked through its own API with the admin identity, how many objects and
/// Velero backups it holds, and how many backups are in its store when that is a folder.
public struct SandboxStatus: Sendable {
    public var record: SandboxRecord
    public var running: Bool
    /// Objects of every kind the API lists; nil when not running.
    public var objects: Int?
    /// Backup objects by phase; nil when not running.
    public var backupsByPhase: [String: Int]?
    /// Backups in the store (a `file://` store only: an S3 one needs credentials).
    public var storeBackups: Int?

    /// nil when no sandbox has left a record in `directory`.
    public static func read(in directory: URL, catalogue: ResourceCatalogue = .standard) async throws -> SandboxStatus? {
        guard let record = try SandboxRecord.read(in: directory) else { return nil }
        var status = SandboxStatus(record: record, running: record.isRunning)
        if let store = record.store, let url = URL(string: store), url.scheme == "file" {
            status.storeBackups = try? await StoreReader(store: DirectoryBackupStore(root: url.path)).listBackups().backups.count
        }
        guard status.running else { return status }
        let client = try KubeClient(access: KubeAccess(kubeconfig: record.kubeconfig, context: record.contexts.first, environment: [:]))
        var objects = 0
        for entry in catalogue.resources where entry.verbs.contains("list") {
            let resource = KubeResource(group: entry.group, version: entry.version, resource: entry.name, kind: entry.kind,
                                        namespaced: entry.namespaced)
            let items = try await client.listJSON(resource).items
            objects += items.count
            if resource == .veleroBackups {
                var phases: [String: Int] = [:]
                for backup in items { phases[backup[path: ["status", "phase"]]?.stringValue ?? "New", default: 0] += 1 }
                status.backupsByPhase = phases
            }
        }
        status.objects = objects
        return status
    }
}
