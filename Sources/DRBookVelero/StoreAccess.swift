import DRBookHTTP
import DRBookObjectStore
import DRBookSecrets
import Foundation

/// One setting that says where a Velero store is or how to reach it. The raw value is
/// the name of the runbook input and of the `drbook.yaml` param, so `drbook backups
/// --env E` and `drbook run … --env E` read the same keys.
public enum StoreSetting: String, CaseIterable, Sendable {
    case store, endpoint, region, profile, credentialsFromSops, sopsAccessKeyID, sopsSecretAccessKey, virtualHostedStyle

    /// The command-line flag that sets it.
    public var flag: String {
        switch self {
        case .store: return "--store"
        case .endpoint: return "--endpoint"
        case .region: return "--region"
        case .profile: return "--profile"
        case .credentialsFromSops: return "--credentials-from-sops"
        case .sopsAccessKeyID: return "--sops-access-key-id"
        case .sopsSecretAccessKey: return "--sops-secret-access-key"
        case .virtualHostedStyle: return "--virtual-hosted-style"
        }
    }
}

/// How the caller names a setting in errors: `--endpoint` on the command line,
/// `input 'endpoint'` in a runbook step. The only way the CLI and the actions differ.
public enum StoreSettingNaming: Sendable {
    case flags, inputs

    public func name(_ setting: StoreSetting) -> String {
        switch self {
        case .flags: return setting.flag
        case .inputs: return "input '\(setting.rawValue)'"
        }
    }
}

/// Where the platform's SOPS file keeps the store's access key pair.
public struct StoreCredentialKeys: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String

    public init(accessKeyID: String, secretAccessKey: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }
}

/// The settings as given. An empty string means "not given" (a runbook's `endpoint: ""`
/// default falls back to the environment exactly as an omitted flag does).
public struct StoreSettings: Sendable, Equatable {
    public private(set) var values: [StoreSetting: String] = [:]
    public var virtualHostedStyle: Bool?

    public init() {}

    public subscript(setting: StoreSetting) -> String? {
        get { values[setting] }
        set {
            if let text = newValue, !text.isEmpty { values[setting] = text } else { values[setting] = nil }
        }
    }

    /// These settings, with what is missing taken from `fallback` (flags first, then the profile).
    public func filling(from fallback: StoreSettings) -> StoreSettings {
        var merged = self
        for (setting, value) in fallback.values where merged.values[setting] == nil { merged.values[setting] = value }
        merged.virtualHostedStyle = virtualHostedStyle ?? fallback.virtualHostedStyle
        return merged
    }
}

/// A store setting the person must correct: what is wrong, which setting or object, what to do.
public struct StoreAccessError: Error, Sendable, Equatable, CustomStringConvertible {
    public var what: String
    public var subject: String?
    public var fix: String

    public init(_ what: String, subject: String? = nil, fix: String) {
        self.what = what
        self.subject = subject
        self.fix = fix
    }

    public var description: String { (subject.map { "\($0): " } ?? "") + "\(what). Fix: \(fix)." }
}

/// The store, opened, with what the person should be told about how.
public struct OpenedStore: Sendable {
    public var location: StoreLocation
    public var store: any BackupStore
    /// Where the credentials came from (nil for a `file://` store).
    public var credentialOrigin: S3CredentialOrigin?
    /// Settings that were given but not used, and why (never a value).
    public var notes: [String]
    /// Values the caller must redact from everything it writes.
    public var secrets: [String]
}

/// The one way to reach a Velero store, for the CLI and the actions alike: parses the
/// location, resolves the endpoint (given → `AWS_ENDPOINT_URL_S3` → `AWS_ENDPOINT_URL`)
/// and walks one credential chain: the SOPS file when one is named, else awscli's order
/// (`S3CredentialChain`: a named profile, the environment's keys, `AWS_PROFILE`/default).
public struct StoreAccess: Sendable {
    public var settings: StoreSettings
    public var naming: StoreSettingNaming
    public var environment: [String: String]
    /// The key paths in the SOPS file when the settings name none (the platform profile's);
    /// nil when the caller has none, and then only explicit key paths work.
    public var credentialKeys: StoreCredentialKeys?

    public init(settings: StoreSettings, naming: StoreSettingNaming, environment: [String: String] = ProcessInfo.processInfo.environment,
                credentialKeys: StoreCredentialKeys?) {
        self.settings = settings
        self.naming = naming
        self.environment = environment
        self.credentialKeys = credentialKeys
    }

    private func name(_ setting: StoreSetting) -> String { naming.name(setting) }

    /// Whether the credentials come from a SOPS file whose key paths the settings do not
    /// both name: then the caller's `credentialKeys` (the platform profile's) are needed, and
    /// only then need the profile be read.
    public var needsCredentialKeys: Bool {
        settings[.credentialsFromSops] != nil && (settings[.sopsAccessKeyID] == nil || settings[.sopsSecretAccessKey] == nil)
    }

    /// Input errors found without any I/O in what is given: a malformed location, endpoint
    /// or key path, settings that contradict each other.
    public func validate() throws(StoreAccessError) {
        if settings[.store] != nil, case .s3 = try location() { _ = try endpoint() }
        for setting in [StoreSetting.sopsAccessKeyID, .sopsSecretAccessKey] {
            if let text = settings[setting], SopsKeyPath(parsing: text) == nil {
                throw StoreAccessError("'\(text)' is not a key path", subject: name(setting),
                                       fix: "write it like stringData.KEY or [\"stringData\"][\"KEY\"]")
            }
        }
        if settings[.credentialsFromSops] != nil, let profile = settings[.profile] {
            throw StoreAccessError("both a SOPS file and profile '\(profile)' name the store's credentials", subject: name(.profile),
                                   fix: "give \(name(.credentialsFromSops)) or \(name(.profile)), not both")
        }
    }

    public func location() throws(StoreAccessError) -> StoreLocation {
        guard let text = settings[.store] else {
            throw StoreAccessError("no store was given", subject: name(.store),
                                   fix: "give \(name(.store)) s3://BUCKET/PREFIX (the BackupStorageLocation's bucket and prefix) or file:///DIR (an offline mirror)")
        }
        do {
            return try StoreLocation.parse(text)
        } catch let error as StoreLocationError {
            throw StoreAccessError("'\(text)' is not a backup store location: \(error.what)", subject: name(.store), fix: error.fix)
        } catch {
            throw StoreAccessError("'\(text)' is not a backup store location: \(error)", subject: name(.store), fix: "write it as s3://BUCKET/PREFIX or file:///DIR")
        }
    }

    /// The S3 endpoint: the setting, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`.
    public func endpoint() throws(StoreAccessError) -> URL {
        let source: String
        let text: String
        if let given = settings[.endpoint] {
            (source, text) = (name(.endpoint), given)
        } else if let value = environment["AWS_ENDPOINT_URL_S3"], !value.isEmpty {
            (source, text) = ("AWS_ENDPOINT_URL_S3", value)
        } else if let value = environment["AWS_ENDPOINT_URL"], !value.isEmpty {
            (source, text) = ("AWS_ENDPOINT_URL", value)
        } else {
            throw StoreAccessError("an s3:// location needs the endpoint of the S3 API", subject: name(.endpoint),
                                   fix: "give \(name(.endpoint)) (for R2: https://ACCOUNT_ID.r2.cloudflarestorage.com) or set AWS_ENDPOINT_URL_S3")
        }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            // A value that is no URL is not echoed whole: it may be a token pasted in the wrong place.
            let shown: String
            if let url = URL(string: text), url.scheme != nil, url.host != nil {
                shown = RedactedURL.string(url)
            } else if text.count <= 100, text.contains("."), !text.contains("@"), !text.contains(where: \.isWhitespace) {
                shown = text
            } else {
                shown = "(\(text.count) characters)"
            }
            throw StoreAccessError("endpoint '\(shown)' is not an http(s) URL", subject: source, fix: "write it as https://HOST[:PORT]")
        }
        return url
    }

    public var region: String { settings[.region] ?? "auto" }

    public var addressing: S3Addressing { settings.virtualHostedStyle == true ? .virtualHost : .path }

    /// The store the settings name, opened (credentials decrypted or read, nothing requested yet).
    public func open() async throws(StoreAccessError) -> OpenedStore {
        let location = try location()
        try validate()
        guard case let .s3(bucket, prefix) = location else {
            guard case let .directory(path) = location else { preconditionFailure("a location is s3:// or file://") }
            return OpenedStore(location: location, store: DirectoryBackupStore(root: path), credentialOrigin: nil, notes: [], secrets: [])
        }
        let client = try await client(bucket: bucket)
        return OpenedStore(location: location, store: S3BackupStore(client: client.client, prefix: prefix), credentialOrigin: client.origin,
                           notes: client.notes, secrets: client.secrets)
    }

    /// A client of `bucket` at the resolved endpoint, with the resolved credentials.
    public func client(bucket: String) async throws(StoreAccessError) -> (client: S3Client, origin: S3CredentialOrigin, notes: [String], secrets: [String]) {
        let url = try endpoint()
        let (credentials, origin, notes) = try await credentials()
        let client = S3Client(endpoint: url, region: region, bucket: bucket, credentials: credentials, addressing: addressing)
        return (client, origin, notes, [credentials.secretAccessKey] + (credentials.sessionToken.map { [$0] } ?? []))
    }

    private func credentials() async throws(StoreAccessError) -> (S3Credentials, S3CredentialOrigin, [String]) {
        if let file = settings[.credentialsFromSops] {
            guard let accessKeyID = settings[.sopsAccessKeyID] ?? credentialKeys?.accessKeyID,
                  let secretAccessKey = settings[.sopsSecretAccessKey] ?? credentialKeys?.secretAccessKey else {
                throw StoreAccessError("the platform profile names no key paths for the store's credentials", subject: name(.credentialsFromSops),
                                       fix: "give \(name(.sopsAccessKeyID)) and \(name(.sopsSecretAccessKey)), or a platform profile with store.accessKeyIDPath")
            }
            let keys = StoreCredentialKeys(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey)
            do {
                let credentials = try await SopsStoreCredentials(file: file, keys: keys, naming: naming).decrypt(environment: environment)
                return (credentials, .sops(file: file), [])
            } catch {
                throw StoreAccessError(error.what, subject: error.subject, fix: error.fix)
            }
        }
        let resolved: ResolvedS3Credentials
        do {
            resolved = try S3CredentialChain.resolve(profile: settings[.profile], environment: environment)
        } catch let error as SharedCredentialsError {
            throw StoreAccessError("the AWS shared-credentials file \(error.what)", subject: error.line.map { "\(error.path):\($0)" } ?? error.path,
                                   fix: error.fix)
        } catch let error as ObjectStoreInputError where error.noCredentials {
            throw StoreAccessError("no credentials for the object store", subject: settings[.store],
                                   fix: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, name a profile of ~/.aws/credentials with \(name(.profile)) (or AWS_PROFILE), or decrypt them from the platform's SOPS file with \(name(.credentialsFromSops)) FILE (for R2: an API token's access key pair)")
        } catch let error as ObjectStoreInputError {
            throw StoreAccessError(error.what, subject: settings[.store], fix: error.fix)
        } catch {
            throw StoreAccessError("cannot read the store's credentials: \(error)", subject: settings[.store], fix: "check the credentials' sources")
        }
        var notes: [String] = []
        if let profile = resolved.shadowedProfile {
            notes.append("AWS_PROFILE '\(profile)' not used: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set and come first")
        }
        if resolved.environmentKeysIgnored {
            notes.append("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not used: \(name(.profile)) names a profile, which comes first (as with aws --profile)")
        }
        return (resolved.credentials, resolved.origin, notes)
    }
}

/// The store's access key pair decrypted from the platform's SOPS file by the real sops
/// (with the user's age key: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, ~/.config/sops/age/keys.txt).
/// The values live only in memory; errors name the file and key path, never a value.
struct SopsStoreCredentials: Sendable {
    var file: String
    var keys: StoreCredentialKeys
    var naming: StoreSettingNaming

    func decrypt(environment: [String: String]) async throws(SopsError) -> S3Credentials {
        guard FileManager.default.fileExists(atPath: file) else {
            throw SopsError(.fileMissing, "the SOPS file does not exist", subject: file,
                            fix: "check the path given to \(naming.name(.credentialsFromSops)) (relative paths are from the current directory)")
        }
        let sops = try SopsBinary.locate(environment: environment)
        let id = try await value(sops, keys.accessKeyID, setting: .sopsAccessKeyID)
        let secret = try await value(sops, keys.secretAccessKey, setting: .sopsSecretAccessKey)
        return S3Credentials(accessKeyID: id.revealed, secretAccessKey: secret.revealed)
    }

    private func value(_ sops: SopsBinary, _ text: String, setting: StoreSetting) async throws(SopsError) -> SecretValue {
        guard let path = SopsKeyPath(parsing: text) else {
            throw SopsError(.failed, "'\(text)' is not a key path", subject: naming.name(setting), fix: "write it like stringData.KEY")
        }
        let value = try await sops.decrypt(file: file, key: path)
        guard !value.revealed.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw SopsError(.invalidValue, "the value is empty", subject: "\(file) \(path)",
                            fix: "set it with `drbook secrets set \(path) --file \(file)` (for R2: the API token's access key pair)")
        }
        return value
    }
}
