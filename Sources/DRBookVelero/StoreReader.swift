import DRBookArchive
import Foundation

/// The top-level folders under the store prefix.
public struct StoreLayout: Sendable, Equatable, Codable {
    public var folders: [String]
    /// Folders Velero does not allow there: each makes the BSL Unavailable (trap 5).
    public var strayFolders: [String]
}

/// The prefix a person gave is not a Velero store but is next to one: one level above a
/// store (`velero` instead of `velero/prod`) or inside one (`velero/prod/backups`). Their
/// stray folders are then not data to move: the prefix is mistyped.
public struct PrefixSuggestion: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// Folders below the prefix are Velero stores.
        case storesBelow
        /// The prefix is a folder of the store given in `stores`.
        case insideStore
    }
    public var kind: Kind
    /// The stores the person probably meant, as `--store` takes them.
    public var stores: [String]

    public var message: String {
        let named = stores.joined(separator: " or ")
        switch kind {
        case .storesBelow: return "this prefix is not a Velero store (it has no backups/), but the folder\(stores.count == 1 ? " below it is one" : "s below it are stores"): did you mean \(named)?"
        case .insideStore: return "this prefix is a folder inside the Velero store \(named), not a store itself: did you mean \(named)?"
        }
    }
    public var fix: String { "give the store's own prefix: --store \(stores[0]) (the BackupStorageLocation's objectStorage.prefix); the data is where Velero keeps it" }
}

/// A backup folder whose `velero-backup.json` was read.
public struct StoredBackup: Sendable, Equatable {
    public var backup: Backup
    public var name: String { backup.name }
}

/// Every backup under `backups/`, newest first.
public struct BackupListing: Sendable {
    public var backups: [StoredBackup]
    /// Folders without `velero-backup.json`: Velero does not consider them backups.
    public var foldersWithoutMetadata: [String]
    /// Folders whose `velero-backup.json` could not be read or decoded.
    public var unreadable: [String: BackupStoreError]
}

/// The Kopia repository of one namespace, seen from the store.
public struct KopiaRepositorySummary: Sendable, Equatable, Codable {
    public var namespace: String
    /// The repository's prefix as a person would find it.
    public var location: String
    /// Any object under the repository's prefix.
    public var exists: Bool
    /// `kopia.repository`, the format blob of an initialised repository: without it
    /// Kopia cannot open the repository.
    public var hasFormatBlob: Bool
}

/// Reads a Velero store the way Velero does (`pkg/persistence/object_store.go`):
/// a backup exists only with its `velero-backup.json`; every other file may be
/// missing and then counts as empty.
public struct StoreReader: Sendable {
    public let store: any BackupStore
    /// Parallel reads of `velero-backup.json` when listing: every request costs a round
    /// trip to the bucket (R2 from a laptop: tens of milliseconds), so a store of a hundred
    /// backups is read in two waves, not thirteen.
    public var concurrency = 64
    static let metadataLimit = 16 << 20
    static let decodedLimit = 512 << 20

    public init(store: any BackupStore) { self.store = store }

    public func layout() async throws -> StoreLayout {
        let folders = try await store.commonPrefixes(under: "").map { String($0.dropLast()) }
        return StoreLayout(folders: folders, strayFolders: folders.filter { !VeleroKeys.allowedTopLevelFolders.contains($0) })
    }

    /// Where the store probably is when this prefix holds no `backups/` (see `PrefixSuggestion`);
    /// nil when it is a store, or nothing near it is one. Looks one level down and up to three up.
    public func prefixSuggestion(_ layout: StoreLayout) async throws -> PrefixSuggestion? {
        guard !layout.folders.contains(String(VeleroKeys.backupsPrefix.dropLast())) else { return nil }
        var below: [String] = []
        for folder in layout.folders.prefix(20) where try await store.commonPrefixes(under: folder + "/").contains(folder + "/" + VeleroKeys.backupsPrefix) {
            below.append(store.location.child(folder).description)
        }
        if !below.isEmpty { return PrefixSuggestion(kind: .storesBelow, stores: below) }
        var inner: any BackupStore = store
        for _ in 0..<3 {
            guard let name = inner.location.lastComponent, let ancestor = inner.parent else { break }
            if VeleroKeys.allowedTopLevelFolders.contains(name),
               try await ancestor.commonPrefixes(under: "").contains(VeleroKeys.backupsPrefix) {
                return PrefixSuggestion(kind: .insideStore, stores: [ancestor.location.description])
            }
            inner = ancestor
        }
        return nil
    }

    /// Folder names under `backups/` (one folder, one backup candidate).
    public func backupFolders() async throws -> [String] {
        try await store.commonPrefixes(under: VeleroKeys.backupsPrefix).map { String($0.dropFirst(VeleroKeys.backupsPrefix.count).dropLast()) }
    }

    /// The backup's metadata, or nil when its `velero-backup.json` does not exist.
    public func backup(named name: String) async throws -> Backup? {
        let key = VeleroKeys.metadata(name)
        guard let data = try await store.read(key, limit: Self.metadataLimit) else { return nil }
        return try VeleroJSON.decode(Backup.self, from: data, object: store.display(key), expected: "a Velero Backup")
    }

    public func listBackups() async throws -> BackupListing {
        let folders = try await backupFolders()
        var backups: [StoredBackup] = []
        var missing: [String] = []
        var unreadable: [String: BackupStoreError] = [:]
        try await withThrowingTaskGroup(of: (String, Result<Backup?, BackupStoreError>).self) { group in
            var next = 0
            func addNext() {
                let folder = folders[next]
                next += 1
                group.addTask {
                    do {
                        return (folder, .success(try await backup(named: folder)))
                    } catch let error as BackupStoreError {
                        return (folder, .failure(error))
                    }
                }
            }
            for _ in 0..<min(concurrency, folders.count) { addNext() }
            while let (folder, result) = try await group.next() {
                switch result {
                case .success(let backup?): backups.append(StoredBackup(backup: backup))
                case .success(nil): missing.append(folder)
                case .failure(let error): unreadable[folder] = error
                }
                if next < folders.count { addNext() }
            }
        }
        backups.sort { BackupSelection.isNewer($0.backup, than: $1.backup) }
        return BackupListing(backups: backups, foldersWithoutMetadata: missing.sorted(), unreadable: unreadable)
    }

    /// The gunzipped object, or nil when it does not exist.
    private func readGzip(_ key: String) async throws -> Data? {
        guard let data = try await store.read(key, limit: Self.decodedLimit) else { return nil }
        return try ArchiveStreamReader.gunzip(name: store.display(key), data: data, limit: Self.decodedLimit)
    }

    /// `<n>-podvolumebackups.json.gz`; missing or `null` means none.
    public func podVolumeBackups(of backup: String) async throws -> [PodVolumeBackup] {
        let key = VeleroKeys.podVolumeBackups(backup)
        guard let data = try await readGzip(key) else { return [] }
        return try VeleroJSON.decode([PodVolumeBackup]?.self, from: data, object: store.display(key),
                                     expected: "a JSON array of PodVolumeBackups") ?? []
    }

    /// `<n>-results.gz`; missing means no errors and no warnings recorded.
    public func results(of backup: String) async throws -> BackupResults {
        let key = VeleroKeys.results(backup)
        guard let data = try await readGzip(key) else { return BackupResults() }
        return try VeleroJSON.decode(BackupResults?.self, from: data, object: store.display(key),
                                     expected: "Velero results ({\"warnings\":…,\"errors\":…})") ?? BackupResults()
    }

    /// `<n>-resource-list.json.gz`; missing means empty.
    public func resourceList(of backup: String) async throws -> ResourceList {
        let key = VeleroKeys.resourceList(backup)
        guard let data = try await readGzip(key) else { return ResourceList() }
        return try VeleroJSON.decode(ResourceList.self, from: data, object: store.display(key), expected: "a Velero resource list")
    }

    /// The tarball's index, or nil when the tarball does not exist. Its HEAD and its GET go
    /// out together (one round trip, not two); the GET's failure counts only when the HEAD
    /// found the object.
    public func tarballIndexIfPresent(of backup: String, namespace: String) async throws -> TarballIndex? {
        let key = VeleroKeys.tarball(backup)
        let store = self.store
        async let opened = attempt { try await store.chunks(of: key) }
        let found = await attempt { try await store.exists(key) }
        guard case .success(true) = found else {
            if case .success(let chunks) = await opened { chunks.cancel() }
            if case .failure(let error) = found { throw error }
            return nil
        }
        return try await TarballScanner.index(backup: backup, namespace: namespace, archive: store.display(key), chunks: opened.get())
    }

    /// Streams `<n>.tar.gz` and indexes `namespace`'s items; an `ArchiveError` names
    /// the object and the entry where reading stopped.
    public func tarballIndex(of backup: String, namespace: String) async throws -> TarballIndex {
        let key = VeleroKeys.tarball(backup)
        let chunks = try await store.chunks(of: key)
        return try await TarballScanner.index(backup: backup, namespace: namespace, archive: store.display(key), chunks: chunks)
    }

    public func kopiaRepository(namespace: String) async throws -> KopiaRepositorySummary {
        // Two requests at once whatever the repository's size: its format blob, and any
        // object (which counts only without the format blob).
        let prefix = VeleroKeys.kopiaRepository(namespace)
        let store = self.store
        async let anyObject = store.anyObject(under: prefix)
        let hasFormatBlob = try await store.exists(VeleroKeys.kopiaFormatBlob(namespace))
        let exists = try await hasFormatBlob ? true : anyObject != nil
        return KopiaRepositorySummary(namespace: namespace, location: store.display(prefix), exists: exists, hasFormatBlob: hasFormatBlob)
    }
}
