import Foundation

/// Where a Velero backup store lives (a prefix, not one object: that is DRBookObjectStore's
/// `ObjectLocation`), named the same way everywhere:
/// `s3://BUCKET/PREFIX` (the BackupStorageLocation's bucket and prefix) or
/// `file:///DIR` (an offline mirror: DIR holds `backups/`, `kopia/`, … as the prefix does).
public enum StoreLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `prefix` is trimmed of `/`, as Velero trims it; empty means the bucket root.
    case s3(bucket: String, prefix: String)
    /// The directory that plays the role of the prefix.
    case directory(path: String)

    public static func parse(_ text: String) throws -> StoreLocation {
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst("s3://".count)
            let bucket = String(rest.prefix { $0 != "/" })
            guard !bucket.isEmpty else {
                throw StoreLocationError(text: text, what: "it names no bucket", fix: "write it as s3://BUCKET/PREFIX, e.g. s3://backups/velero/prod")
            }
            let prefix = String(rest.dropFirst(bucket.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let segments = prefix.split(separator: "/", omittingEmptySubsequences: false)
            if !prefix.isEmpty, segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                throw StoreLocationError(text: text, what: "its prefix has an empty, '.' or '..' segment", fix: "write the prefix exactly as the BackupStorageLocation's objectStorage.prefix")
            }
            return .s3(bucket: bucket, prefix: prefix)
        }
        if text.hasPrefix("file://") {
            guard let url = URL(string: text), url.isFileURL, url.path.hasPrefix("/") else {
                throw StoreLocationError(text: text, what: "it is not an absolute file URL", fix: "write it as file:///DIR, where DIR holds backups/ (e.g. file:///srv/mirror/velero/prod)")
            }
            var path = url.path
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            return .directory(path: path)
        }
        throw StoreLocationError(text: text, what: "drbook reads Velero stores only from s3:// and file:// locations",
                                 fix: "use --store s3://BUCKET/PREFIX (with --endpoint and --region) or --store file:///DIR")
    }

    public var description: String {
        switch self {
        case .s3(let bucket, let prefix): return prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        case .directory(let path): return "file://\(path)"
        }
    }

    /// The store at the folder `name` directly below this one.
    public func child(_ name: String) -> StoreLocation {
        switch self {
        case .s3(let bucket, let prefix): return .s3(bucket: bucket, prefix: prefix.isEmpty ? name : "\(prefix)/\(name)")
        case .directory(let path): return .directory(path: path == "/" ? "/\(name)" : "\(path)/\(name)")
        }
    }

    /// The prefix's last folder name (`prod` of `velero/prod`); nil at the bucket's or disk's root.
    public var lastComponent: String? {
        switch self {
        case .s3(_, let prefix): return prefix.isEmpty ? nil : prefix.split(separator: "/").last.map(String.init)
        case .directory(let path): return path == "/" ? nil : (path as NSString).lastPathComponent
        }
    }

    /// How an object of the store is shown to a person: the full `s3://` or file path.
    public func display(_ key: String) -> String {
        switch self {
        case .s3(let bucket, let prefix): return "s3://\(bucket)/" + (prefix.isEmpty ? key : "\(prefix)/\(key)")
        case .directory(let path): return path == "/" ? "/\(key)" : "\(path)/\(key)"
        }
    }
}

/// A store location the user must correct.
public struct StoreLocationError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var what: String
    public var fix: String
    public var description: String { "'\(text)' is not a backup store location: \(what). Fix: \(fix)." }
}
