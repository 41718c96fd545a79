import DRBookKube
import DRBookVelero
import Foundation

/// Runs one Backup: collects the included namespaces' objects from the sandbox store,
/// backs up each pod's PVC volumes with a PodVolumeBackup (Kopia), writes everything to
/// the object store in Velero's layout, then marks the Backup Completed.
struct VeleroBackupSimulation: Sendable {
    let controller: VeleroController
    let cluster: SandboxStore

    /// Resources Velero never backs up, or that the sandbox does not put in a tarball.
    static let skippedGroups: Set<String> = ["velero.io", "authorization.k8s.io"]
    static let skippedResources: Set<String> = ["events"]

    func handle(_ backup: JSONValue) async {
        let phase = backup.string("status", "phase") ?? ""
        guard phase.isEmpty || phase == "New" else { return }
        // A backup already in the store was synced from it, not asked for.
        if (try? await controller.store.exists(VeleroKeys.metadata(backup.name))) == true { return }
        do {
            try await run(backup)
        } catch {
            await patchStatus(cluster, VeleroController.backups, backup, [
                "phase": "Failed", "failureReason": .string("sandbox: \(error)"), "completionTimestamp": controller.timestamp(),
            ])
        }
    }

    private func run(_ original: JSONValue) async throws {
        let typed = try original.decode(Backup.self)
        let locationName = typed.spec.storageLocation
        guard let location = await controller.location(named: locationName, in: cluster) else {
            await patchStatus(cluster, VeleroController.backups, original, [
                "phase": "FailedValidation",
                "validationErrors": [.string("an existing backup storage location was not specified at backup creation time and the default \"\(locationName ?? "default")\" was not found")],
            ])
            return
        }
        let start = controller.clock.now()
        let ttl = typed.spec.ttl.flatMap(GoDuration.parse) ?? 720 * 3600
        var status: JSONValue = [
            "phase": "InProgress", "version": 1, "formatVersion": "1.1.0",
            "startTimestamp": .string(KubeJSON.formatTime(start)),
            "expiration": .string(KubeJSON.formatTime(start.addingTimeInterval(ttl))),
        ]
        await patchStatus(cluster, VeleroController.backups, original, status)
        if location.string("status", "phase") == "Unavailable" {
            status["phase"] = "Failed"
            status["failureReason"] = .string("BackupStorageLocation \"\(location.name)\" is unavailable")
            status["completionTimestamp"] = controller.timestamp()
            await patchStatus(cluster, VeleroController.backups, original, status)
            return
        }

        let collected = try await collectItems(typed)
        let items = collected.items
        var podVolumeBackups: [JSONValue] = []
        var errors: [String: [String]] = [:]
        for volume in volumesToBackUp(typed, collected) {
            let pvb = try await createPodVolumeBackup(backup: original, location: location.name, volume: volume)
            if pvb.string("status", "phase") != "Completed" {
                errors[volume.pod.namespace ?? "", default: []].append("pod volume backup failed: \(pvb.string("status", "message") ?? "")")
            }
            podVolumeBackups.append(pvb)
            try await ensureKopiaRepository(volume.pod.namespace ?? "")
        }

        var finalPhase = errors.isEmpty ? "Completed" : "PartiallyFailed"
        switch original.annotations[SimulationAnnotation.outcome] {
        case "Failed"?: finalPhase = "Failed"
        case "PartiallyFailed"?:
            finalPhase = "PartiallyFailed"
            errors["", default: []].append("sandbox: partial failure requested by \(SimulationAnnotation.outcome)")
        default: break
        }
        let errorCount = errors.values.reduce(0) { $0 + $1.count }
        status["phase"] = .string(finalPhase)
        status["completionTimestamp"] = controller.timestamp()
        status["progress"] = ["totalItems": .int(items.count), "itemsBackedUp": .int(items.count)]
        if errorCount > 0 { status["errors"] = .int(errorCount) }
        if finalPhase == "Failed" { status["failureReason"] = .string("sandbox: failure requested by \(SimulationAnnotation.outcome)") }

        if finalPhase != "Failed" {
            var stored = (try? await cluster.get(VeleroController.backups, namespace: original.namespace, name: original.name)) ?? original
            stored["status"] = status
            stored.set(.string(location.name), at: ["metadata", "labels", Backup.storageLocationLabel])
            let log = "time=\"\(KubeJSON.formatTime(start))\" level=info msg=\"Setting up backup log\" backup=\(controller.veleroNamespace)/\(original.name)\n"
                + "time=\"\(KubeJSON.formatTime(controller.clock.now()))\" level=info msg=\"Backup completed\" backup=\(controller.veleroNamespace)/\(original.name)\n"
            try await VeleroBackupWriter().write(VeleroBackupContents(backup: stored, items: items, podVolumeBackups: podVolumeBackups,
                                                                      errors: errors, log: log), to: controller.store)
        }
        await patchStatus(cluster, VeleroController.backups, original, status)
        if let schedule = typed.schedule, finalPhase != "Failed" {
            _ = try? await cluster.patchStatus(VeleroController.schedules, namespace: controller.veleroNamespace, name: schedule,
                                                ["status": ["lastBackup": .string(KubeJSON.formatTime(start))]])
        }
    }

    /// The label that keeps an object (and, on a claim or a pod, its volume data) out of every backup.
    static let excludeLabel = "velero.io/exclude-from-backup"
    /// Pod annotations: the volumes to back up when fs-backup is not the default, and those never to back up.
    static let volumesAnnotation = "backup.velero.io/backup-volumes"
    static let excludedVolumesAnnotation = "backup.velero.io/backup-volumes-excludes"

    static func excluded(_ object: JSONValue) -> Bool {
        object[path: ["metadata", "labels", excludeLabel]]?.stringValue == "true"
    }

    /// One pod volume on a claim that a backup takes with a PodVolumeBackup.
    struct PodVolume: Sendable {
        var pod: JSONValue
        var volume: String
        var claimName: String
        var claim: JSONValue?
    }

    /// The claim volumes of the backed-up pods that get a PodVolumeBackup: every one with
    /// fs-backup by default, else those the pod's annotation opts in; never one the pod's
    /// excludes annotation names or whose claim carries the exclude label (reference/velero.md §6).
    func volumesToBackUp(_ backup: Backup, _ collected: Collected) -> [PodVolume] {
        let fsBackupByDefault = backup.spec.defaultVolumesToFsBackup ?? false
        let claims = Dictionary(collected.items.filter { $0.groupResource == "persistentvolumeclaims" }.map { ("\($0.namespace ?? "")/\($0.name)", $0.object) },
                                uniquingKeysWith: { first, _ in first })
        var volumes: [PodVolume] = []
        for pod in collected.items where pod.groupResource == "pods" {
            let optedIn = Self.names(pod.object.annotations[Self.volumesAnnotation])
            let optedOut = Self.names(pod.object.annotations[Self.excludedVolumesAnnotation])
            for volume in pod.object[path: ["spec", "volumes"]]?.arrayValue ?? [] {
                guard let claimName = volume[path: ["persistentVolumeClaim", "claimName"]]?.stringValue,
                      let volumeName = volume["name"]?.stringValue,
                      fsBackupByDefault || optedIn.contains(volumeName), !optedOut.contains(volumeName) else { continue }
                let key = "\(pod.namespace ?? "")/\(claimName)"
                // An excluded claim's data is not taken either.
                guard !collected.excludedClaims.contains(key) else { continue }
                volumes.append(PodVolume(pod: pod.object, volume: volumeName, claimName: claimName, claim: claims[key]))
            }
        }
        return volumes
    }

    private static func names(_ annotation: String?) -> Set<String> {
        Set((annotation ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// What a backup takes from the cluster, and the claims it leaves out by their label (`namespace/name`).
    struct Collected: Sendable {
        var items: [BackupItem]
        var excludedClaims: Set<String>
    }

    /// What the backup takes from the cluster: its namespaces and their objects, and the
    /// volumes bound to their claims, without anything labelled to be excluded.
    func collectItems(_ backup: Backup) async throws -> Collected {
        let namespaces = try await cluster.list(SandboxStore.namespaces).items.filter { backup.includes(namespace: $0.name) }
        let included = Set(namespaces.map(\.name))
        var items = namespaces.filter { !Self.excluded($0) }
            .map { BackupItem(groupResource: "namespaces", namespace: nil, name: $0.name, object: $0) }
        var excludedClaims: Set<String> = []
        for resource in cluster.catalogue.resources where resource.namespaced
            && !Self.skippedGroups.contains(resource.group) && !Self.skippedResources.contains(resource.name) {
            let folder = resource.group.isEmpty ? resource.name : "\(resource.name).\(resource.group)"
            for namespace in included.sorted() {
                for object in try await cluster.list(resource.groupResource, namespace: namespace).items {
                    guard !Self.excluded(object) else {
                        if folder == "persistentvolumeclaims" { excludedClaims.insert("\(namespace)/\(object.name)") }
                        continue
                    }
                    items.append(BackupItem(groupResource: folder, namespace: namespace, name: object.name, object: object))
                }
            }
        }
        // Persistent volumes bound to the included claims (Velero takes a PV with its claim).
        for volume in try await cluster.list(GroupResource(.persistentVolumes)).items where !Self.excluded(volume) {
            if let claimNamespace = volume.string("spec", "claimRef", "namespace"), included.contains(claimNamespace),
               !excludedClaims.contains("\(claimNamespace)/\(volume.string("spec", "claimRef", "name") ?? "")") {
                items.append(BackupItem(groupResource: "persistentvolumes", namespace: nil, name: volume.name, object: volume))
            }
        }
        return Collected(items: items, excludedClaims: excludedClaims)
    }

    private func createPodVolumeBackup(backup: JSONValue, location: String, volume: PodVolume) async throws -> JSONValue {
        let failed = volume.claim?.annotations[SimulationAnnotation.outcome] == "Failed"
            || volume.pod.annotations[SimulationAnnotation.outcome] == "Failed"
        var (object, status) = podVolumeBackup(backup: backup, location: location, volume: volume, at: controller.clock.now(),
                                               bytes: Self.usedBytes(volume.claim), failed: failed)
        object["status"] = nil
        let created = try await cluster.create(VeleroController.podVolumeBackups, namespace: controller.veleroNamespace, object)
        return try await cluster.patchStatus(VeleroController.podVolumeBackups, namespace: controller.veleroNamespace,
                                             name: created.name, ["status": status])
    }

    /// The bytes a claim's volume holds: its `SimulationAnnotation.usedBytes`, else 1 MiB.
    static func usedBytes(_ claim: JSONValue?) -> Int {
        claim?.annotations[SimulationAnnotation.usedBytes].flatMap(Int.init) ?? 1 << 20
    }

    /// A PodVolumeBackup as Velero's node-agent leaves it (reference/velero.md §3), and its
    /// status apart, for the live path that creates it first and sets the status after.
    func podVolumeBackup(backup: JSONValue, location: String, volume: PodVolume, at time: Date, bytes: Int,
                         failed: Bool) -> (object: JSONValue, status: JSONValue) {
        let when = JSONValue.string(KubeJSON.formatTime(time))
        let pod = volume.pod
        let namespace = pod.namespace ?? ""
        var status: JSONValue = [
            "phase": failed ? "Failed" : "Completed", "startTimestamp": when, "completionTimestamp": when,
            "path": .string("/host_pods/\(pod.uid ?? "")/volumes/kubernetes.io~csi/\(volume.claim?.string("spec", "volumeName") ?? volume.claimName)/mount"),
            "progress": ["totalBytes": .int(bytes), "bytesDone": .int(failed ? 0 : bytes)],
        ]
        if failed { status["message"] = .string("sandbox: pod volume backup failure requested by \(SimulationAnnotation.outcome)") } else {
            status["snapshotID"] = .string(SimulationRandom.hex(32))
        }
        let object: JSONValue = [
            "apiVersion": "velero.io/v1", "kind": "PodVolumeBackup",
            "metadata": [
                "name": .string("\(backup.name)-\(SimulationRandom.suffix())"), "namespace": .string(controller.veleroNamespace),
                "labels": ["velero.io/backup-name": .string(backup.name), "velero.io/backup-uid": .string(backup.uid ?? ""),
                           "velero.io/pvc-uid": .string(volume.claim?.uid ?? "")],
                "annotations": ["velero.io/pvc-name": .string(volume.claimName)],
                "ownerReferences": [["apiVersion": "velero.io/v1", "kind": "Backup", "name": .string(backup.name),
                                     "uid": .string(backup.uid ?? ""), "controller": true]],
            ],
            "spec": [
                "node": .string(pod.string("spec", "nodeName") ?? "sandbox-node"),
                "pod": ["kind": "Pod", "namespace": .string(namespace), "name": .string(pod.name), "uid": .string(pod.uid ?? "")],
                "volume": .string(volume.volume), "backupStorageLocation": .string(location), "repoIdentifier": "", "uploaderType": "kopia",
                "tags": ["backup": .string(backup.name), "ns": .string(namespace), "pod": .string(pod.name), "volume": .string(volume.volume)],
            ],
            "status": status,
        ]
        return (object, status)
    }

    /// The namespace's Kopia repository under `kopia/<namespace>/`: its format blob once, and
    /// a pack blob per snapshot (opaque here, as Kopia's own format is to Velero).
    func ensureKopiaRepository(_ namespace: String) async throws {
        let prefix = VeleroKeys.kopiaRepository(namespace)
        if try await !controller.store.exists(prefix + "kopia.repository") {
            try await controller.store.write(prefix + "kopia.repository", data: Data(
                "{\"tool\":\"https://github.com/kopia/kopia\",\"uniqueID\":\"\(SimulationRandom.hex(43))\",\"encryption\":\"AES256-GCM-HMAC-SHA256\"}".utf8))
        }
        try await controller.store.write(prefix + "p\(SimulationRandom.hex(32))-c1", data: Data(SimulationRandom.hex(512).utf8))
    }
}
