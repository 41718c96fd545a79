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

/// Writes one backup in Velero's layout (reference/velero.md §1–3): the tarball (format
/// 1.1.0, each item at its path and at its preferred-version path), `velero-backup.json`,
/// the pod-volume backups, the resource list, results and logs. Used by the sandbox's
/// simulated Velero; the generator builds its stores with the same shapes.
public struct VeleroBackupWriter: Sendable {
    public var workspace: String

    public init(workspace: String = NSTemporaryDirectory()) { self.workspace = workspace }

    public func write(backup: JSONValue, items: [BackupItem], podVolumeBackups: [JSONValue],
                      errors: [String: [String]] = [:], log: String, to store: some WritableBackupStore) async throws {
        guard let name = backup[path: ["metadata", "name"]]?.stringValue else {
            throw BackupStoreError(object: "backup", what: "has no metadata.name", fix: "name the backup")
        }
        let tarball = "\(workspace)/drbook-\(UUID().uuidString)-\(name).tar.gz"
        defer { try? FileManager.default.removeItem(atPath: tarball) }
        try Self.writeTarball(items, to: tarball)
        try await store.write(VeleroKeys.tarball(name), fromFile: tarball)

        var resourceList: [String: [String]] = [:]
        for item in items { resourceList[item.listKey, default: []].append(item.namespace.map { "\($0)/\(item.name)" } ?? item.name) }
        try await store.write(VeleroKeys.resourceList(name), data: try Self.gzip(.object(resourceList.mapValues { .array($0.sorted().map(JSONValue.string)) })))
        try await store.write(VeleroKeys.podVolumeBackups(name), data: try Self.gzip(podVolumeBackups.isEmpty ? .null : .array(podVolumeBackups)))
        var errorsJSON: [String: JSONValue] = [:]
        let namespaced = errors.filter { $0.key != "" }
        if let cluster = errors[""] { errorsJSON["cluster"] = .array(cluster.map(JSONValue.string)) }
        if !namespaced.isEmpty { errorsJSON["namespaces"] = .object(namespaced.mapValues { .array($0.map(JSONValue.string)) }) }
        try await store.write(VeleroKeys.results(name), data: try Self.gzip(["errors": .object(errorsJSON), "warnings": .object([:])]))
        try await store.write(VeleroKeys.volumeSnapshots(name), data: try Self.gzip(.null))
        try await store.write(VeleroKeys.itemOperations(name), data: try Self.gzip(.null))
        try await store.write(VeleroKeys.logs(name), data: try Gzip.compress(Data(log.utf8)))
        // Velero writes the metadata last: a reader that sees it sees the rest.
        let encoder = KubeJSON.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        try await store.write(VeleroKeys.metadata(name), data: try encoder.encode(backup))
    }

    static func writeTarball(_ items: [BackupItem], to path: String) throws {
        let writer = try TarGzWriter(path: path)
        try writer.addFile("metadata/version", contents: Data("1.1.0\n".utf8), mode: 0o755)
        for item in items {
            let data = try item.object.data()
            try writer.addFile(item.path, contents: data, mode: 0o755)
            try writer.addFile(item.preferredVersionPath, contents: data, mode: 0o755)
        }
        try writer.finish()
    }

    static func gzip(_ value: JSONValue) throws -> Data { try Gzip.compress(value.data()) }
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
