import DRBookObjectStore
import DRBookRunbook
import DRBookVelero
import Foundation

/// The inputs that name a Velero backup store, the same in every action that reads one
/// (and matching `drbook backups`' options): where it is, how to reach it, and where
/// its credentials come from.
enum StoreInputs {
    static func specs(storeRequired: Bool) -> [InputSpec] {
        [
            InputSpec("store", .string, required: storeRequired,
                      description: "The Velero store: s3://BUCKET/PREFIX (the BackupStorageLocation's bucket and prefix) or file:///DIR (an offline mirror)."),
            InputSpec("endpoint", .string,
                      description: "The S3 API endpoint for an s3:// store, e.g. https://ACCOUNT_ID.r2.cloudflarestorage.com. Default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL."),
            InputSpec("region", .string, description: "The signing region. Default: auto (Cloudflare R2)."),
            InputSpec("profile", .string,
                      description: "Profile of the AWS shared-credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials) for an s3:// store. Default: AWS_PROFILE, else default."),
            InputSpec("credentialsFromSops", .string,
                      description: "A SOPS file holding the store's access key pair (the platform's variables secret), decrypted with the age key in drbook's environment."),
            InputSpec("sopsAccessKeyID", .string, description: "Key path of the access key id in that file. Default: \(StoreCredentialsFromSops.defaultAccessKeyIDPath)."),
            InputSpec("sopsSecretAccessKey", .string,
                      description: "Key path of the secret access key in that file. Default: \(StoreCredentialsFromSops.defaultSecretAccessKeyPath)."),
            InputSpec("virtualHostedStyle", .bool, description: "Address the bucket as BUCKET.ENDPOINT (AWS) instead of ENDPOINT/BUCKET (R2). Default: false."),
        ]
    }

    static let credentialsDoc = """
        For an s3:// store the credentials come from `credentialsFromSops` (decrypted by \
        sops with the age key in drbook's environment), else from `AWS_ACCESS_KEY_ID` and \
        `AWS_SECRET_ACCESS_KEY` (optionally `AWS_SESSION_TOKEN`), else from the `profile` of \
        the AWS shared-credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default \
        `~/.aws/credentials`); for R2, an API token's access key pair. They are never logged.
        """

    /// The store the inputs name, or nil when `store` is not given.
    static func open(_ inputs: ActionInputs, _ context: ActionContext, environment: ActionEnvironment) async throws(ActionError) -> (any BackupStore)? {
        guard let text = inputs.string("store"), !text.isEmpty else { return nil }
        let location: StoreLocation
        do {
            location = try StoreLocation.parse(text)
        } catch let error as StoreLocationError {
            throw ActionError("'\(text)' is not a backup store location: \(error.what)", subject: "input 'store'", fix: error.fix)
        } catch {
            throw ActionError("'\(text)' is not a backup store location: \(error)", subject: "input 'store'")
        }
        if case let .directory(path) = location { return DirectoryBackupStore(root: path) }

        let process = environment.processEnvironment
        let resolved: URL?
        do {
            resolved = try S3Endpoint.resolve(inputs.string("endpoint"), environment: process)
        } catch {
            throw ActionError(error.what, fix: error.fix)
        }
        guard let endpoint = resolved else {
            throw ActionError("an s3:// store needs the endpoint of the S3 API", subject: location.description,
                              fix: "give input 'endpoint' (for R2: https://ACCOUNT_ID.r2.cloudflarestorage.com) or set AWS_ENDPOINT_URL_S3")
        }
        let credentials = try await self.credentials(inputs, context, location: location, environment: process)
        context.treatAsSecret(credentials.secretAccessKey)
        if let token = credentials.sessionToken { context.treatAsSecret(token) }
        do {
            return try location.open(endpoint: endpoint, region: inputs.string("region") ?? "auto", credentials: credentials,
                                     addressing: inputs.bool("virtualHostedStyle") == true ? .virtualHost : .path)
        } catch {
            throw ActionError("cannot open the store: \(error)", subject: location.description)
        }
    }

    private static func credentials(_ inputs: ActionInputs, _ context: ActionContext, location: StoreLocation,
                                    environment: [String: String]) async throws(ActionError) -> S3Credentials {
        if let file = inputs.string("credentialsFromSops"), !file.isEmpty {
            let names = StoreCredentialsFromSops.Names(file: "input 'credentialsFromSops'", accessKeyID: "input 'sopsAccessKeyID'",
                                                       secretAccessKey: "input 'sopsSecretAccessKey'")
            let source = StoreCredentialsFromSops(file: file,
                                                  accessKeyIDPath: inputs.string("sopsAccessKeyID") ?? StoreCredentialsFromSops.defaultAccessKeyIDPath,
                                                  secretAccessKeyPath: inputs.string("sopsSecretAccessKey") ?? StoreCredentialsFromSops.defaultSecretAccessKeyPath,
                                                  names: names)
            do {
                let credentials = try await source.decrypt(environment: environment)
                context.log("store credentials decrypted from \(file)")
                return credentials
            } catch {
                throw ActionError(error.what, subject: error.subject, fix: error.fix)
            }
        }
        do {
            let resolved = try S3CredentialChain.resolve(profile: inputs.string("profile"), environment: environment)
            if let profile = resolved.shadowedProfile {
                context.log("profile '\(profile)' not used: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set and take precedence")
            }
            return resolved.credentials
        } catch let error as ObjectStoreInputError {
            throw ActionError(error.what, subject: location.description, fix: error.fix)
        } catch let error as SharedCredentialsError {
            throw ActionError("the AWS shared-credentials file \(error.what)", subject: error.line.map { "\(error.path):\($0)" } ?? error.path, fix: error.fix)
        } catch {
            throw ActionError("cannot read the store's credentials: \(error)", subject: location.description)
        }
    }
}
