import Foundation

/// One object of a backup store; `key` is relative to the store's prefix
/// (`backups/daily-full-20260815021700/velero-backup.json`).
public struct StoreObject: Sendable, Equatable, Codable {
    public var key: String
    public var size: Int64
    public init(key: String, size: Int64) {
        self.key = key
        self.size = size
    }
}

/// An object's bytes as they arrive, read from a thread that may block
/// (libarchive's reader): `next` returns nil at the end; `cancel` stops the transfer.
public struct ObjectChunks: Sendable {
    public let next: @Sendable () throws -> Data?
    public let cancel: @Sendable () -> Void
    public init(next: @escaping @Sendable () throws -> Data?, cancel: @escaping @Sendable () -> Void) {
        self.next = next
        self.cancel = cancel
    }
}

/// What drbook reads from a Velero backup store (an S3 bucket prefix, or a local
/// mirror of one). Keys and prefixes are relative to the store's prefix and use `/`.
public protocol BackupStore: Sendable {
    var location: StoreLocation { get }
    /// The "folders" directly under `prefix` (which ends with `/` or is empty), as
    /// S3 lists common prefixes with delimiter `/`: `["backups/", "kopia/"]`.
    func commonPrefixes(under prefix: String) async throws -> [String]
    /// Every object whose key starts with `prefix`, at any depth.
    func objects(under prefix: String) async throws -> [StoreObject]
    /// Some object under `prefix`, or nil when there is none: one request however many
    /// objects there are (a Kopia repository holds tens of thousands of pack files).
    func anyObject(under prefix: String) async throws -> StoreObject?
    /// The whole object, or nil when it does not exist (Velero's `tryGet`). Fails past `limit` bytes.
    func read(_ key: String, limit: Int) async throws -> Data?
    /// The object's bytes chunk by chunk, for objects of any size.
    func chunks(of key: String) async throws -> ObjectChunks
    func exists(_ key: String) async throws -> Bool
    /// The store one level up (`velero/prod` → `velero`), nil at the bucket's or disk's root.
    var parent: (any BackupStore)? { get }
}

/// A store drbook can write to: where `VeleroBackupWriter` puts backups (the sandbox, the test fixtures, benchmarks).
public protocol WritableBackupStore: BackupStore {
    func write(_ key: String, data: Data) async throws
    /// Writes the object from a local file, streamed (large tarballs).
    func write(_ key: String, fromFile path: String) async throws
}

extension BackupStore {
    /// How `key` is named to a person: `s3://bucket/velero/prod/backups/…` or a file path.
    public func display(_ key: String) -> String { location.display(key) }
}

/// A store object that cannot be read as drbook expects.
public struct BackupStoreError: Error, Sendable, CustomStringConvertible {
    public var object: String
    public var what: String
    public var fix: String
    public init(object: String, what: String, fix: String) {
        self.object = object
        self.what = what
        self.fix = fix
    }
    public var description: String { "\(object): \(what). Fix: \(fix)." }
}
