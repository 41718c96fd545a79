import DRBookKube
import DRBookVelero
import Foundation

/// Runs one Restore the way Velero does where it matters to a drill: the Backup CR must
/// exist and its location be Available; items come from the tarball in the store, in
/// Velero's priority order, with `namespaceMapping` applied; existing objects are kept
/// (a warning each) unless `existingResourcePolicy: update`; volume data is restored
/// only for the PodVolumeBackups present in the cluster.
struct VeleroRestoreSimulation: Sendable {
    let controller: VeleroController
    let cluster: SandboxStore

    /// Never restored (Velero's non-restorable resources, and persistent volumes, which
    /// fs-backup re-provisions dynamically).
    static let skipped: Set<String> = ["nodes", "events", "events.events.k8s.io", "backups.velero.io", "restores.velero.io",
                                       "podvolumebackups.velero.io", "podvolumerestores.velero.io", "persistentvolumes"]
    /// Velero's default restore priorities, the ones the sandbox serves; the rest follows.
    static let priorities = ["namespaces", "persistentvolumeclaims", "serviceaccounts", "secrets", "configmaps", "pods"]

    func handle(_ restore: JSONValue) async {
        let phase = restore.string("status", "phase") ?? ""
        guard phase.isEmpty || phase == "New" else { return }
        do {
            try await run(restore)
        } catch {
            await patchStatus(cluster, VeleroController.restores, restore, [
                "phase": "Failed", "failureReason": .string("sandbox: \(error)"), "completionTimestamp": controller.timestamp(),
            ])
        }
    }

    private func fail(_ restore: JSONValue, validation message: String) async {
        await patchStatus(cluster, VeleroController.restores, restore,
                          ["phase": "FailedValidation", "validationErrors": [.string(message)]])
    }

    private func run(_ restore: JSONValue) async throws {
        let spec = try restore.decode(Restore.self).spec
        guard let backup = try await sourceBackup(spec) else {
            await fail(restore, validation: "Error retrieving backup: backups.velero.io \"\(spec.backupName ?? spec.scheduleName ?? "")\" not found")
            return
        }
        let location = await controller.location(named: backup.string("spec", "storageLocation"), in: cluster)
        guard location?.string("status", "phase") == "Available" else {
            await fail(restore, validation: "backup storage location \"\(location?.name ?? "default")\" is unavailable")
            return
        }
        var status: JSONValue = ["phase": "InProgress", "startTimestamp": controller.timestamp()]
        await patchStatus(cluster, VeleroController.restores, restore, status)

        let mapping = spec.namespaceMapping ?? [:]
        let selects = { (namespace: String) in
            Backup.includes(namespace: namespace, included: spec.includedNamespaces, excluded: spec.excludedNamespaces)
        }
        let items = try await BackupItemReader.items(of: backup.name, in: controller.store)
            .filter { item in
                !Self.skipped.contains(item.groupResource)
                    && (item.namespace.map(selects) ?? (item.groupResource != "namespaces" || selects(item.name)))
            }
            .sorted { Self.rank($0.groupResource) < Self.rank($1.groupResource) }
        var restored = 0
        var warnings = 0
        for item in items {
            let resource = cluster.catalogue.resources.first {
                ($0.group.isEmpty ? $0.name : "\($0.name).\($0.group)") == item.groupResource
            }
            guard let resource else { warnings += 1; continue }
            var object = Self.prepared(item, restore: restore, backup: backup.name, mapping: mapping)
            let namespace = item.namespace.map { mapping[$0] ?? $0 }
            if item.groupResource == "namespaces" { object.set(.string(mapping[item.name] ?? item.name), at: ["metadata", "name"]) }
            do {
                _ = try await cluster.create(resource.groupResource, namespace: namespace, object)
                restored += 1
            } catch let error as APIError where error.reason == .alreadyExists {
                if spec.existingResourcePolicy == "update" {
                    _ = try? await cluster.mergePatch(resource.groupResource, namespace: namespace, name: object.name,
                                                      ["metadata": ["labels": object[path: ["metadata", "labels"]] ?? .null]])
                }
                warnings += 1
            }
        }

        var errors = try await restoreVolumes(restore: restore, backup: backup.name, mapping: mapping)
        var phase = errors == 0 ? "Completed" : "PartiallyFailed"
        switch restore.annotations[SimulationAnnotation.outcome] {
        case "Failed"?:
            phase = "Failed"
            status["failureReason"] = .string("sandbox: failure requested by \(SimulationAnnotation.outcome)")
        case "PartiallyFailed"?:
            phase = "PartiallyFailed"
            errors = max(errors, 1)
        default: break
        }
        status["phase"] = .string(phase)
        status["completionTimestamp"] = controller.timestamp()
        status["progress"] = ["totalItems": .int(items.count), "itemsRestored": .int(restored)]
        if warnings > 0 { status["warnings"] = .int(warnings) }
        if errors > 0 { status["errors"] = .int(errors) }
        await patchStatus(cluster, VeleroController.restores, restore, status)
    }

    private func sourceBackup(_ spec: Restore.Spec) async throws -> JSONValue? {
        let ns = controller.veleroNamespace
        if let name = spec.backupName, !name.isEmpty {
            return try? await cluster.get(VeleroController.backups, namespace: ns, name: name)
        }
        guard let schedule = spec.scheduleName else { return nil }
        return try await cluster.list(VeleroController.backups, namespace: ns).items
            .filter { $0[path: ["metadata", "labels", Backup.scheduleLabel]]?.stringValue == schedule && $0.string("status", "phase") == "Completed" }
            .max { ($0.string("status", "startTimestamp") ?? "") < ($1.string("status", "startTimestamp") ?? "") }
    }

    static func rank(_ groupResource: String) -> Int { priorities.firstIndex(of: groupResource) ?? priorities.count }

    /// The object as Velero writes it back: server-set metadata and status dropped, the
    /// restore's labels added, PVCs unbound (fs-backup volumes are provisioned anew) and
    /// pods not yet scheduled.
    static func prepared(_ item: BackupItem, restore: JSONValue, backup: String, mapping: [String: String]) -> JSONValue {
        var object = item.object
        for field in ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp", "ownerReferences"] {
            object.set(nil, at: ["metadata", field])
        }
        if let namespace = item.namespace { object.set(.string(mapping[namespace] ?? namespace), at: ["metadata", "namespace"]) }
        object.set(.string(backup), at: ["metadata", "labels", "velero.io/backup-name"])
        object.set(.string(restore.name), at: ["metadata", "labels", "velero.io/restore-name"])
        object["status"] = nil
        switch item.groupResource {
        case "persistentvolumeclaims":
            object.set(nil, at: ["spec", "volumeName"])
            object.set(nil, at: ["metadata", "annotations", "pv.kubernetes.io/bind-completed"])
            object.set(nil, at: ["metadata", "annotations", "pv.kubernetes.io/bound-by-controller"])
        case "pods":
            object.set(nil, at: ["spec", "nodeName"])
        default: break
        }
        return object
    }

    /// One PodVolumeRestore per restorable PodVolumeBackup of the backup that the cluster
    /// holds; returns how many failed.
    private func restoreVolumes(restore: JSONValue, backup: String, mapping: [String: String]) async throws -> Int {
        let ns = controller.veleroNamespace
        let podVolumeBackups = try await cluster.list(VeleroController.podVolumeBackups, namespace: ns, options: ListOptions(
            labelSelector: try LabelSelector(parsing: "velero.io/backup-name=\(backup)"))).items
        var failures = 0
        for pvb in podVolumeBackups where pvb.string("status", "phase") == "Completed" && !(pvb.string("status", "snapshotID") ?? "").isEmpty {
            let sourceNamespace = pvb.string("spec", "pod", "namespace") ?? ""
            let targetNamespace = mapping[sourceNamespace] ?? sourceNamespace
            let podName = pvb.string("spec", "pod", "name") ?? ""
            let pod = try? await cluster.get(GroupResource(.pods), namespace: targetNamespace, name: podName)
            let failed = restore.annotations[SimulationAnnotation.outcome] == "PartiallyFailed" && failures == 0
            let bytes = pvb[path: ["status", "progress", "totalBytes"]] ?? 0
            let object: JSONValue = [
                "apiVersion": "velero.io/v1", "kind": "PodVolumeRestore",
                "metadata": [
                    "name": .string("\(restore.name)-\(SimulationRandom.suffix())"), "namespace": .string(ns),
                    "labels": ["velero.io/restore-name": .string(restore.name), "velero.io/restore-uid": .string(restore.uid ?? ""),
                               "velero.io/pod-uid": .string(pod?.uid ?? "")],
                    "ownerReferences": [["apiVersion": "velero.io/v1", "kind": "Restore", "name": .string(restore.name),
                                         "uid": .string(restore.uid ?? ""), "controller": true]],
                ],
                "spec": [
                    "pod": ["kind": "Pod", "namespace": .string(targetNamespace), "name": .string(podName), "uid": .string(pod?.uid ?? "")],
                    "volume": pvb[path: ["spec", "volume"]] ?? "", "snapshotID": pvb[path: ["status", "snapshotID"]] ?? "",
                    "sourceNamespace": .string(sourceNamespace), "uploaderType": "kopia", "repoIdentifier": "",
                    "backupStorageLocation": pvb[path: ["spec", "backupStorageLocation"]] ?? "",
                ],
            ]
            let created = try await cluster.create(VeleroController.podVolumeRestores, namespace: ns, object)
            var status: JSONValue = [
                "phase": (failed || pod == nil) ? "Failed" : "Completed",
                "startTimestamp": controller.timestamp(), "completionTimestamp": controller.timestamp(),
                "progress": ["totalBytes": bytes, "bytesDone": failed || pod == nil ? 0 : bytes],
            ]
            if pod == nil { status["message"] = .string("pod \(targetNamespace)/\(podName) was not restored") }
            if failed { status["message"] = .string("sandbox: failure requested by \(SimulationAnnotation.outcome)") }
            _ = try await cluster.patchStatus(VeleroController.podVolumeRestores, namespace: ns, name: created.name, ["status": status])
            if failed || pod == nil { failures += 1 }
        }
        return failures
    }
}
