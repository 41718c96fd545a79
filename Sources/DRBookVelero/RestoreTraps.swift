import DRBookKube
import Foundation

/// One way a restore would silently lose data or break (reference/velero.md "Traps"), found
/// before the Restore exists: what, on which object, and the exact fix.
public struct RestoreTrap: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case blocking, warning }
    public var severity: Severity
    public var subject: String
    public var message: String
    public var fix: String?

    public init(_ severity: Severity, _ subject: String, _ message: String, fix: String?) {
        self.severity = severity
        self.subject = subject
        self.message = message
        self.fix = fix
    }

    public var description: String { "\(subject): \(message)" }
}

/// The Secret that holds the Kopia repository's password (the platform profile names it).
public struct RepositoryPasswordSecret: Sendable, Equatable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public var key: String

    public init(namespace: String, name: String, key: String) {
        self.namespace = namespace
        self.name = name
        self.key = key
    }

    public var description: String { "Secret \(namespace)/\(name)" }
}

/// Reads the cluster (and the store, when one is given) and lists the traps a restore would
/// fall into. Read-only: it lists and gets, never writes.
public struct RestoreTrapCheck: Sendable {
    public var client: KubeClient
    public var request: RestoreRequest
    /// The backup store, to count the backup's PodVolumeBackups as the bucket holds them.
    public var store: (any BackupStore)?
    public var repositoryPassword: RepositoryPasswordSecret?

    public init(client: KubeClient, request: RestoreRequest, store: (any BackupStore)? = nil, repositoryPassword: RepositoryPasswordSecret?) {
        self.client = client
        self.request = request
        self.store = store
        self.repositoryPassword = repositoryPassword
    }

    /// The checks as the journal and the dry-run plan list them.
    public var checks: [String] { Self.checks(request, storeGiven: store != nil, repositoryPassword: repositoryPassword) }

    /// The same, before a client or store exists (describing a preflight does no I/O).
    public static func checks(_ request: RestoreRequest, storeGiven: Bool, repositoryPassword: RepositoryPasswordSecret?) -> [String] {
        var checks = [
            "backup \(request.backup) exists in the cluster and its location is Available",
            "every PodVolumeBackup of \(request.backup) is synced into the cluster" + (storeGiven ? " (compared with the store)" : ""),
            "the resource filter restores persistentvolumeclaims and persistentvolumes",
            "no pod to be restored, nor its StatefulSet, Deployment or operator, exists in \(request.targetNamespaces.joined(separator: ", "))",
            "no claim to be restored exists already in \(request.targetNamespaces.joined(separator: ", "))",
        ]
        if let repositoryPassword { checks.append("\(repositoryPassword) holds the Kopia repository password (key \(repositoryPassword.key))") }
        return checks
    }

    public func run() async throws -> [RestoreTrap] {
        var traps: [RestoreTrap] = []
        if let missing = request.missingVolumeResources {
            traps.append(RestoreTrap(.blocking, "input 'includedResources'",
                                     "the resource filter [\(request.includedResources?.joined(separator: ", ") ?? "")] lacks \(missing.joined(separator: " and ")): Velero (up to v1.18.2) then creates no PodVolumeRestores, so no volume data comes back",
                                     fix: "add persistentvolumeclaims and persistentvolumes to includedResources, or give none to restore everything"))
        }
        guard let backup = try await client.getIfPresent(Backup.self, request.backup, namespace: request.veleroNamespace) else {
            traps.append(RestoreTrap(.blocking, "backup \(request.veleroNamespace)/\(request.backup)",
                                     "is not in the cluster: Velero refuses a restore from a backup it has not synced from the store (FailedValidation)",
                                     fix: "wait for the backup sync (every backupSyncPeriod, 1m by default, once the location is Available) and check `kubectl -n \(request.veleroNamespace) get backups.velero.io \(request.backup)`"))
            return traps + (try await secretTraps())
        }
        traps += try await locationTraps(backup)
        let podVolumeBackups = try await client.list(PodVolumeBackup.self, namespace: request.veleroNamespace,
                                                     labelSelector: "\(PodVolumeBackup.backupNameLabel)=\(request.backup)").items
        traps += try await syncTraps(backup, inCluster: podVolumeBackups)
        let restorable = podVolumeBackups.filter { $0.isRestorable && request.includedNamespaces.contains($0.podNamespace ?? "") }
        traps += try await liveTargetTraps(restorable)
        traps += try await secretTraps()
        return traps
    }

    private func locationTraps(_ backup: Backup) async throws -> [RestoreTrap] {
        let name = backup.spec.storageLocation ?? "default"
        guard let location = try await client.getIfPresent(BackupStorageLocation.self, name, namespace: request.veleroNamespace) else {
            return [RestoreTrap(.blocking, "backupstoragelocation \(request.veleroNamespace)/\(name)", "does not exist, and Velero restores only from an Available location",
                                fix: "create the location the backup names, or restore a backup of an existing one")]
        }
        guard location.isAvailable else {
            return [RestoreTrap(.blocking, "backupstoragelocation \(request.veleroNamespace)/\(name)",
                                "is \(location.status?.phase ?? "not validated yet"), and Velero restores only from an Available location (\(location.status?.message ?? "no message"))",
                                fix: "fix what the message names (credentials, endpoint, a stray top-level folder), then wait for the next validation (velero.locationAvailable)")]
        }
        return []
    }

    /// Trap 1: Velero lists PodVolumeBackups from the cluster, so those the sync has not yet
    /// created restore nothing, without an error.
    private func syncTraps(_ backup: Backup, inCluster: [PodVolumeBackup]) async throws -> [RestoreTrap] {
        let subject = "backup \(request.veleroNamespace)/\(request.backup)"
        let check = "`kubectl -n \(request.veleroNamespace) get podvolumebackups.velero.io -l \(PodVolumeBackup.backupNameLabel)=\(request.backup)`"
        guard let store else {
            if inCluster.isEmpty, backup.spec.defaultVolumesToFsBackup == true {
                return [RestoreTrap(.blocking, subject,
                                    "backs up pod volumes (defaultVolumesToFsBackup) but the cluster holds none of its PodVolumeBackups: the backup sync has not created them yet, and a restore now silently restores no volume data",
                                    fix: "wait for the backup sync (every backupSyncPeriod, 1m by default) until \(check) lists them, or give input 'store' to compare with the bucket")]
            }
            return [RestoreTrap(.warning, subject,
                                "\(inCluster.count) PodVolumeBackups in the cluster, not compared with the bucket (no store given)",
                                fix: "give input 'store' so the count is compared with the backup's -podvolumebackups.json.gz")]
        }
        let inStore = try await StoreReader(store: store).podVolumeBackups(of: request.backup)
        guard inCluster.count < inStore.count else { return [] }
        let present = Set(inCluster.map(Self.volumeKey))
        let missing = inStore.filter { !present.contains(Self.volumeKey($0)) }.map { pvb in
            pvb.persistentVolumeClaim.map { "PVC \(pvb.podNamespace ?? "")/\($0)" } ?? "volume \(pvb.spec.volume ?? "") of pod \(pvb.podName ?? "")"
        }
        return [RestoreTrap(.blocking, subject,
                            "the cluster holds \(inCluster.count) of its PodVolumeBackups, the store \(inStore.count): the backup sync has not finished, and a restore now silently skips the data of \(missing.isEmpty ? "the missing volumes" : missing.joined(separator: ", "))",
                            fix: "wait for the backup sync (every backupSyncPeriod, 1m by default) until \(check) lists \(inStore.count), then run again")]
    }

    private static func volumeKey(_ pvb: PodVolumeBackup) -> String {
        "\(pvb.podNamespace ?? "")/\(pvb.podName ?? "")/\(pvb.spec.volume ?? "")"
    }

    /// Traps 3 and 4: a pod that exists (or a controller that makes it first) gets no
    /// PodVolumeRestore; a claim that exists is kept, and the backup is laid over its data.
    private func liveTargetTraps(_ restorable: [PodVolumeBackup]) async throws -> [RestoreTrap] {
        var traps: [RestoreTrap] = []
        let byTarget = Dictionary(grouping: restorable) { request.target(of: $0.podNamespace ?? "") }
        for target in byTarget.keys.sorted() {
            let volumes = byTarget[target] ?? []
            let podNames = Set(volumes.compactMap(\.podName))
            let claimNames = Set(volumes.compactMap(\.persistentVolumeClaim))
            let pods = try await client.list(Pod.self, namespace: target).items.filter { podNames.contains($0.metadata.name) }
            for pod in pods.sorted(by: { $0.metadata.name < $1.metadata.name }) {
                traps.append(RestoreTrap(.blocking, "pod \(target)/\(pod.metadata.name)",
                                         "exists, so Velero keeps it and creates no PodVolumeRestore for it: its volumes' data would silently not come back",
                                         fix: "scale its workload to 0 and delete the workload (k8s.scale, then k8s.deleteWorkloads) so Velero creates the pod itself"))
            }
            for controller in try await controllers(in: target, of: podNames) {
                traps.append(controller)
            }
            let claims = try await client.list(PersistentVolumeClaim.self, namespace: target).items.filter { claimNames.contains($0.metadata.name) }
            for claim in claims.sorted(by: { $0.metadata.name < $1.metadata.name }) {
                let subject = "PVC \(target)/\(claim.metadata.name)"
                switch request.existingResourcePolicy {
                case .none:
                    traps.append(RestoreTrap(.blocking, subject,
                                             "exists, so Velero keeps it instead of restoring it (existingResourcePolicy none): the backup would be laid over its current data, and files written since stay",
                                             fix: "delete the claims first (k8s.deletePVCs; the restore provisions and refills them)"))
                case .update:
                    traps.append(RestoreTrap(.warning, subject,
                                             "exists; existingResourcePolicy update patches only its spec: the backup is laid over its current data, and files written since stay",
                                             fix: "delete the claims first (k8s.deletePVCs) for a clean copy of the backup"))
                }
            }
        }
        return traps
    }

    /// The StatefulSets and Deployments whose pods are the ones to restore, and the
    /// prometheus-operator resources that would make such a StatefulSet again.
    private func controllers(in namespace: String, of podNames: Set<String>) async throws -> [RestoreTrap] {
        var traps: [RestoreTrap] = []
        let sets = try await client.list(StatefulSet.self, namespace: namespace).items
        for set in sets.sorted(by: { $0.metadata.name < $1.metadata.name }) where podNames.contains(where: { Self.ordinal(of: $0, in: set.metadata.name) }) {
            traps.append(RestoreTrap(.blocking, "statefulset \(namespace)/\(set.metadata.name)",
                                     "exists (\(set.desiredReplicas) replica\(set.desiredReplicas == 1 ? "" : "s")): its controller makes or deletes the pods Velero restores, so their volumes come back empty or not at all; scaling to 0 is not enough",
                                     fix: "scale it to 0 and delete it (k8s.scale, then k8s.deleteWorkloads); the restore brings it back from the backup"))
        }
        let deployments = try await client.listJSON(.deployments, namespace: namespace).items
        for deployment in deployments {
            let name = deployment[path: ["metadata", "name"]]?.stringValue ?? ""
            guard podNames.contains(where: { Self.replicaSetPod($0, of: name) }) else { continue }
            traps.append(RestoreTrap(.blocking, "deployment \(namespace)/\(name)",
                                     "exists: its controller makes or deletes the pods Velero restores, so their volumes come back empty or not at all; scaling to 0 is not enough",
                                     fix: "scale it to 0 and delete it (k8s.scale, then k8s.deleteWorkloads); the restore brings it back from the backup"))
        }
        for kind in [Workload.Kind.prometheus, .alertmanager] {
            for object in try await client.listJSON(kind.resource, namespace: namespace).items {
                let workload = Workload(kind: kind, namespace: namespace, name: object[path: ["metadata", "name"]]?.stringValue ?? "")
                guard let set = workload.operatorStatefulSet, podNames.contains(where: { Self.ordinal(of: $0, in: set) }),
                      object[path: ["spec", "paused"]]?.boolValue != true else { continue }
                traps.append(RestoreTrap(.blocking, "\(kind.rawValue.lowercased()) \(namespace)/\(workload.name)",
                                         "is not paused: prometheus-operator makes StatefulSet \(set) again, whose pods would start on empty claims before Velero restores them",
                                         fix: "scale it to 0 with k8s.scale, which pauses it (spec.paused: true); scale it back after the restore"))
            }
        }
        return traps
    }

    static func ordinal(of pod: String, in set: String) -> Bool {
        pod.hasPrefix(set + "-") && Int(pod.dropFirst(set.count + 1)) != nil
    }

    /// A Deployment's pod is `<deployment>-<replicaset hash>-<suffix>`.
    static func replicaSetPod(_ pod: String, of deployment: String) -> Bool {
        pod.hasPrefix(deployment + "-") && pod.dropFirst(deployment.count + 1).split(separator: "-").count == 2
    }

    /// Trap: without the Kopia repository's password no volume can be read back.
    private func secretTraps() async throws -> [RestoreTrap] {
        guard let secret = repositoryPassword else { return [] }
        guard let found = try await client.getIfPresent(Secret.self, secret.name, namespace: secret.namespace) else {
            return [RestoreTrap(.blocking, secret.description,
                                "is missing: Velero cannot open the Kopia repository without its password, so every PodVolumeRestore would fail",
                                fix: "recreate it from your off-cluster copy of the password (`kubectl -n \(secret.namespace) create secret generic \(secret.name) --from-file=\(secret.key)=PATH`); a new password cannot open the existing repository")]
        }
        guard found.value(secret.key)?.isEmpty == false else {
            return [RestoreTrap(.blocking, secret.description, "has no value under key \(secret.key): Velero cannot open the Kopia repository",
                                fix: "put the repository's password back under \(secret.key) from your off-cluster copy")]
        }
        return []
    }
}
