import ArgumentParser
import DRBookActions
import DRBookObjectStore
import DRBookSecrets
import DRBookVelero
import Foundation

/// How to reach an S3-compatible store; shared by every command that reads one.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("S3 endpoint, e.g. https://ACCOUNT.r2.cloudflarestorage.com (or AWS_ENDPOINT_URL_S3).", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("Signing region (default: auto, as R2 wants).", valueName: "region"))
    var region: String?

    @Flag(help: "Address the bucket as BUCKET.ENDPOINT (AWS) instead of ENDPOINT/BUCKET (R2, default).")
    var virtualHostedStyle = false

    @Option(help: ArgumentHelp("""
        Profile of the AWS shared-credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials); \
        default AWS_PROFILE, else 'default'. AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment take precedence.
        """, valueName: "name"))
    var profile: String?

    @Option(name: .customLong("credentials-from-sops"), help: ArgumentHelp("""
        Decrypt the store's access key pair from this SOPS file with sops and your age key \
        (e.g. k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml); takes precedence over the environment and profiles.
        """, valueName: "file"))
    var credentialsFromSops: String?

    @Option(name: .customLong("sops-access-key-id"), help: ArgumentHelp("Key path of the access key id in the SOPS file.", valueName: "path"))
    var sopsAccessKeyID = StoreCredentialsFromSops.defaultAccessKeyIDPath

    @Option(name: .customLong("sops-secret-access-key"), help: ArgumentHelp("Key path of the secret access key in the SOPS file.", valueName: "path"))
    var sopsSecretAccessKey = StoreCredentialsFromSops.defaultSecretAccessKeyPath

    private var addressing: S3Addressing { virtualHostedStyle ? .virtualHost : .path }

    private func endpointURL() throws -> URL? { try S3Endpoint.resolve(endpoint) }

    func validate() throws {
        for (flag, text) in [("--sops-access-key-id", sopsAccessKeyID), ("--sops-secret-access-key", sopsSecretAccessKey)]
        where SopsKeyPath(parsing: text) == nil {
            throw ValidationError("\(flag) '\(text)' is not a key path; write it like stringData.r2_access_key_id or [\"stringData\"][\"r2_access_key_id\"].")
        }
    }

    func client(bucket: String) async throws -> S3Client {
        guard let url = try endpointURL() else {
            throw BadInput("An s3:// source needs --endpoint URL (or AWS_ENDPOINT_URL_S3).")
        }
        return S3Client(endpoint: url, region: region ?? "auto", bucket: bucket, credentials: try await credentials(), addressing: addressing)
    }

    /// The Velero store at `--store`: `s3://BUCKET/PREFIX` or `file:///DIR/PREFIX`.
    func backupStore(_ location: String) async throws -> (StoreLocation, any BackupStore) {
        let parsed: StoreLocation
        do { parsed = try StoreLocation.parse(location) } catch { throw BadInput(String(describing: error)) }
        if case .s3 = parsed {
            guard let url = try endpointURL() else {
                throw BadInput("An s3:// store needs --endpoint URL (for R2: https://ACCOUNT_ID.r2.cloudflarestorage.com) or AWS_ENDPOINT_URL_S3.")
            }
            let credentials = try await credentials()
            do { return (parsed, try parsed.open(endpoint: url, region: region ?? "auto", credentials: credentials, addressing: addressing)) }
            catch { throw BadInput(String(describing: error)) }
        }
        return (parsed, try parsed.open(endpoint: nil, credentials: nil))
    }

    /// `--credentials-from-sops`, else the environment's keys, else the shared-credentials profile.
    private func credentials() async throws -> S3Credentials {
        let environment = ProcessInfo.processInfo.environment
        if let file = credentialsFromSops {
            do {
                let names = StoreCredentialsFromSops.Names(file: "--credentials-from-sops", accessKeyID: "--sops-access-key-id",
                                                           secretAccessKey: "--sops-secret-access-key")
                return try await StoreCredentialsFromSops(file: file, accessKeyIDPath: sopsAccessKeyID, secretAccessKeyPath: sopsSecretAccessKey,
                                                          names: names).decrypt(environment: environment)
            } catch { throw BadInput(error.description) }
        }
        let resolved: ResolvedS3Credentials
        do {
            resolved = try S3CredentialChain.resolve(profile: profile, environment: environment)
        } catch let error as SharedCredentialsError {
            throw BadInput(error.description)
        }
        if let shadowed = resolved.shadowedProfile {
            FileHandle.standardError.write(Data("note: profile '\(shadowed)' not used: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set and take precedence.\n".utf8))
        }
        return resolved.credentials
    }
}

/// `--output text|json`: text for people, JSON for scripts.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
