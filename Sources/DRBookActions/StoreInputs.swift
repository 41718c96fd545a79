import DRBookObjectStore
import DRBookRunbook
import DRBookVelero
import Foundation

/// The inputs that name a Velero backup store, the same in every action that reads one;
/// their names are `StoreSetting`'s, which `drbook backups` and `drbook.yaml` use too.
/// Opening the store is `StoreAccess`'s job: here the inputs only become its settings.
enum StoreInputs {
    static func specs(storeRequired: Bool) -> [InputSpec] {
        [
            InputSpec(StoreSetting.store.rawValue, .string, required: storeRequired,
                      description: "The Velero store: s3://BUCKET/PREFIX (the BackupStorageLocation's bucket and prefix) or file:///DIR (an offline mirror)."),
            InputSpec(StoreSetting.endpoint.rawValue, .string,
                      description: "The S3 API endpoint for an s3:// store, e.g. https://ACCOUNT_ID.r2.cloudflarestorage.com. Default (also when empty): AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL."),
            InputSpec(StoreSetting.region.rawValue, .string, description: "The signing region. Default: auto (Cloudflare R2)."),
            InputSpec(StoreSetting.profile.rawValue, .string,
                      description: "A profile of the AWS shared-credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials); when named it comes before environment keys, as with aws --profile."),
            InputSpec(StoreSetting.credentialsFromSops.rawValue, .string,
                      description: "A SOPS file holding the store's access key pair (the platform's variables secret), decrypted with the age key in drbook's environment."),
            InputSpec(StoreSetting.sopsAccessKeyID.rawValue, .string, description: "Key path of the access key id in that file. Default: the platform profile's."),
            InputSpec(StoreSetting.sopsSecretAccessKey.rawValue, .string, description: "Key path of the secret access key in that file. Default: the platform profile's."),
            InputSpec(StoreSetting.virtualHostedStyle.rawValue, .bool, description: "Address the bucket as BUCKET.ENDPOINT (AWS) instead of ENDPOINT/BUCKET (R2). Default: false."),
        ]
    }

    static let credentialsDoc = """
        For an s3:// store the credentials come from `credentialsFromSops` (decrypted by \
        sops with the age key in drbook's environment), else from the named `profile` of \
        the AWS shared-credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default \
        `~/.aws/credentials`), else from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` \
        (optionally `AWS_SESSION_TOKEN`), else from the profile `AWS_PROFILE` or `default`: \
        awscli's order. For R2, an API token's access key pair. They are never logged. \
        An empty input counts as not given.
        """

    static func settings(_ inputs: ActionInputs) -> StoreSettings {
        var settings = StoreSettings()
        for setting in StoreSetting.allCases where setting != .virtualHostedStyle { settings[setting] = inputs.string(setting.rawValue) }
        settings.virtualHostedStyle = inputs.bool(StoreSetting.virtualHostedStyle.rawValue)
        return settings
    }

    /// The store the inputs name, or nil when `store` is not given.
    static func open(_ inputs: ActionInputs, _ context: ActionContext, environment: ActionEnvironment) async throws(ActionError) -> (any BackupStore)? {
        let settings = settings(inputs)
        guard settings[.store] != nil else { return nil }
        // The platform profile is read only when its key paths are needed: a profile that
        // cannot be read must not stop a step that reads a file:// mirror.
        var access = StoreAccess(settings: settings, naming: .inputs, environment: environment.processEnvironment, credentialKeys: nil)
        if access.needsCredentialKeys { access.credentialKeys = try environment.platformProfile().storeCredentialKeys }
        let opened: OpenedStore
        do {
            opened = try await access.open()
        } catch {
            throw ActionError(error.what, subject: error.subject, fix: error.fix)
        }
        for secret in opened.secrets { context.treatAsSecret(secret) }
        if case .sops(let file)? = opened.credentialOrigin { context.log("store credentials decrypted from \(file)") }
        for note in opened.notes { context.log(note) }
        return opened.store
    }
}
