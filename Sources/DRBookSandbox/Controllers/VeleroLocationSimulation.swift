import DRBookKube
import DRBookVelero
import Foundation

/// Validates each BackupStorageLocation against the store (a top-level folder Velero
/// does not allow, or an unreachable store, makes it Unavailable) and syncs backups
/// found in the store but missing from the cluster: the Backup CR, then its
/// PodVolumeBackups from `<name>-podvolumebackups.json.gz`.
struct VeleroLocationSimulation: Sendable {
    let controller: VeleroController
    let cluster: SandboxStore

    func validateAndSync() async {
        let ns = controller.veleroNamespace
        guard let locations = try? await cluster.list(VeleroController.locations, namespace: ns).items else { return }
        for location in locations {
            let reader = StoreReader(store: controller.store)
            do {
                let layout = try await reader.layout()
                if !layout.strayFolders.isEmpty {
                    await mark(location, available: false,
                               message: "BackupStorageLocation \"\(location.name)\" is unavailable: Backup store contains invalid top-level directories: \(layout.strayFolders)")
                    continue
                }
                await mark(location, available: true, message: nil)
                try await sync(location, reader: reader)
            } catch {
                await mark(location, available: false, message: "BackupStorageLocation \"\(location.name)\" is unavailable: \(error)")
            }
        }
    }

    private func mark(_ location: JSONValue, available: Bool, message: String?) async {
        await patchStatus(cluster, VeleroController.locations, location, [
            "phase": available ? "Available" : "Unavailable", "lastValidationTime": controller.timestamp(),
            "message": message.map(JSONValue.string) ?? .null,
        ])
    }

    private func sync(_ location: JSONValue, reader: StoreReader) async throws {
        let ns = controller.veleroNamespace
        let present = Set(try await cluster.list(VeleroController.backups, namespace: ns).items.map(\.name))
        for name in try await reader.backupFolders() where !present.contains(name) {
            guard let data = try await controller.store.read(VeleroKeys.metadata(name), limit: 16 << 20) else { continue }
            var backup = try JSONValue(data: data)
            let status = backup["status"] ?? [:]
            for field in ["uid", "resourceVersion", "generation", "managedFields"] { backup.set(nil, at: ["metadata", field]) }
            backup.set(.string(ns), at: ["metadata", "namespace"])
            backup.set(.string(location.name), at: ["spec", "storageLocation"])
            backup.set(.string(location.name), at: ["metadata", "labels", Backup.storageLocationLabel])
            let created: JSONValue
            do {
                created = try await cluster.create(VeleroController.backups, namespace: ns, backup)
            } catch let error as APIError where error.reason == .alreadyExists { continue }
            _ = try await cluster.patchStatus(VeleroController.backups, namespace: ns, name: name, ["status": status])
            for pvb in try await reader.podVolumeBackups(of: name) {
                var object = try JSONValue(encoding: pvb)
                object["apiVersion"] = "velero.io/v1"
                object["kind"] = "PodVolumeBackup"
                for field in ["uid", "resourceVersion", "generation", "creationTimestamp"] { object.set(nil, at: ["metadata", field]) }
                object.set(.string(ns), at: ["metadata", "namespace"])
                object.set(.string(created.uid ?? ""), at: ["metadata", "labels", "velero.io/backup-uid"])
                object.set(.string(name), at: ["metadata", "labels", "velero.io/backup-name"])
                let pvbStatus = object["status"] ?? [:]
                object["status"] = nil
                guard let made = try? await cluster.create(VeleroController.podVolumeBackups, namespace: ns, object) else { continue }
                _ = try await cluster.patchStatus(VeleroController.podVolumeBackups, namespace: ns, name: made.name, ["status": pvbStatus])
            }
        }
    }
}
