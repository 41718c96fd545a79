import Foundation

/// Everything the store holds about one backup (`drbook backups show NAME`), the way
/// `velero backup describe --details` tells it, but read from the bucket alone.
public struct BackupDetails: Sendable, Codable, Equatable {
    public var store: String
    public var name: String
    public var metadata: Metadata
    public var resources: ResourceSummary
    public var podVolumeBackups: [PodVolumeBackupRow]
    public var results: BackupResults
    /// The backup folder's objects: which of Velero's optional files exist, and their sizes.
    public var objects: [StoreObject]
    /// Parts that could not be read; the rest is shown anyway.
    public var unreadable: [UnreadablePart]
    /// The backup's verdict for a namespace, when one was asked for.
    public var verdict: StoreVerdict?

    public struct Metadata: Sendable, Codable, Equatable {
        public var phase: String
        public var failureReason: String?
        public var validationErrors: [String]
        public var startedAt: Date?
        public var completedAt: Date?
        public var expiration: Date?
        /// Seconds (Velero's spec.ttl, a Go duration).
        public var ttl: TimeInterval?
        public var includedNamespaces: [String]
        public var excludedNamespaces: [String]
        public var includedResources: [String]
        public var excludedResources: [String]
        public var storageLocation: String?
        public var schedule: String?
        public var formatVersion: String?
        public var errors: Int
        public var warnings: Int
        public var itemsBackedUp: Int?
        public var totalItems: Int?
        public var defaultVolumesToFsBackup: Bool?
        /// `velero.io/source-cluster-k8s-gitversion`: the cluster the backup was taken from.
        public var sourceClusterVersion: String?

        init(_ backup: Backup) {
            phase = backup.phase.description
            failureReason = backup.status.failureReason
            validationErrors = backup.status.validationErrors ?? []
            startedAt = backup.startedAt
            completedAt = backup.status.completionTimestamp
            expiration = backup.status.expiration
            ttl = backup.spec.ttl.flatMap(GoDuration.parse)
            includedNamespaces = backup.spec.includedNamespaces ?? []
            excludedNamespaces = backup.spec.excludedNamespaces ?? []
            includedResources = backup.spec.includedResources ?? []
            excludedResources = backup.spec.excludedResources ?? []
            // The label is reset to the local BSL name by sync; the spec keeps the original.
            storageLocation = backup.spec.storageLocation ?? backup.metadata.labels?[Backup.storageLocationLabel]
            schedule = backup.schedule
            formatVersion = backup.status.formatVersion
            errors = backup.status.errors ?? 0
            warnings = backup.status.warnings ?? 0
            itemsBackedUp = backup.status.progress?.itemsBackedUp
            totalItems = backup.status.progress?.totalItems
            defaultVolumesToFsBackup = backup.spec.defaultVolumesToFsBackup
            sourceClusterVersion = backup.metadata.annotations?["velero.io/source-cluster-k8s-gitversion"]
        }
    }

    /// The resource list in counts: per kind (`apps/v1/StatefulSet`) and per namespace.
    public struct ResourceSummary: Sendable, Codable, Equatable {
        public var total: Int
        public var byKind: [String: Int]
        public var byNamespace: [String: Int]
        public var clusterScoped: Int
        /// Whether `<n>-resource-list.json.gz` exists (old backups lack it).
        public var listed: Bool

        public init(_ list: ResourceList, listed: Bool) {
            var byNamespace: [String: Int] = [:]
            var clusterScoped = 0
            for entry in list.items.values.joined() {
                if let slash = entry.firstIndex(of: "/") {
                    byNamespace[String(entry[..<slash]), default: 0] += 1
                } else {
                    clusterScoped += 1
                }
            }
            self.byKind = list.items.mapValues(\.count)
            self.byNamespace = byNamespace
            self.clusterScoped = clusterScoped
            self.total = list.items.values.reduce(0) { $0 + $1.count }
            self.listed = listed
        }

        public var namespaces: [String] { byNamespace.keys.sorted() }
    }

    /// One PodVolumeBackup as a person checks it.
    public struct PodVolumeBackupRow: Sendable, Codable, Equatable {
        public var name: String
        public var pod: String?
        public var persistentVolumeClaim: String?
        public var volume: String?
        public var phase: String
        public var snapshotID: String?
        public var hasSnapshotID: Bool
        public var totalBytes: Int64
        public var node: String?
        public var message: String?
        /// Restore uses it: Completed with a snapshot id (velero.md trap 8).
        public var restorable: Bool

        init(_ pvb: PodVolumeBackup) {
            name = pvb.metadata.name
            pod = pvb.podName.map { name in pvb.podNamespace.map { "\($0)/\(name)" } ?? name }
            persistentVolumeClaim = pvb.persistentVolumeClaim
            volume = pvb.spec.volume
            phase = pvb.phase.isEmpty ? "New" : pvb.phase
            snapshotID = pvb.snapshotID.isEmpty ? nil : pvb.snapshotID
            hasSnapshotID = !pvb.snapshotID.isEmpty
            totalBytes = pvb.totalBytes
            node = pvb.spec.node
            message = pvb.status.message
            restorable = pvb.isRestorable
        }
    }

    /// A part of the backup that could not be read, and why.
    public struct UnreadablePart: Sendable, Codable, Equatable {
        public var part: String
        public var error: String
    }
}

/// `backups show NAME` for a name with no `velero-backup.json`: the names closest to it.
public struct BackupNotFound: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var store: String
    public var nearest: [String]
    public var total: Int

    public var description: String {
        var text = "no backup named '\(name)' in \(store)"
        if total == 0 {
            text += " (the store has no backups). Fix: check --store is the BackupStorageLocation's bucket and prefix."
        } else if nearest.isEmpty {
            text += ". Fix: list the \(total) backups with `drbook backups list --store \(store)`."
        } else {
            text += "; the nearest \(nearest.count == 1 ? "name is" : "names are") \(nearest.joined(separator: ", ")). "
                + "Fix: use one of them, or list all \(total) with `drbook backups list --store \(store)`."
        }
        return text
    }

    /// Up to `limit` names closest to `name` by edit distance; a name that contains or is
    /// contained in the typed one ranks first (a schedule name without its timestamp).
    public static func nearest(to name: String, among names: [String], limit: Int = 3) -> [String] {
        let typed = name.lowercased()
        let scored = names.map { candidate -> (String, Int) in
            let lowered = candidate.lowercased()
            let contains = !typed.isEmpty && (lowered.contains(typed) || typed.contains(lowered))
            return (candidate, contains ? 0 : 1 + distance(typed, lowered))
        }
        // Ties by name, newest (largest timestamp) first.
        return scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 > $1.0 }.prefix(limit).map(\.0)
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, characterOfA) in a.enumerated() {
            var current = [i + 1]
            for (j, characterOfB) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (characterOfA == characterOfB ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension StoreReader {
    /// Reads one backup's metadata, resource list, PodVolumeBackups, results and folder;
    /// a missing or damaged optional part is recorded in `unreadable`, not thrown.
    /// - Throws: `BackupNotFound` when the backup has no `velero-backup.json`.
    public func details(of name: String) async throws -> (Backup, BackupDetails) {
        guard let backup = try await backup(named: name) else {
            let names = try await backupFolders()
            throw BackupNotFound(name: name, store: store.location.description,
                                 nearest: BackupNotFound.nearest(to: name, among: names), total: names.count)
        }
        var unreadable: [BackupDetails.UnreadablePart] = []
        func attempt<T>(_ part: String, _ fallback: T, _ read: () async throws -> T) async -> T {
            do { return try await read() } catch {
                unreadable.append(.init(part: part, error: String(describing: error)))
                return fallback
            }
        }
        let listed = await attempt("resource list", false) { try await store.exists(VeleroKeys.resourceList(name)) }
        let list = await attempt("resource list", ResourceList()) { try await resourceList(of: name) }
        let volumes = await attempt("pod-volume backup list", []) { try await self.podVolumeBackups(of: name) }
        let messages = await attempt("results", BackupResults()) { try await self.results(of: name) }
        let objects = await attempt("backup folder listing", []) { try await store.objects(under: VeleroKeys.backupFolder(name)) }
        let details = BackupDetails(store: store.location.description, name: name, metadata: .init(backup),
                                    resources: .init(list, listed: listed), podVolumeBackups: volumes.map(BackupDetails.PodVolumeBackupRow.init),
                                    results: messages, objects: objects.sorted { $0.key < $1.key }, unreadable: unreadable, verdict: nil)
        return (backup, details)
    }
}
