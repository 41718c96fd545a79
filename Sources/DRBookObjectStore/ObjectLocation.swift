import DRBookHTTP
import Foundation

/// One object, named the way drbook's commands name them: `s3://BUCKET/KEY`, or a local
/// file as `file:///PATH` or a plain path (an offline mirror of the bucket). Where a whole
/// Velero store is meant — a prefix holding `backups/`, not one object — the name is a
/// `StoreLocation` (DRBookVelero), which parses `s3://BUCKET/PREFIX` and `file:///DIR`.
public enum ObjectLocation: Sendable, Equatable, CustomStringConvertible {
    case s3(bucket: String, key: String)
    case file(path: String)

    public static func parse(_ text: String) throws -> ObjectLocation {
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst("s3://".count)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
                throw ObjectStoreInputError(what: "'\(text)' does not name an object", fix: "write it as s3://BUCKET/KEY")
            }
            return .s3(bucket: String(rest[..<slash]), key: String(rest[rest.index(after: slash)...]))
        }
        if text.hasPrefix("file://") {
            guard let url = URL(string: text), url.isFileURL, !url.path.isEmpty else {
                throw ObjectStoreInputError(what: "'\(text)' is not a file URL", fix: "write it as file:///ABSOLUTE/PATH")
            }
            return .file(path: url.path)
        }
        if text.contains("://") {
            throw ObjectStoreInputError(what: "'\(text)' uses a scheme drbook does not read", fix: "use s3://BUCKET/KEY, file:///PATH or a plain path")
        }
        return .file(path: text)
    }

    public var description: String {
        switch self {
        case .s3(let bucket, let key): return "s3://\(bucket)/\(key)"
        case .file(let path): return path
        }
    }
}

/// Input the user must correct: what is wrong and how to fix it.
public struct ObjectStoreInputError: Error, Sendable, CustomStringConvertible {
    public var what: String
    public var fix: String
    /// Set when no source held any credentials, so a caller can say so in its own words
    /// (its flags or inputs) without matching the text.
    public var noCredentials = false
    public var description: String { "\(what): \(fix)." }
}

extension S3Credentials {
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally `AWS_SESSION_TOKEN`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> S3Credentials {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw ObjectStoreInputError(what: "no credentials for the object store",
                                        fix: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for R2: an API token's access key pair)")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }
}
