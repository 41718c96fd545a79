import DRBookObjectStore
import DRBookSecrets
import Foundation

/// The store's access key pair decrypted from the platform's SOPS file by the real
/// sops (with the user's age key: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, ~/.config/sops/age/keys.txt).
/// The values live only in memory; errors name the file and key path, never a value.
/// Shared by `drbook backups --credentials-from-sops` and the store inputs of the actions.
public struct StoreCredentialsFromSops: Sendable {
    /// Where the platform keeps the R2 token for Velero (variables-*-secret.enc.yaml).
    public static let defaultAccessKeyIDPath = "stringData.r2_access_key_id"
    public static let defaultSecretAccessKeyPath = "stringData.r2_secret_access_key"

    /// How the caller's settings are named in errors (`--credentials-from-sops`, or input names).
    public struct Names: Sendable {
        public var file: String
        public var accessKeyID: String
        public var secretAccessKey: String
        public init(file: String, accessKeyID: String, secretAccessKey: String) {
            self.file = file
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
        }
    }

    public var file: String
    public var accessKeyIDPath: String
    public var secretAccessKeyPath: String
    public var names: Names

    public init(file: String, accessKeyIDPath: String = defaultAccessKeyIDPath, secretAccessKeyPath: String = defaultSecretAccessKeyPath,
                names: Names) {
        self.file = file
        self.accessKeyIDPath = accessKeyIDPath
        self.secretAccessKeyPath = secretAccessKeyPath
        self.names = names
    }

    public func decrypt(environment: [String: String]) async throws(SopsError) -> S3Credentials {
        guard FileManager.default.fileExists(atPath: file) else {
            throw SopsError(.fileMissing, "the SOPS file does not exist", subject: file,
                            fix: "check the path given to \(names.file) (relative paths are from the current directory)")
        }
        let sops = try SopsBinary.locate(environment: environment)
        let id = try await value(sops, accessKeyIDPath, setting: names.accessKeyID)
        let secret = try await value(sops, secretAccessKeyPath, setting: names.secretAccessKey)
        return S3Credentials(accessKeyID: id.revealed, secretAccessKey: secret.revealed)
    }

    private func value(_ sops: SopsBinary, _ text: String, setting: String) async throws(SopsError) -> SecretValue {
        guard let path = SopsKeyPath(parsing: text) else {
            throw SopsError(.failed, "'\(text)' is not a key path", subject: setting, fix: "write it like stringData.r2_access_key_id")
        }
        let value = try await sops.decrypt(file: file, key: path)
        guard !value.revealed.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw SopsError(.invalidValue, "the value is empty", subject: "\(file) \(path)",
                            fix: "set it with `drbook secrets set \(path) --file \(file)` (for R2: the API token's access key pair)")
        }
        return value
    }
}
