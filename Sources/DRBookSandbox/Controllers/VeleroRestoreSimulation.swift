import DRBookKube
import DRBookVelero
import Foundation

/// Runs one Restore the way Velero does where it matters to a drill: the Backup CR must
/// exist and its location be Available; items come from the tarball in the store, in
/// Velero's priority order, with `namespaceMapping` applied; existing objects are kept
/// (a warning each) unless `existingResourcePolicy: update`; volume data is restored
/// only for the PodVolumeBackups present in the cluster, and only into pods the restore
/// itself created (reference/velero.md §5): a pod that exists already, e.g. one a
/// StatefulSet made again on a fresh empty claim, is kept and its volumes are silently
/// skipped. PodVolumeRestores advance over a few ticks (`status.progress`) while the
/// Restore stays InProgress, and fail if their pod is deleted or replaced meanwhile.
struct VeleroRestoreSimulation: Sendable {
    let controller: VeleroController
    let cluster: SandboxStore
    /// The ticks a PodVolumeRestore takes from 0 to all its bytes, and their length.
    var volumeTicks = 4
    var tick: Duration = .milliseconds(250)

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
        var createdPods: [String: JSONValue] = [:]
        for item in items {
            let resource = cluster.catalogue.resources.first {
                ($0.group.isEmpty ? $0.name : "\($0.name).\($0.group)") == item.groupResource
            }
            guard let resource else { warnings += 1; continue }
            var object = Self.prepared(item, restore: restore, backup: backup.name, mapping: mapping)
            let namespace = item.namespace.map { mapping[$0] ?? $0 }
            if item.groupResource == "namespaces" { object.set(.string(mapping[item.name] ?? item.name), at: ["metadata", "name"]) }
            do {
                let created = try await cluster.create(resource.groupResource, namespace: namespace, object)
                if item.groupResource == "pods" { createdPods["\(namespace ?? "")/\(created.name)"] = created }
                restored += 1
            } catch let error as APIError where error.reason == .alreadyExists {
                if spec.existingResourcePolicy == "update" {
                    _ = try? await cluster.mergePatch(resource.groupResource, namespace: namespace, name: object.name,
                                                      ["metadata": ["labels": object[path: ["metadata", "labels"]] ?? .null]])
                }
                warnings += 1
            }
        }

        // The Restore's own annotation, else the Backup's for its restores (a Restore that
        // drbook creates carries no sandbox annotation).
        let (outcome, requestedBy) = restore.annotations[SimulationAnnotation.outcome].map { ($0, SimulationAnnotation.outcome) }
            ?? (backup.annotations[SimulationAnnotation.restoreOutcome], SimulationAnnotation.restoreOutcome)
        status["progress"] = ["totalItems": .int(items.count), "itemsRestored": .int(restored)]
        await patchStatus(cluster, VeleroController.restores, restore, status)
        // Up to v1.18.2 a resource filter without both claims and volumes makes no PodVolumeRestores.
        let filter = (restore[path: ["spec", "includedResources"]]?.arrayValue ?? []).compactMap(\.stringValue)
        let volumesGated = !filter.isEmpty && !filter.contains("*")
            && !(filter.contains("persistentvolumeclaims") && filter.contains("persistentvolumes"))
        var volumes = self
        if let seconds = backup.annotations[SimulationAnnotation.volumeRestoreSeconds].flatMap(Double.init), seconds > 0 {
            volumes.tick = .milliseconds(Int(seconds * 1000) / max(volumeTicks, 1))
        }
        var errors = volumesGated ? 0 : try await volumes.restoreVolumes(restore: restore, backup: backup.name, mapping: mapping, createdPods: createdPods,
                                                                         outcome: outcome, requestedBy: requestedBy)
        var phase = errors == 0 ? "Completed" : "PartiallyFailed"
        switch outcome {
        case "Failed"?:
            phase = "Failed"
            status["failureReason"] = .string("sandbox: failure requested by \(requestedBy)")
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
    /// holds and whose pod this restore created (Velero makes none for a pod that existed:
    /// the trap of a controller that recreated it first); they advance together over
    /// `volumeTicks` ticks. Returns how many failed.
    private func restoreVolumes(restore: JSONValue, backup: String, mapping: [String: String], createdPods: [String: JSONValue],
                                outcome: String?, requestedBy: String) async throws -> Int {
        let ns = controller.veleroNamespace
        let podVolumeBackups = try await cluster.list(VeleroController.podVolumeBackups, namespace: ns, options: ListOptions(
            labelSelector: try LabelSelector(parsing: "velero.io/backup-name=\(backup)"))).items
        struct Running { var name: String; var pod: JSONValue; var total: Int; var failure: String? }
        var running: [Running] = []
        for pvb in podVolumeBackups where pvb.string("status", "phase") == "Completed" && !(pvb.string("status", "snapshotID") ?? "").isEmpty {
            let sourceNamespace = pvb.string("spec", "pod", "namespace") ?? ""
            let targetNamespace = mapping[sourceNamespace] ?? sourceNamespace
            let podName = pvb.string("spec", "pod", "name") ?? ""
            guard let pod = createdPods["\(targetNamespace)/\(podName)"] else { continue }
            // The first volume for a PartiallyFailed restore; the volume whose PodVolumeBackup asks for it.
            let failure: String? = (outcome == "PartiallyFailed" && running.allSatisfy { $0.failure == nil })
                ? "sandbox: failure requested by \(requestedBy)"
                : pvb.annotations[SimulationAnnotation.restoreOutcome] == "Failed"
                    ? "sandbox: failure requested by \(SimulationAnnotation.restoreOutcome) on PodVolumeBackup \(pvb.name)" : nil
            let object: JSONValue = [
                "apiVersion": "velero.io/v1", "kind": "PodVolumeRestore",
                "metadata": [
                    "name": .string("\(restore.name)-\(SimulationRandom.suffix())"), "namespace": .string(ns),
                    "labels": ["velero.io/restore-name": .string(restore.name), "velero.io/restore-uid": .string(restore.uid ?? ""),
                               "velero.io/pod-uid": .string(pod.uid ?? "")],
                    "ownerReferences": [["apiVersion": "velero.io/v1", "kind": "Restore", "name": .string(restore.name),
                                         "uid": .string(restore.uid ?? ""), "controller": true]],
                ],
                "spec": [
                    "pod": ["kind": "Pod", "namespace": .string(targetNamespace), "name": .string(podName), "uid": .string(pod.uid ?? "")],
                    "volume": pvb[path: ["spec", "volume"]] ?? "", "snapshotID": pvb[path: ["status", "snapshotID"]] ?? "",
                    "sourceNamespace": .string(sourceNamespace), "uploaderType": "kopia", "repoIdentifier": "",
                    "backupStorageLocation": pvb[path: ["spec", "backupStorageLocation"]] ?? "",
                ],
            ]
            let created = try await cluster.create(VeleroController.podVolumeRestores, namespace: ns, object)
            let total = pvb[path: ["status", "progress", "totalBytes"]]?.intValue ?? 0
            _ = try await cluster.patchStatus(VeleroController.podVolumeRestores, namespace: ns, name: created.name, ["status": [
                "phase": "InProgress", "startTimestamp": controller.timestamp(), "node": .string(pod.string("spec", "nodeName") ?? "sandbox-node"),
                "progress": ["totalBytes": .int(total), "bytesDone": 0],
            ]])
            running.append(Running(name: created.name, pod: pod, total: total, failure: failure))
        }
        var failures = 0
        var open = Array(running.indices)
        for step in 1...max(volumeTicks, 1) where !open.isEmpty {
            try await Task.sleep(for: tick)
            for index in open {
                var volume = running[index]
                let current = try? await cluster.get(WorkloadController.pods, namespace: volume.pod.namespace, name: volume.pod.name)
                if current?.uid != volume.pod.uid {
                    volume.failure = "pod \(volume.pod.namespace ?? "")/\(volume.pod.name) was deleted or replaced before its volume was restored"
                }
                let done = volume.total * step / max(volumeTicks, 1)
                var status: JSONValue = ["progress": ["totalBytes": .int(volume.total), "bytesDone": .int(done)]]
                // A failing volume stops halfway, as a broken read of the repository does.
                let ends = volume.failure != nil ? step * 2 >= volumeTicks || current?.uid != volume.pod.uid : step == volumeTicks
                if ends {
                    status["phase"] = volume.failure == nil ? "Completed" : "Failed"
                    status["completionTimestamp"] = controller.timestamp()
                    if let failure = volume.failure { status["message"] = .string(failure); failures += 1 }
                    open.removeAll { $0 == index }
                }
                _ = try? await cluster.patchStatus(VeleroController.podVolumeRestores, namespace: controller.veleroNamespace, name: volume.name, ["status": status])
                running[index] = volume
            }
        }
        return failures
    }
}

extension SimulationAnnotation {
    /// On a Backup: `Failed` or `PartiallyFailed` makes every Restore from it end so (the first
    /// PodVolumeRestore fails for PartiallyFailed), for restores whose object a test does not write.
    /// On a PodVolumeBackup: `Failed` makes the PodVolumeRestore of that one volume fail halfway,
    /// and so its Restore end PartiallyFailed.
    public static let restoreOutcome = "sandbox.drbook.dev/simulate-restore-outcome"
    /// On a Backup: how many seconds the PodVolumeRestores of a restore from it take (default 1).
    public static let volumeRestoreSeconds = "sandbox.drbook.dev/volume-restore-seconds"
}
