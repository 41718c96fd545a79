import Foundation

/// Where a store's credentials came from, as printed to a person (never the values).
public enum S3CredentialOrigin: Sendable, Equatable, CustomStringConvertible {
    case environment
    case sharedCredentialsFile(path: String, profile: String)
    /// Decrypted from a SOPS file by the caller (the CLI, through DRBookSecrets).
    case sops(file: String)

    public var description: String {
        switch self {
        case .environment: return "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        case .sharedCredentialsFile(let path, let profile): return "profile [\(profile)] of \(path)"
        case .sops(let file): return "SOPS file \(file)"
        }
    }
}

/// Credentials found, where from, and what was set but not used (worth a note to the user).
public struct ResolvedS3Credentials: Sendable {
    public var credentials: S3Credentials
    public var origin: S3CredentialOrigin
    /// `AWS_PROFILE`, set but not used because environment keys come first.
    public var shadowedProfile: String?
    /// Environment keys set but not used because a profile was named explicitly.
    public var environmentKeysIgnored: Bool = false
}

/// The credential sources for an s3:// store, with awscli's (botocore's) precedence:
/// 1. an explicitly named profile (`--profile`, input `profile`) of the shared-credentials
///    file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`) — naming one turns
///    the environment's keys off, as `aws --profile` does;
/// 2. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) in the environment;
/// 3. the profile `AWS_PROFILE`, else `default`, of that file.
/// A SOPS file, when the user names one, is read by the caller before this chain.
public enum S3CredentialChain {
    public static let defaultProfile = "default"

    public static func resolve(profile: String? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ResolvedS3Credentials {
        let id = environment["AWS_ACCESS_KEY_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let secret = environment["AWS_SECRET_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let explicit = profile.flatMap { $0.isEmpty ? nil : $0 }
        if let explicit {
            var resolved = try fromFile(profile: explicit, requested: true, environment: environment)
            resolved.environmentKeysIgnored = id != nil || secret != nil
            return resolved
        }
        let requested = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
        switch (id, secret) {
        case (.some, .some):
            return ResolvedS3Credentials(credentials: try S3Credentials.fromEnvironment(environment), origin: .environment,
                                         shadowedProfile: requested)
        case (.some, nil), (nil, .some):
            // Half a key pair is a mistake, not a reason to fall through to another source.
            let set = id != nil ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"
            let unset = id != nil ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"
            throw ObjectStoreInputError(what: "\(set) is set but \(unset) is not", fix: "set both, or unset both to use a shared-credentials profile")
        case (nil, nil):
            return try fromFile(profile: requested ?? defaultProfile, requested: requested != nil, environment: environment)
        }
    }

    private static func fromFile(profile profileName: String, requested: Bool, environment: [String: String]) throws -> ResolvedS3Credentials {
        let explicitFile = environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = explicitFile.map({ expandHome($0, environment) }) ?? environment["HOME"].map({ "\($0)/.aws/credentials" }) else {
            throw noCredentials
        }
        guard FileManager.default.fileExists(atPath: path) else {
            // Silence about a default file nobody asked for; a named file or profile must exist.
            if explicitFile == nil && !requested { throw noCredentials }
            throw SharedCredentialsError(path: path, line: nil, what: "does not exist (profile [\(profileName)] was asked for)",
                                         fix: "create it with `aws configure --profile \(profileName)`, point AWS_SHARED_CREDENTIALS_FILE at it, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let file = try SharedCredentialsFile.load(path: path)
        return ResolvedS3Credentials(credentials: try file.credentials(profile: profileName),
                                     origin: .sharedCredentialsFile(path: path, profile: profileName), shadowedProfile: nil)
    }

    static var noCredentials: ObjectStoreInputError {
        ObjectStoreInputError(what: "no credentials for the object store",
                              fix: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put a profile in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE, --profile or AWS_PROFILE), or decrypt them from the platform's SOPS file with --credentials-from-sops FILE (for R2: an API token's access key pair)",
                              noCredentials: true)
    }

    /// `~` and `~/…` as botocore expands them.
    static func expandHome(_ path: String, _ environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = environment["HOME"] else { return path }
        return home + path.dropFirst()
    }
}
