import DRBookKube
import Foundation

// Velero's custom resources as the API serves them (reference/velero.md §4). Backup and
// PodVolumeBackup are the same shapes the bucket holds (VeleroModels.swift).

extension KubeResource {
    public static let veleroBackups = velero("backups", "Backup")
    public static let veleroRestores = velero("restores", "Restore")
    public static let veleroSchedules = velero("schedules", "Schedule")
    public static let backupStorageLocations = velero("backupstoragelocations", "BackupStorageLocation")
    public static let podVolumeBackups = velero("podvolumebackups", "PodVolumeBackup")
    public static let podVolumeRestores = velero("podvolumerestores", "PodVolumeRestore")

    static func velero(_ resource: String, _ kind: String) -> KubeResource {
        KubeResource(group: "velero.io", version: "v1", resource: resource, kind: kind, namespaced: true)
    }
}

extension Backup: KubeObject {
    public static let resource = KubeResource.veleroBackups
}

extension PodVolumeBackup: KubeObject {
    public static let resource = KubeResource.podVolumeBackups
}

/// A Restore's phase; an empty phase is New. Unknown phases are kept and never trusted.
public struct RestorePhase: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue.isEmpty ? "New" : rawValue }

    public static let new = RestorePhase(rawValue: "New")
    public static let failedValidation = RestorePhase(rawValue: "FailedValidation")
    public static let inProgress = RestorePhase(rawValue: "InProgress")
    public static let completed = RestorePhase(rawValue: "Completed")
    public static let partiallyFailed = RestorePhase(rawValue: "PartiallyFailed")
    public static let failed = RestorePhase(rawValue: "Failed")

    public var isTerminal: Bool { [.completed, .partiallyFailed, .failed, .failedValidation].contains(self) }
}

public struct Restore: KubeObject {
    public static let resource = KubeResource.veleroRestores
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var backupName: String?
        public var scheduleName: String?
        public var includedNamespaces: [String]?
        public var excludedNamespaces: [String]?
        public var includedResources: [String]?
        public var excludedResources: [String]?
        public var namespaceMapping: [String: String]?
        /// `none` (or empty) keeps existing objects; `update` updates them.
        public var existingResourcePolicy: String?
        public var restorePVs: Bool?

        public init(backupName: String? = nil, scheduleName: String? = nil, includedNamespaces: [String]? = nil,
                    excludedNamespaces: [String]? = nil, includedResources: [String]? = nil, excludedResources: [String]? = nil,
                    namespaceMapping: [String: String]? = nil, existingResourcePolicy: String? = nil, restorePVs: Bool? = nil) {
            self.backupName = backupName
            self.scheduleName = scheduleName
            self.includedNamespaces = includedNamespaces
            self.excludedNamespaces = excludedNamespaces
            self.includedResources = includedResources
            self.excludedResources = excludedResources
            self.namespaceMapping = namespaceMapping
            self.existingResourcePolicy = existingResourcePolicy
            self.restorePVs = restorePVs
        }
    }

    public struct Status: Codable, Sendable, Equatable {
        public var phase: RestorePhase?
        public var validationErrors: [String]?
        public var warnings: Int?
        public var errors: Int?
        public var failureReason: String?
        public var startTimestamp: Date?
        public var completionTimestamp: Date?
        public var progress: Progress?
    }

    public struct Progress: Codable, Sendable, Equatable {
        public var totalItems: Int?
        public var itemsRestored: Int?
    }

    public init(metadata: ObjectMeta, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
        status = nil
    }

    public var phase: RestorePhase { status?.phase.flatMap { $0.rawValue.isEmpty ? nil : $0 } ?? .new }
}

public struct PodVolumeRestore: KubeObject {
    public static let resource = KubeResource.podVolumeRestores
    public static let restoreNameLabel = "velero.io/restore-name"
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var pod: PodVolumeBackup.PodReference?
        public var volume: String?
        public var snapshotID: String?
        public var sourceNamespace: String?
        public var uploaderType: String?
        public var repoIdentifier: String?
        public var backupStorageLocation: String?
    }

    public struct Status: Codable, Sendable, Equatable {
        public var phase: String?
        public var message: String?
        public var progress: PodVolumeBackup.Progress?
        public var startTimestamp: Date?
        public var completionTimestamp: Date?
    }

    public var phase: String { status?.phase ?? "" }
}

public struct Schedule: KubeObject {
    public static let resource = KubeResource.veleroSchedules
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        /// Cron expression.
        public var schedule: String
        public var template: Backup.Spec?
        public var paused: Bool?
        public var useOwnerReferencesInBackup: Bool?
    }

    public struct Status: Codable, Sendable, Equatable {
        /// New, Enabled or FailedValidation.
        public var phase: String?
        public var lastBackup: Date?
        public var lastSkipped: Date?
        public var validationErrors: [String]?
    }

    public var isPaused: Bool { spec.paused ?? false }
}

public struct BackupStorageLocation: KubeObject {
    public static let resource = KubeResource.backupStorageLocations
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var provider: String?
        public var config: [String: String]?
        public var objectStorage: ObjectStorage?
        public var `default`: Bool?
        public var accessMode: String?
    }

    public struct ObjectStorage: Codable, Sendable, Equatable {
        public var bucket: String
        public var prefix: String?
    }

    public struct Status: Codable, Sendable, Equatable {
        /// Available or Unavailable.
        public var phase: String?
        public var lastSyncedTime: Date?
        public var lastValidationTime: Date?
        public var message: String?
    }

    public var isAvailable: Bool { status?.phase == "Available" }
}
