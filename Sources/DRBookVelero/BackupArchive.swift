import DRBookArchive
import DRBookKube
import Foundation

/// One object inside a backup's tarball.
public struct BackupItem: Sendable, Equatable {
    /// `statefulsets.apps`, `persistentvolumeclaims`: the folder under `resources/`.
    public var groupResource: String
    public var namespace: String?
    public var name: String
    public var object: JSONValue

    public init(groupResource: String, namespace: String?, name: String, object: JSONValue) {
        self.groupResource = groupResource
        self.namespace = namespace
        self.name = name
        self.object = object
    }

    /// The resource list's key: `v1/Namespace`, `apps/v1/StatefulSet`.
    public var listKey: String {
        "\(object["apiVersion"]?.stringValue ?? "v1")/\(object["kind"]?.stringValue ?? "Unknown")"
    }

    /// `resources/<group-resource>/namespaces/<ns>/<name>.json` or `…/cluster/<name>.json`.
    var path: String { "resources/\(groupResource)/\(scope)/\(name).json" }
    var preferredVersionPath: String { "resources/\(groupResource)/v1-preferredversion/\(scope)/\(name).json" }
    private var scope: String { namespace.map { "namespaces/\($0)" } ?? "cluster" }
}

/// One backup as Velero uploads it: the Backup with its final status and what it backed up.
public struct VeleroBackupContents: Sendable {
    /// `velero-backup.json`.
    public var backup: JSONValue
    /// The tarball's items, in the order they are written; the resource list is made from them.
    public var items: [BackupItem]
    public var podVolumeBackups: [JSONValue]
    /// The results' error messages by namespace; `""` holds the cluster-scoped ones.
    public var errors: [String: [String]]
    /// `-volumeinfo.json.gz` (Velero 1.13+); nil writes none.
    public var volumeInfos: [JSONValue]?
    public var log: String

    public init(backup: JSONValue, items: [BackupItem], podVolumeBackups: [JSONValue], errors: [String: [String]] = [:],
                volumeInfos: [JSONValue]? = nil, log: String) {
        self.backup = backup
        self.items = items
        self.podVolumeBackups = podVolumeBackups
        self.errors = errors
        self.volumeInfos = volumeInfos
        self.log = log
    }
}

/// One object on its way into a store: its key and its bytes, or the file that holds them.
public struct StoreUpload: Sendable {
    public enum Content: Sendable { case data(Data), file(String) }
    public var key: String
    public var content: Content

    public init(key: String, content: Content) {
        self.key = key
        self.content = content
    }
}

extension WritableBackupStore {
    public func write(_ upload: StoreUpload) async throws {
        switch upload.content {
        case .data(let data): try await write(upload.key, data: data)
        case .file(let path): try await write(upload.key, fromFile: path)
        }
    }
}

/// The one writer of Velero's store format (reference/velero.md §1–3): the tarball
/// (format 1.1.0, each item at its path and at its preferred-version path),
/// `velero-backup.json`, the pod-volume backups, the resource list, results, volume
/// info and logs. The sandbox's simulated Velero writes its backups with it, and the
/// test fixtures' generator builds its stores from its objects.
public struct VeleroBackupWriter: Sendable {
    /// Where tarballs are written before upload.
    public var workspace: String
    /// The tarball's gzip level.
    public var compressionLevel: Int

    public init(workspace: String = NSTemporaryDirectory(), compressionLevel: Int = 6) {
        self.workspace = workspace
        self.compressionLevel = compressionLevel
    }

    /// Writes the backup's objects to `store`, `velero-backup.json` last.
    public func write(_ contents: VeleroBackupContents, to store: some WritableBackupStore) async throws {
        let uploads = try objects(of: contents)
        defer {
            for case .file(let path) in uploads.map(\.content) { try? FileManager.default.removeItem(atPath: path) }
        }
        for upload in uploads { try await store.write(upload) }
    }

    /// The backup's objects in the order Velero uploads them, `velero-backup.json` last (a
    /// reader that sees it sees the rest). The tarball is a file in `workspace`, which the
    /// caller removes.
    public func objects(of contents: VeleroBackupContents) throws -> [StoreUpload] {
        guard let name = contents.backup[path: ["metadata", "name"]]?.stringValue else {
            throw BackupStoreError(object: "backup", what: "has no metadata.name", fix: "name the backup")
        }
        let tarball = "\(workspace)/drbook-\(UUID().uuidString)-\(name).tar.gz"
        try writeTarball(contents.items, to: tarball)
        var uploads = [StoreUpload(key: VeleroKeys.tarball(name), content: .file(tarball))]
        func add(_ key: String, _ data: Data) { uploads.append(StoreUpload(key: key, content: .data(data))) }

        add(VeleroKeys.resourceList(name), try Self.gzip(Self.resourceList(of: contents.items)))
        add(VeleroKeys.podVolumeBackups(name), try Self.gzip(contents.podVolumeBackups.isEmpty ? .null : .array(contents.podVolumeBackups)))
        var errors: [String: JSONValue] = [:]
        let namespaced = contents.errors.filter { $0.key != "" }
        if let cluster = contents.errors[""] { errors["cluster"] = .array(cluster.map(JSONValue.string)) }
        if !namespaced.isEmpty { errors["namespaces"] = .object(namespaced.mapValues { .array($0.map(JSONValue.string)) }) }
        add(VeleroKeys.results(name), try Self.gzip(["errors": .object(errors), "warnings": .object([:])]))
        if let volumeInfos = contents.volumeInfos { add(VeleroKeys.volumeInfo(name), try Self.gzip(.array(volumeInfos))) }
        add(VeleroKeys.volumeSnapshots(name), try Self.gzip(.null))
        add(VeleroKeys.itemOperations(name), try Self.gzip(.null))
        add(VeleroKeys.logs(name), try Gzip.compress(Data(contents.log.utf8)))
        uploads.append(try Self.metadata(contents.backup, name: name))
        return uploads
    }

    /// `velero-backup.json` alone: pretty-printed, as Velero writes it.
    public static func metadata(_ backup: JSONValue, name: String) throws -> StoreUpload {
        StoreUpload(key: VeleroKeys.metadata(name), content: .data(try encode(backup, pretty: true)))
    }

    /// `<name>-resource-list.json.gz`'s document: `apiVersion/Kind` → sorted `namespace/name`s.
    public static func resourceList(of items: [BackupItem]) -> JSONValue {
        var list: [String: [String]] = [:]
        for item in items { list[item.listKey, default: []].append(item.namespace.map { "\($0)/\(item.name)" } ?? item.name) }
        return .object(list.mapValues { .array($0.sorted().map(JSONValue.string)) })
    }

    /// A gzip-compressed JSON object of the store (every object but the metadata).
    public static func gzip(_ value: JSONValue) throws -> Data { try Gzip.compress(encode(value)) }

    private func writeTarball(_ items: [BackupItem], to path: String) throws {
        let writer = try TarGzWriter(path: path, compressionLevel: compressionLevel)
        try writer.addFile("metadata/version", contents: Data("1.1.0\n".utf8), mode: 0o755)
        for item in items {
            let data = try Self.encode(item.object)
            try writer.addFile(item.path, contents: data, mode: 0o755)
            try writer.addFile(item.preferredVersionPath, contents: data, mode: 0o755)
        }
        try writer.finish()
    }

    /// Sorted keys, slashes unescaped. Through JSONSerialization rather than
    /// `JSONValue.data()`, whose byte order sorts keys differently where case differs
    /// (`pvName` before `pvbInfo`): generated stores keep the bytes they always had.
    private static func encode(_ value: JSONValue, pretty: Bool = false) throws -> Data {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
        if pretty { options.insert(.prettyPrinted) }
        return try JSONSerialization.data(withJSONObject: foundationObject(value), options: options)
    }

    private static func foundationObject(_ value: JSONValue) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let value): value
        case .int(let value): value
        case .double(let value): value
        case .string(let value): value
        case .array(let values): values.map(foundationObject)
        case .object(let fields): fields.mapValues(foundationObject)
        }
    }
}

/// Reads every item of a backup's tarball (each once: the preferred-version copies are
/// skipped), for a restore. The archive is streamed; only the items are kept.
public enum BackupItemReader {
    public static func items(of backup: String, in store: some BackupStore) async throws -> [BackupItem] {
        let key = VeleroKeys.tarball(backup)
        let chunks = try await store.chunks(of: key)
        let display = store.display(key)
        return try await runOnDedicatedThread {
            defer { chunks.cancel() }
            let reader = try ArchiveStreamReader(name: display, format: .tarGzip, source: chunks.next)
            defer { reader.close() }
            var items: [BackupItem] = []
            while let entry = try reader.nextEntry() {
                let parts = entry.path.split(separator: "/").map(String.init)
                guard entry.kind == .file, parts.first == "resources", parts.count >= 4, !parts[2].hasSuffix("-preferredversion"),
                      parts.last?.hasSuffix(".json") == true else { continue }
                let namespace: String? = parts[2] == "namespaces" && parts.count == 5 ? parts[3] : nil
                let name = String(parts.last!.dropLast(".json".count))
                let object = try JSONValue(data: try reader.readEntryData())
                items.append(BackupItem(groupResource: parts[1], namespace: namespace, name: name, object: object))
            }
            return items
        }
    }
}
