import DRBookKube
import Foundation

// The fields drbook needs of Velero's objects, with Velero's JSON names
// (reference/velero.md §3). Unknown fields are ignored; every status field is
// omitempty in Velero, so everything that can be absent is optional here.

/// A Backup's phase. Unknown phases decode as themselves and are never trusted.
public struct BackupPhase: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue.isEmpty ? "New" : rawValue }

    public static let new = BackupPhase(rawValue: "New")
    public static let queued = BackupPhase(rawValue: "Queued")
    public static let readyToStart = BackupPhase(rawValue: "ReadyToStart")
    public static let failedValidation = BackupPhase(rawValue: "FailedValidation")
    public static let inProgress = BackupPhase(rawValue: "InProgress")
    public static let waitingForPluginOperations = BackupPhase(rawValue: "WaitingForPluginOperations")
    public static let waitingForPluginOperationsPartiallyFailed = BackupPhase(rawValue: "WaitingForPluginOperationsPartiallyFailed")
    public static let finalizing = BackupPhase(rawValue: "Finalizing")
    public static let finalizingPartiallyFailed = BackupPhase(rawValue: "FinalizingPartiallyFailed")
    public static let completed = BackupPhase(rawValue: "Completed")
    public static let partiallyFailed = BackupPhase(rawValue: "PartiallyFailed")
    public static let failed = BackupPhase(rawValue: "Failed")
    public static let deleting = BackupPhase(rawValue: "Deleting")

    /// Velero will not change it again (trap 7: only these may be trusted).
    public var isTerminal: Bool { [.completed, .partiallyFailed, .failed, .failedValidation].contains(self) }
    /// Terminal and holding data a restore can use (PartiallyFailed only with care).
    public var isRestorable: Bool { self == .completed || self == .partiallyFailed }
}

/// `backups/<n>/velero-backup.json`.
public struct Backup: Codable, Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status

    public struct Spec: Codable, Sendable, Equatable {
        public var includedNamespaces: [String]?
        public var excludedNamespaces: [String]?
        /// A Go duration string, e.g. `"336h0m0s"`.
        public var ttl: String?
        public var includedResources: [String]?
        public var excludedResources: [String]?
        public var storageLocation: String?
        public var defaultVolumesToFsBackup: Bool?
        public var snapshotMoveData: Bool?
    }

    public struct Status: Codable, Sendable, Equatable {
        public var phase: BackupPhase?
        public var version: Int?
        public var formatVersion: String?
        public var expiration: Date?
        public var startTimestamp: Date?
        public var completionTimestamp: Date?
        /// Counts, not lists (the lists are in `<n>-results.gz`).
        public var errors: Int?
        public var warnings: Int?
        public var failureReason: String?
        public var validationErrors: [String]?
        public var progress: Progress?
    }

    /// `status.progress`: items counted and written by the backup.
    public struct Progress: Codable, Sendable, Equatable {
        public var totalItems: Int?
        public var itemsBackedUp: Int?
    }

    enum CodingKeys: String, CodingKey { case metadata, spec, status }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        spec = try container.decodeIfPresent(Spec.self, forKey: .spec) ?? Spec()
        status = try container.decodeIfPresent(Status.self, forKey: .status) ?? Status()
    }

    public static let scheduleLabel = "velero.io/schedule-name"
    public static let storageLocationLabel = "velero.io/storage-location"

    public var name: String { metadata.name }
    /// An empty phase means New, as in Velero.
    public var phase: BackupPhase { status.phase.flatMap { $0.rawValue.isEmpty ? nil : $0 } ?? .new }
    public var schedule: String? { metadata.labels?[Self.scheduleLabel] }
    /// When the backup's data was taken: Velero sorts backups by start time.
    public var startedAt: Date? { status.startTimestamp ?? metadata.creationTimestamp }
    /// What a backup's age against the RPO is measured from: its completion, else its start;
    /// nil when it has neither (then its age cannot be known).
    public var takenAt: Date? { status.completionTimestamp ?? startedAt }

    /// Whether the backup's namespace filter selects `namespace` (`*` and globs
    /// included; an empty inclusion list means all; exclusion wins).
    public func includes(namespace: String) -> Bool {
        Self.includes(namespace: namespace, included: spec.includedNamespaces, excluded: spec.excludedNamespaces)
    }

    /// The exclusion entry that drops `namespace`, if any.
    public func exclusion(of namespace: String) -> String? {
        Self.exclusion(of: namespace, excluded: spec.excludedNamespaces)
    }

    /// Velero's namespace filter, shared by Backups, Schedule templates and Restores.
    public static func includes(namespace: String, included: [String]?, excluded: [String]?) -> Bool {
        if exclusion(of: namespace, excluded: excluded) != nil { return false }
        let included = included ?? []
        return included.isEmpty || included.contains { NamespacePattern.matches($0, namespace) }
    }

    public static func exclusion(of namespace: String, excluded: [String]?) -> String? {
        excluded?.first { NamespacePattern.matches($0, namespace) }
    }
}

/// One entry of `<n>-podvolumebackups.json.gz` (its apiVersion and kind may be empty).
public struct PodVolumeBackup: Codable, Sendable, Equatable {
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status

    public struct Spec: Codable, Sendable, Equatable {
        public var node: String?
        public var pod: PodReference?
        /// The pod's volume name (not the PVC's name).
        public var volume: String?
        public var uploaderType: String?
        public var repoIdentifier: String?
        public var tags: [String: String]?
    }

    public struct PodReference: Codable, Sendable, Equatable {
        public var namespace: String?
        public var name: String?
        public var uid: String?
    }

    public struct Status: Codable, Sendable, Equatable {
        public var phase: String?
        public var snapshotID: String?
        public var message: String?
        public var path: String?
        public var progress: Progress?
        public var startTimestamp: Date?
        public var completionTimestamp: Date?
    }

    public struct Progress: Codable, Sendable, Equatable {
        public var totalBytes: Int64?
        public var bytesDone: Int64?
    }

    enum CodingKeys: String, CodingKey { case metadata, spec, status }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta(name: "")
        spec = try container.decodeIfPresent(Spec.self, forKey: .spec) ?? Spec()
        status = try container.decodeIfPresent(Status.self, forKey: .status) ?? Status()
    }

    public static let pvcNameAnnotation = "velero.io/pvc-name"

    /// The PVC this volume backs up, by the rule restore uses: the pod's namespace and
    /// the `velero.io/pvc-name` annotation. Nil for volumes that are not PVCs.
    public var persistentVolumeClaim: String? { metadata.annotations?[Self.pvcNameAnnotation] }
    public var podNamespace: String? { spec.pod?.namespace }
    public var podName: String? { spec.pod?.name }
    public var phase: String { status.phase ?? "" }
    public var snapshotID: String { status.snapshotID ?? "" }
    public var totalBytes: Int64 { status.progress?.totalBytes ?? 0 }
    public var isCompleted: Bool { phase == "Completed" }
    /// Restore uses only PVBs with a snapshot id (trap 8).
    public var isRestorable: Bool { isCompleted && !snapshotID.isEmpty }
}

/// `pkg/util/results/result.go`: messages by scope.
public struct BackupResult: Codable, Sendable, Equatable {
    public var velero: [String]?
    public var cluster: [String]?
    public var namespaces: [String: [String]]?

    public init(velero: [String]? = nil, cluster: [String]? = nil, namespaces: [String: [String]]? = nil) {
        self.velero = velero
        self.cluster = cluster
        self.namespaces = namespaces
    }

    public var isEmpty: Bool {
        (velero ?? []).isEmpty && (cluster ?? []).isEmpty && (namespaces ?? [:]).values.allSatisfy(\.isEmpty)
    }

    public func messages(for namespace: String) -> [String] { namespaces?[namespace] ?? [] }
}

/// `<n>-results.gz`: `{"warnings": Result, "errors": Result}`.
public struct BackupResults: Codable, Sendable, Equatable {
    public var warnings: BackupResult
    public var errors: BackupResult

    public init(warnings: BackupResult = BackupResult(), errors: BackupResult = BackupResult()) {
        self.warnings = warnings
        self.errors = errors
    }

    enum CodingKeys: String, CodingKey { case warnings, errors }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        warnings = try container.decodeIfPresent(BackupResult.self, forKey: .warnings) ?? BackupResult()
        errors = try container.decodeIfPresent(BackupResult.self, forKey: .errors) ?? BackupResult()
    }
}

/// `<n>-resource-list.json.gz`: `"<group>/<version>/<Kind>"` (or `"v1/<Kind>"`) to
/// sorted `ns/name` (namespaced) or `name` (cluster-scoped) entries.
public struct ResourceList: Codable, Sendable, Equatable {
    public var items: [String: [String]]

    public init(items: [String: [String]] = [:]) { self.items = items }
    public init(from decoder: Decoder) throws {
        items = try decoder.singleValueContainer().decode([String: [String]]?.self) ?? [:]
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(items)
    }

    /// Names of the items of `key` (e.g. `v1/PersistentVolumeClaim`) in `namespace`.
    public func names(_ key: String, in namespace: String) -> [String] {
        (items[key] ?? []).compactMap { entry in
            entry.hasPrefix(namespace + "/") ? String(entry.dropFirst(namespace.count + 1)) : nil
        }
    }
}

/// Velero's namespace filters accept `*` and shell-style globs.
public enum NamespacePattern {
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        Glob.matches(pattern, name)
    }
}
