import DRBookKube
import DRBookVelero
import Foundation

/// The objects of a generated store, built in memory (tarballs on disk) before
/// upload. Each backup's objects come from `VeleroBackupWriter`, the one writer of the
/// format; the faults then replace or drop what a broken Velero would have left.
struct VeleroObjectPlan {
    let scenario: StoreScenario
    private let writer: VeleroBackupWriter
    private(set) var objects: [StoreUpload] = []
    private let nodes = ["prod-worker-1", "prod-worker-2", "prod-worker-3"]

    init(scenario: StoreScenario, workspace: String) {
        self.scenario = scenario
        writer = VeleroBackupWriter(workspace: workspace, compressionLevel: scenario.compressionLevel)
    }

    mutating func add(_ key: String, _ data: Data) { objects.append(StoreUpload(key: key, content: .data(data))) }

    // MARK: backups

    /// A complete backup: metadata, tarball, PodVolumeBackups, results, resource list, logs, volume info.
    mutating func addBackup(start: Date, faults: [GeneratorFault], random: inout SplitMix64) throws -> (name: String, snapshotIDs: [String: String]) {
        let name = Self.backupName(scenario.schedule, start)
        let backupUID = random.uid()
        let completion = start.addingTimeInterval(scenario.duration)
        var errors: [String: [String]] = [:]
        var items = ItemSet()
        var podVolumeBackups: [[String: Any]] = []
        var volumeInfos: [[String: Any]] = []
        var snapshotIDs: [String: String] = [:]

        for namespace in [scenario.namespace] + scenario.otherNamespaces {
            items.add("namespaces", namespace: nil, name: namespace, json: [
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": ["name": namespace, "uid": random.uid(), "labels": ["kubernetes.io/metadata.name": namespace]],
                "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"],
            ])
            for index in 0..<scenario.resourcesPerNamespace {
                let configMap = "\(namespace)-config-\(index)"
                items.add("configmaps", namespace: namespace, name: configMap, json: [
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": ["name": configMap, "namespace": namespace, "uid": random.uid(), "resourceVersion": String(random.next() % 1_000_000)],
                    "data": ["payload": random.hex(scenario.fillerBytes)],
                ])
            }
        }

        let namespace = scenario.namespace
        for (workloadIndex, workload) in scenario.workloads.enumerated() {
            let statefulSetUID = random.uid()
            items.add("statefulsets.apps", namespace: namespace, name: workload.statefulSet, json: [
                "apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": ["name": workload.statefulSet, "namespace": namespace, "uid": statefulSetUID],
                "spec": [
                    "replicas": workload.replicas, "serviceName": workload.statefulSet,
                    "selector": ["matchLabels": ["app.kubernetes.io/name": workload.statefulSet]],
                    "volumeClaimTemplates": [[
                        "metadata": ["name": workload.claimTemplate],
                        "spec": ["accessModes": ["ReadWriteOnce"], "storageClassName": "hcloud", "resources": ["requests": ["storage": workload.storage]]],
                    ]],
                ],
                "status": ["replicas": workload.replicas, "readyReplicas": workload.replicas],
            ])
            for replica in 0..<workload.replicas {
                let pod = workload.pod(replica), pvc = workload.pvc(replica)
                let podUID = random.uid(), pvcUID = random.uid()
                if faults.contains(.volumeGone(pvc: pvc)) { continue }
                let volume = "pvc-\(pvcUID)"
                let node = nodes[(workloadIndex + replica) % nodes.count]
                if !faults.contains(.podMissingFromTarball(pod: pod)) {
                    items.add("pods", namespace: namespace, name: pod, json: [
                        "apiVersion": "v1", "kind": "Pod",
                        "metadata": [
                            "name": pod, "namespace": namespace, "uid": podUID,
                            "labels": ["app.kubernetes.io/name": workload.statefulSet, "statefulset.kubernetes.io/pod-name": pod],
                            "ownerReferences": [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": workload.statefulSet,
                                                 "uid": statefulSetUID, "controller": true, "blockOwnerDeletion": true]],
                        ],
                        "spec": [
                            "nodeName": node,
                            "containers": [["name": "main", "image": "registry.example/\(workload.statefulSet):v1",
                                            "volumeMounts": [["name": workload.claimTemplate, "mountPath": "/data"]]]],
                            "volumes": [
                                ["name": workload.claimTemplate, "persistentVolumeClaim": ["claimName": pvc]],
                                ["name": "kube-api-access-\(random.hex(5))", "projected": ["defaultMode": 420, "sources": [["serviceAccountToken": ["path": "token"]]]]],
                            ],
                        ],
                        "status": ["phase": "Running"],
                    ])
                }
                let excluded = faults.contains(.pvcExcludedFromBackup(pvc: pvc))
                if excluded {
                    // Nothing of it is backed up: no item, no list entry, no volume data.
                } else if !faults.contains(.pvcMissingFromTarball(pvc: pvc)) {
                    items.add("persistentvolumeclaims", namespace: namespace, name: pvc, json: [
                        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                        "metadata": ["name": pvc, "namespace": namespace, "uid": pvcUID,
                                     "labels": ["app.kubernetes.io/name": workload.statefulSet],
                                     "annotations": ["pv.kubernetes.io/bind-completed": "yes"]],
                        "spec": ["accessModes": ["ReadWriteOnce"], "storageClassName": "hcloud", "volumeMode": "Filesystem",
                                 "volumeName": volume, "resources": ["requests": ["storage": workload.storage]]],
                        "status": ["phase": "Bound", "capacity": ["storage": workload.storage]],
                    ])
                } else {
                    items.listOnly(BackupItem(groupResource: "persistentvolumeclaims", namespace: namespace, name: pvc,
                                              object: ["apiVersion": "v1", "kind": "PersistentVolumeClaim"]))
                }
                items.add("persistentvolumes", namespace: nil, name: volume, json: [
                    "apiVersion": "v1", "kind": "PersistentVolume",
                    "metadata": ["name": volume, "uid": random.uid()],
                    "spec": ["capacity": ["storage": workload.storage], "storageClassName": "hcloud",
                             "claimRef": ["kind": "PersistentVolumeClaim", "namespace": namespace, "name": pvc, "uid": pvcUID],
                             "csi": ["driver": "csi.hetzner.cloud", "volumeHandle": String(random.next() % 100_000_000)]],
                    "status": ["phase": "Bound"],
                ])

                // The PodVolumeBackup, shaped by the faults that touch this PVC.
                var phase = "Completed"
                var snapshotID = random.hex(32)
                var bytes = workload.usedBytes
                var message: String?
                if faults.contains(.podVolumeBackupFailed(pvc: pvc)) {
                    phase = "Failed"
                    snapshotID = ""
                    bytes = 0
                    message = "error running kopia backup: failed to upload data: context deadline exceeded"
                    errors[namespace, default: []].append("pod volume backup failed: \(message!)")
                }
                if faults.contains(.emptySnapshotID(pvc: pvc)) { snapshotID = "" }
                if excluded || faults.contains(.noPodVolumeBackup(pvc: pvc)) { continue }
                if faults.contains(.zeroByteVolume(pvc: pvc)) { bytes = 0 }
                snapshotIDs[pvc] = snapshotID
                let pvbStart = start.addingTimeInterval(60)
                var status: [String: Any] = [
                    "phase": phase, "path": "/host_pods/\(podUID)/volumes/kubernetes.io~csi/\(volume)/mount",
                    "startTimestamp": VeleroJSON.formatTime(pvbStart),
                    "completionTimestamp": VeleroJSON.formatTime(pvbStart.addingTimeInterval(120)),
                    "progress": bytes > 0 ? ["totalBytes": bytes, "bytesDone": bytes] : [String: Any](),
                ]
                if !snapshotID.isEmpty { status["snapshotID"] = snapshotID }
                if let message { status["message"] = message }
                podVolumeBackups.append([
                    "metadata": [
                        "name": "\(name)-\(random.hex(5))", "generateName": "\(name)-", "namespace": scenario.veleroNamespace, "uid": random.uid(),
                        "creationTimestamp": VeleroJSON.formatTime(pvbStart),
                        "labels": ["velero.io/backup-name": name, "velero.io/backup-uid": backupUID, "velero.io/pvc-uid": pvcUID],
                        "annotations": [PodVolumeBackup.pvcNameAnnotation: pvc],
                        "ownerReferences": [["apiVersion": "velero.io/v1", "kind": "Backup", "name": name, "uid": backupUID, "controller": true]],
                    ],
                    "spec": [
                        "node": node, "pod": ["kind": "Pod", "namespace": namespace, "name": pod, "uid": podUID],
                        "volume": workload.claimTemplate, "backupStorageLocation": scenario.storageLocation, "repoIdentifier": "",
                        "uploaderType": "kopia",
                        "tags": ["backup": name, "backup-uid": backupUID, "ns": namespace, "pod": pod, "pod-uid": podUID,
                                 "pvc-uid": pvcUID, "volume": workload.claimTemplate],
                    ],
                    "status": status,
                ])
                volumeInfos.append([
                    "pvcName": pvc, "pvcNamespace": namespace, "pvName": volume, "backupMethod": "PodVolumeBackup",
                    "snapshotDataMoved": false, "skipped": false, "result": phase == "Completed" ? "succeeded" : "failed",
                    "startTimestamp": VeleroJSON.formatTime(pvbStart),
                    "pvInfo": ["reclaimPolicy": "Delete", "labels": [String: String]()],
                    "pvbInfo": ["snapshotHandle": snapshotID, "size": bytes, "uploaderType": "kopia", "volumeName": workload.claimTemplate,
                                "podName": pod, "podNamespace": namespace, "nodeName": node, "Phase": phase],
                ])
            }
        }

        var backupPhase = BackupPhase.completed
        var failureReason: String?
        if let inNamespace = faults.partialFailure {
            if inNamespace {
                errors[namespace, default: []].append("error executing custom action (groupResource=pods, namespace=\(namespace), name=\(scenario.workloads.first.map { $0.pod(0) } ?? "pod")): timed out waiting for hook")
            } else {
                errors["", default: []].append("error backing up item: customresourcedefinitions.apiextensions.k8s.io \"example\" is forbidden")
            }
        }
        if !errors.isEmpty { backupPhase = .partiallyFailed }
        if faults.contains(.failedNewest) {
            backupPhase = .failed
            failureReason = "error getting backup storage location: BackupStorageLocation is unavailable"
        }

        let log = "time=\"\(VeleroJSON.formatTime(start))\" level=info msg=\"Setting up backup log\" backup=\(scenario.veleroNamespace)/\(name) logSource=\"pkg/controller/backup_controller.go:662\"\n"
            + "time=\"\(VeleroJSON.formatTime(completion))\" level=info msg=\"Backup completed\" backup=\(scenario.veleroNamespace)/\(name) logSource=\"pkg/controller/backup_controller.go:791\"\n"
        let metadata = backupJSON(name: name, uid: backupUID, phase: backupPhase, start: start, completion: completion, items: items.count,
                                  errors: errors.values.reduce(0) { $0 + $1.count }, failureReason: failureReason,
                                  timestamps: !faults.contains(.timestampsMissing))
        var uploads = try writer.objects(of: VeleroBackupContents(
            backup: metadata, items: items.items, podVolumeBackups: podVolumeBackups.map(JSONValue.init(jsonObject:)), errors: errors,
            volumeInfos: volumeInfos.map(JSONValue.init(jsonObject:)), log: log))
        try Self.inject(faults, into: &uploads, of: name, items: items)
        objects += uploads
        return (name, snapshotIDs)
    }

    /// What the faults leave of the backup's objects: the tarball cut short, corrupted or
    /// never uploaded, `velero-backup.json` not JSON, a PVC in the resource list only.
    private static func inject(_ faults: [GeneratorFault], into uploads: inout [StoreUpload], of name: String, items: ItemSet) throws {
        func replace(_ key: String, with data: Data) {
            if let index = uploads.firstIndex(where: { $0.key == key }) { uploads[index].content = .data(data) }
        }
        if !items.listedOnly.isEmpty {
            replace(VeleroKeys.resourceList(name), with: try VeleroBackupWriter.gzip(VeleroBackupWriter.resourceList(of: items.items + items.listedOnly)))
        }
        if faults.contains(.truncatedTarball) || faults.contains(.corruptGzip),
           let tarball = uploads.first(where: { $0.key == VeleroKeys.tarball(name) }), case .file(let path) = tarball.content {
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            if faults.contains(.corruptGzip) {
                let middle = bytes.count / 2
                for index in middle..<min(middle + 64, bytes.count) { bytes[index] ^= 0x5A }
            }
            if faults.contains(.truncatedTarball) { bytes = bytes.prefix(bytes.count * 6 / 10) }
            replace(VeleroKeys.tarball(name), with: bytes)
        } else if faults.contains(.tarballMissing) {
            uploads.removeAll { $0.key == VeleroKeys.tarball(name) }
        }
        if faults.contains(.unreadableMetadata) {
            replace(VeleroKeys.metadata(name), with: Data("{\"apiVersion\": \"velero.io/v1\", \"kind\": \"Bac".utf8))
        }
    }

    /// Only `velero-backup.json`: a backup not yet finished (trap 7), or an old one at listing scale.
    mutating func addMetadataOnlyBackup(start: Date, phase: BackupPhase, random: inout SplitMix64) throws -> String {
        let name = Self.backupName(scenario.schedule, start)
        let completion: Date? = phase.isTerminal ? start.addingTimeInterval(scenario.duration) : nil
        objects.append(try VeleroBackupWriter.metadata(backupJSON(name: name, uid: random.uid(), phase: phase, start: start, completion: completion,
                                                                  items: 0, errors: 0, failureReason: nil), name: name))
        return name
    }

    private func backupJSON(name: String, uid: String, phase: BackupPhase, start: Date, completion: Date?, items: Int,
                            errors: Int, failureReason: String?, timestamps: Bool = true) -> JSONValue {
        var status: [String: Any] = [
            "version": 1, "formatVersion": "1.1.0", "phase": phase.rawValue,
            "expiration": VeleroJSON.formatTime(start.addingTimeInterval(scenario.ttl)),
        ]
        if phase != .new {
            status["startTimestamp"] = VeleroJSON.formatTime(start)
            status["progress"] = ["totalItems": items, "itemsBackedUp": items]
        }
        if let completion { status["completionTimestamp"] = VeleroJSON.formatTime(completion) }
        if errors > 0 { status["errors"] = errors }
        if let failureReason { status["failureReason"] = failureReason }
        var backup: [String: Any] = [
            "apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": [
                "name": name, "namespace": scenario.veleroNamespace, "uid": uid, "generation": 7,
                "resourceVersion": String(100_000 + items), "creationTimestamp": VeleroJSON.formatTime(start),
                "labels": [Backup.scheduleLabel: scenario.schedule, Backup.storageLocationLabel: scenario.storageLocation],
                "annotations": ["velero.io/source-cluster-k8s-gitversion": "v1.33.4", "velero.io/source-cluster-k8s-major-version": "1",
                                "velero.io/source-cluster-k8s-minor-version": "33", "velero.io/resource-timeout": "10m0s"],
            ],
            "spec": [
                "metadata": [String: Any](), "includedNamespaces": scenario.includedNamespaces,
                "excludedNamespaces": scenario.excludedNamespaces, "ttl": GoDuration.format(scenario.ttl),
                "hooks": [String: Any](), "storageLocation": scenario.storageLocation, "defaultVolumesToFsBackup": true,
                "snapshotMoveData": true, "csiSnapshotTimeout": "10m0s", "itemOperationTimeout": "4h0m0s",
            ],
            "status": status,
        ]
        if !timestamps {
            status["startTimestamp"] = nil
            status["completionTimestamp"] = nil
            backup["status"] = status
            var metadata = backup["metadata"] as? [String: Any] ?? [:]
            metadata["creationTimestamp"] = nil
            backup["metadata"] = metadata
        }
        return JSONValue(jsonObject: backup)
    }

    // MARK: Kopia

    /// `kopia/<ns>/`: a format blob, blob config, log and index blobs, and packs (opaque to Velero and drbook).
    mutating func addKopiaRepository(namespace: String, random: inout SplitMix64) {
        let prefix = VeleroKeys.kopiaRepository(namespace)
        if !scenario.faults.contains(.missingKopiaFormatBlob) { add(prefix + "kopia.repository", Data("{\"tool\":\"https://github.com/kopia/kopia\",\"buildVersion\":\"0.19.0\",\"uniqueID\":\"\(random.hex(43))\",\"keyAlgo\":\"scrypt-65536-8-1\",\"encryption\":\"AES256-GCM-HMAC-SHA256\"}".utf8)) }
        add(prefix + "kopia.blobcfg", random.bytes(64))
        add(prefix + "_log_\(random.hex(32))_\(random.hex(8))", random.bytes(200))
        add(prefix + "xn0_\(random.hex(32))-\(random.hex(16))-c1", random.bytes(300))
        for _ in 0..<scenario.kopiaPackCount { add(prefix + "p\(random.hex(32))-\(random.hex(16))-c1", random.bytes(512)) }
        add(prefix + "q\(random.hex(32))-\(random.hex(16))-c1", random.bytes(256))
    }

    // MARK: naming

    /// `<schedule>-<YYYYMMDDhhmmss>` in UTC (`TimestampedName`).
    static func backupName(_ schedule: String, _ start: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: start)
        return String(format: "%@-%04d%02d%02d%02d%02d%02d", schedule, c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}

/// The items of one backup, and those a fault leaves in the resource list only.
struct ItemSet {
    private(set) var items: [BackupItem] = []
    private(set) var listedOnly: [BackupItem] = []

    mutating func add(_ groupResource: String, namespace: String?, name: String, json: [String: Any]) {
        items.append(BackupItem(groupResource: groupResource, namespace: namespace, name: name, object: JSONValue(jsonObject: json)))
    }

    /// An entry of the resource list whose item is missing from the tarball (a fault).
    mutating func listOnly(_ item: BackupItem) { listedOnly.append(item) }

    var count: Int { items.count }
}

extension JSONValue {
    /// The generator's dictionary literals as JSON values (Swift's own Int, Int64, Bool, String, arrays, dictionaries, NSNull).
    init(jsonObject: Any) {
        switch jsonObject {
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .int(value)
        case let value as Int64: self = .int(Int(value))
        case let value as Double: self = .double(value)
        case let value as String: self = .string(value)
        case let values as [Any]: self = .array(values.map(JSONValue.init(jsonObject:)))
        case let fields as [String: Any]: self = .object(fields.mapValues(JSONValue.init(jsonObject:)))
        default: self = .null
        }
    }
}
