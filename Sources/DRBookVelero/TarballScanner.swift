import DRBookArchive
import Foundation

/// Streams a backup tarball once through libarchive and indexes one namespace's
/// items. Only the JSON of that namespace's PVCs and pods is read into memory;
/// every other entry is skipped, so memory stays bounded whatever the archive's size.
public enum TarballScanner {
    /// Largest item JSON read (Kubernetes objects are at most ~1.5 MiB in etcd).
    static let itemLimit = 8 << 20

    public static func index(backup: String, namespace: String, archive: String, chunks: ObjectChunks) async throws -> TarballIndex {
        try await ArchiveStreamReader.scan(name: archive, format: .tarGzip, source: chunks.next, onCancel: chunks.cancel) { reader in
            defer { chunks.cancel() }
            var builder = Builder(backup: backup, namespace: namespace)
            let filter = EntryFilter(namespace: namespace)
            // Most entries belong to other namespaces: they are passed over on their raw path.
            while let entry = try reader.nextEntry(where: filter.mayConcern) {
                if entry.path == "metadata/version" {
                    let text = String(decoding: try reader.readEntryData(limit: 1024), as: UTF8.self)
                    builder.formatVersion = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    continue
                }
                guard let item = TarballItemPath(entry.path) else { continue }
                if item.groupResource == "namespaces", item.namespace == nil, item.name == namespace {
                    builder.namespaceObjectPresent = true
                    continue
                }
                guard item.namespace == namespace else { continue }
                builder.names[item.groupResource, default: []].insert(item.name)
                switch item.groupResource {
                case "persistentvolumeclaims", "pods":
                    let key = "\(item.groupResource)/\(item.name)"
                    if let seen = builder.preference[key], seen <= item.preference { continue }
                    let data = try reader.readEntryData(limit: itemLimit)
                    try builder.add(item, data: data, entry: entry.path, archive: archive)
                    builder.preference[key] = item.preference
                default:
                    continue
                }
            }
            builder.entryCount = reader.entriesRead
            return builder.index
        }
    }

    struct Builder {
        var backup: String
        var namespace: String
        var formatVersion: String?
        var entryCount = 0
        var names: [String: Set<String>] = [:]
        var pvcs: [String: BackedUpPVC] = [:]
        var pods: [String: BackedUpPod] = [:]
        var preference: [String: Int] = [:]
        var namespaceObjectPresent = false

        init(backup: String, namespace: String) {
            self.backup = backup
            self.namespace = namespace
        }

        mutating func add(_ item: TarballItemPath, data: Data, entry: String, archive: String) throws {
            let object = "\(archive) entry '\(entry)'"
            if item.groupResource == "persistentvolumeclaims" {
                let document = try VeleroJSON.decode(PVCDocument.self, from: data, object: object, expected: "a PersistentVolumeClaim")
                pvcs[item.name] = BackedUpPVC(name: item.name, requestedStorage: document.spec?.resources?.requests?["storage"],
                                              storageClassName: document.spec?.storageClassName, volumeName: document.spec?.volumeName,
                                              entry: entry)
            } else {
                let document = try VeleroJSON.decode(PodDocument.self, from: data, object: object, expected: "a Pod")
                var claims: [String: String] = [:]
                for volume in document.spec?.volumes ?? [] {
                    if let claim = volume.persistentVolumeClaim { claims[volume.name] = claim.claimName }
                }
                let owners = document.metadata.ownerReferences ?? []
                let owner = (owners.first { $0.controller == true } ?? owners.first).map { "\($0.kind)/\($0.name)" }
                pods[item.name] = BackedUpPod(name: item.name, claims: claims, owner: owner, entry: entry)
            }
        }

        var index: TarballIndex {
            TarballIndex(backup: backup, namespace: namespace, formatVersion: formatVersion, entryCount: entryCount,
                         items: names.mapValues { $0.sorted() }, persistentVolumeClaims: pvcs, pods: pods,
                         namespaceObjectPresent: namespaceObjectPresent)
        }
    }
}

/// A byte search that rules out, without allocating, the entries that cannot concern
/// the namespace: all but `metadata/version`, its items (`…/namespaces/<ns>/…`) and the
/// Namespace object (`resources/namespaces/…/cluster/<ns>.json`).
struct EntryFilter {
    private let namespaced: [UInt8]
    private let namespaceObject: [UInt8]

    init(namespace: String) {
        namespaced = Array("/namespaces/\(namespace)/".utf8)
        namespaceObject = Array("/cluster/\(namespace).json".utf8)
    }

    func mayConcern(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        path.starts(with: "metadata/".utf8) || Self.contains(path, namespaced)
            || (path.starts(with: "resources/namespaces/".utf8) && path.suffix(namespaceObject.count).elementsEqual(namespaceObject))
    }

    /// Glibc's memmem is not visible to Swift (it needs _GNU_SOURCE); entry paths are short.
    private static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var start = 0
        let last = haystack.count - needle.count
        while start <= last {
            if haystack[start] == first {
                var matched = 1
                while matched < needle.count && haystack[start + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return true }
            }
            start += 1
        }
        return false
    }
}
