import DRBookArchive
import Foundation

/// A Velero store mirrored to a local directory (`rclone sync`, `aws s3 sync`): the
/// directory plays the role of the prefix, and every object is a file at its key.
public struct DirectoryBackupStore: WritableBackupStore {
    public let root: String

    public init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    public var location: StoreLocation { .directory(path: root) }

    public var parent: (any BackupStore)? {
        let up = (root as NSString).deletingLastPathComponent
        return up.isEmpty || up == root ? nil : DirectoryBackupStore(root: up)
    }

    private func path(_ key: String) -> String { key.isEmpty ? root : "\(root)/\(key)" }

    /// Splits `a/b/c` into the directory `a/b/` and the name prefix `c`, as S3 would match it.
    private func split(_ prefix: String) -> (directory: String, namePrefix: String) {
        guard let slash = prefix.lastIndex(of: "/") else { return ("", prefix) }
        return (String(prefix[...slash]), String(prefix[prefix.index(after: slash)...]))
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    public func commonPrefixes(under prefix: String) async throws -> [String] {
        guard isDirectory(root) else {
            throw BackupStoreError(object: root, what: "the store directory does not exist",
                                   fix: "pass the mirror's directory that holds backups/ (--store file:///DIR), or sync the mirror first")
        }
        let (directory, namePrefix) = split(prefix)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path(directory))) ?? []
        return entries.filter { $0.hasPrefix(namePrefix) && isDirectory(path(directory + $0)) }
            .map { directory + $0 + "/" }
            .sorted()
    }

    public func objects(under prefix: String) async throws -> [StoreObject] {
        walk(prefix, stopAtFirst: false).sorted { $0.key < $1.key }
    }

    public func anyObject(under prefix: String) async throws -> StoreObject? {
        walk(prefix, stopAtFirst: true).first
    }

    private func walk(_ prefix: String, stopAtFirst: Bool) -> [StoreObject] {
        let (directory, namePrefix) = split(prefix)
        let base = path(directory)
        guard isDirectory(base), let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var found: [StoreObject] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasPrefix(namePrefix) else { continue }
            let attributes = walker.fileAttributes ?? [:]
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            found.append(StoreObject(key: directory + relative, size: size))
            if stopAtFirst { break }
        }
        return found
    }

    public func read(_ key: String, limit: Int) async throws -> Data? {
        let file = path(key)
        guard FileManager.default.fileExists(atPath: file), !isDirectory(file) else { return nil }
        let size = ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= limit else {
            throw BackupStoreError(object: file, what: "the file is larger than the \(limit) bytes drbook reads into memory",
                                   fix: "check that this is the Velero object it is named after")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw BackupStoreError(object: file, what: "cannot be read (\(error.localizedDescription))", fix: "check the file's permissions")
        }
    }

    public func chunks(of key: String) async throws -> ObjectChunks {
        let file = path(key)
        let source: FileChunkSource
        do {
            source = try FileChunkSource(path: file)
        } catch {
            throw BackupStoreError(object: file, what: "cannot be opened (\(error.localizedDescription))",
                                   fix: "check that the mirror is complete (re-run the sync) and readable")
        }
        return ObjectChunks(next: { try source.next() }, cancel: {})
    }

    public func exists(_ key: String) async throws -> Bool {
        let file = path(key)
        return FileManager.default.fileExists(atPath: file) && !isDirectory(file)
    }

    public func write(_ key: String, data: Data) async throws {
        let file = path(key)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: file))
    }

    public func write(_ key: String, fromFile source: String) async throws {
        let file = path(key)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: file) { try FileManager.default.removeItem(atPath: file) }
        try FileManager.default.copyItem(atPath: source, toPath: file)
    }
}
