import Foundation

/// One thing the verifier found: how bad it is, the object at fault, what is wrong
/// and what to do.
public struct Finding: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable, Comparable {
        case info, warning, failure
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
        var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
    }

    /// Stable identifiers, for tests, JSON output and runbook conditions.
    public enum Code: String, Sendable, Codable {
        case misplacedPrefix, strayTopLevelFolder, storeAtParentPrefix, backupFolderWithoutMetadata, backupMetadataUnreadable
        case noBackups, namespaceNotIncluded, noRestorableBackup, backupExcludesNamespace, backupNotRestorable
        case newerBackupNotTerminal, newerBackupFailed, newerBackupPartiallyFailed, ageUnknown
        case partiallyFailed, partiallyFailedInNamespace, expired, stale, formatVersion
        case objectUnreadable, tarballMissing, tarballUnreadable, namespaceNotInTarball, noPersistentVolumeClaims
        case pvcMissingFromTarball, noPodVolumeBackup, podVolumeBackupNotCompleted, emptySnapshotID, zeroByteVolume
        case podNotInBackup, expectedPVCMissing, kopiaRepositoryMissing, kopiaFormatBlobMissing
        case pvcVanished, previousBackupUnreadable
    }

    public var severity: Severity
    public var code: Code
    /// The object at fault: a store object (`s3://…/backups/X/X.tar.gz`), a backup, or `PVC ns/name`.
    public var object: String
    public var message: String
    public var fix: String

    public init(_ severity: Severity, _ code: Code, object: String, message: String, fix: String) {
        self.severity = severity
        self.code = code
        self.object = object
        self.message = message
        self.fix = fix
    }

    public var description: String { "[\(severity.rawValue)] \(object): \(message) Fix: \(fix)" }
}

/// The overall result: green only when nothing is worse than information.
public enum VerdictStatus: String, Sendable, Codable {
    case passed, warning, failed

    init(_ findings: [Finding]) {
        switch findings.map(\.severity).max() ?? .info {
        case .info: self = .passed
        case .warning: self = .warning
        case .failure: self = .failed
        }
    }
}

/// A backup in one line: what it is and whether it can be trusted.
public struct BackupSummary: Sendable, Equatable, Codable {
    public var name: String
    public var phase: String
    public var schedule: String?
    public var startedAt: Date?
    public var completedAt: Date?
    public var expiration: Date?
    /// Seconds since completion (or start) at verification time.
    public var age: TimeInterval?
    public var errors: Int
    public var warnings: Int
    public var status: VerdictStatus
    /// A short verdict, e.g. `Completed, 4h old` or `PartiallyFailed (2 errors)`.
    public var verdict: String
}

/// One PVC of the namespace and the backup of its data.
public struct VolumeVerdict: Sendable, Equatable, Codable {
    public var persistentVolumeClaim: String
    public var requestedStorage: String?
    /// Pods in the backup that mount it.
    public var pods: [String]
    public var podVolumeBackup: String?
    public var phase: String?
    public var snapshotID: String?
    public var totalBytes: Int64?
    public var status: VerdictStatus
}

/// Everything `verify` found for one namespace.
public struct StoreVerdict: Sendable, Equatable, Codable {
    public var store: String
    public var namespace: String
    public var checkedAt: Date
    /// Recovery point objective, seconds.
    public var rpo: TimeInterval
    /// The backup verified in depth: the newest Completed one that includes the namespace
    /// (the newest PartiallyFailed one when none completed).
    public var backup: BackupSummary?
    public var volumes: [VolumeVerdict]
    public var tarball: TarballIndex?
    public var kopia: KopiaRepositorySummary?
    /// The other backups that include the namespace, newest first, with short verdicts.
    public var otherBackups: [BackupSummary]
    public var findings: [Finding]

    public var status: VerdictStatus { VerdictStatus(findings) }
    public var isGreen: Bool { status == .passed }
    public func findings(_ code: Finding.Code) -> [Finding] { findings.filter { $0.code == code } }

    enum CodingKeys: String, CodingKey {
        case status, isGreen
        case store, namespace, checkedAt, rpo, backup, volumes, tarball, kopia, otherBackups, findings
    }

    // The overall verdict leads the JSON: `backup.status` judges only the backup's
    // metadata, so a reader must never take it for the whole answer.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(isGreen, forKey: .isGreen)
        try container.encode(store, forKey: .store)
        try container.encode(namespace, forKey: .namespace)
        try container.encode(checkedAt, forKey: .checkedAt)
        try container.encode(rpo, forKey: .rpo)
        try container.encodeIfPresent(backup, forKey: .backup)
        try container.encode(volumes, forKey: .volumes)
        try container.encodeIfPresent(tarball, forKey: .tarball)
        try container.encodeIfPresent(kopia, forKey: .kopia)
        try container.encode(otherBackups, forKey: .otherBackups)
        try container.encode(findings, forKey: .findings)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        store = try container.decode(String.self, forKey: .store)
        namespace = try container.decode(String.self, forKey: .namespace)
        checkedAt = try container.decode(Date.self, forKey: .checkedAt)
        rpo = try container.decode(TimeInterval.self, forKey: .rpo)
        backup = try container.decodeIfPresent(BackupSummary.self, forKey: .backup)
        volumes = try container.decode([VolumeVerdict].self, forKey: .volumes)
        tarball = try container.decodeIfPresent(TarballIndex.self, forKey: .tarball)
        kopia = try container.decodeIfPresent(KopiaRepositorySummary.self, forKey: .kopia)
        otherBackups = try container.decode([BackupSummary].self, forKey: .otherBackups)
        findings = try container.decode([Finding].self, forKey: .findings)
    }

    public init(store: String, namespace: String, checkedAt: Date, rpo: TimeInterval, backup: BackupSummary?, volumes: [VolumeVerdict],
                tarball: TarballIndex?, kopia: KopiaRepositorySummary?, otherBackups: [BackupSummary], findings: [Finding]) {
        self.store = store
        self.namespace = namespace
        self.checkedAt = checkedAt
        self.rpo = rpo
        self.backup = backup
        self.volumes = volumes
        self.tarball = tarball
        self.kopia = kopia
        self.otherBackups = otherBackups
        self.findings = findings
    }
}
