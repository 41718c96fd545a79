import DRBookObjectStore
import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.verifyStore`: proves from the bucket alone that a namespace's newest backup can bring it back.
struct VeleroVerifyStoreAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.verifyStore",
        summary: "Verify, straight from the backup store, that the newest backup of a namespace is complete, restorable and within the RPO.",
        inputs: [
            InputSpec("store", .string, required: true,
                      description: "The Velero store: s3://BUCKET/PREFIX (the BackupStorageLocation's bucket and prefix) or file:///DIR (an offline mirror)."),
            InputSpec("endpoint", .string,
                      description: "The S3 API endpoint for an s3:// store, e.g. https://ACCOUNT_ID.r2.cloudflarestorage.com. Default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL."),
            InputSpec("region", .string, description: "The signing region. Default: auto (Cloudflare R2)."),
            InputSpec("profile", .string,
                      description: "Profile of the AWS shared-credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials) for an s3:// store. Default: AWS_PROFILE, else default."),
            InputSpec("virtualHostedStyle", .bool, description: "Address the bucket as BUCKET.ENDPOINT (AWS) instead of ENDPOINT/BUCKET (R2). Default: false."),
            InputSpec("namespace", .string, required: true, description: "The namespace whose volumes must be restorable, e.g. monitoring."),
            InputSpec("rpo", .duration, description: "Recovery point objective: the verified backup must be younger. Default: 24h."),
            InputSpec("expectPVCs", .list, description: "Globs of PVCs that must be in the backup, e.g. [\"prometheus-*\", \"storage-loki-*\"]."),
            InputSpec("allowWarnings", .bool, description: "Pass when the worst finding is a warning (e.g. an older PartiallyFailed backup). Default: false."),
        ],
        outputs: [
            OutputSpec("backup", .string, description: "The name of the backup verified."),
            OutputSpec("backupCompletedAt", .time, description: "When it completed."),
            OutputSpec("status", .string, description: "passed, or warning when allowWarnings let warnings through."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads the Velero store directly — no cluster needed — and checks the newest backup \
            in a terminal phase that includes `namespace`: its age against `rpo`; that every PVC \
            of the namespace in the tarball has a Completed PodVolumeBackup with a snapshot id \
            and data; that the pods mounting them are in the backup; that the namespace's Kopia \
            repository exists; that each `expectPVCs` glob matches a PVC; and that the store's \
            layout is one Velero accepts. It is the check `drbook backups verify` runs.

            Every finding is logged with the object at fault and its fix. The step fails unless \
            the verdict is green (or, with `allowWarnings: true`, no worse than a warning); the \
            failure carries the first finding's message and fix. It reports the metrics \
            `backup_age_seconds` (target: the RPO) and `volumes_verified`.

            For an s3:// store the credentials come from `AWS_ACCESS_KEY_ID` and \
            `AWS_SECRET_ACCESS_KEY` (optionally `AWS_SESSION_TOKEN`) in drbook's environment, \
            else from the `profile` of the AWS shared-credentials file \
            (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`; keys `aws_access_key_id`, \
            `aws_secret_access_key`, `aws_session_token`); for R2, an API token's access key pair. \
            They are never logged.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let namespace = try inputs.requiredString("namespace")
        let rpo = inputs.duration("rpo") ?? .seconds(24 * 3_600)
        let globs = try inputs.strings("expectPVCs") ?? []
        let store = try openStore(inputs, context)

        context.log("verifying namespace \(namespace) in \(store.location) (RPO \(RunbookDuration.format(rpo)))")
        let verdict: StoreVerdict
        do {
            verdict = try await StoreVerifier(store: store).verify(namespace: namespace, rpo: rpo.seconds, expectedPVCs: globs, now: context.now())
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ActionError("could not read the store: \(error)", subject: store.location.description,
                              fix: "check the store location, the endpoint, the credentials and the network")
        }
        for finding in verdict.findings { context.log(finding.description) }
        if let backup = verdict.backup {
            context.log("verified backup \(backup.name): \(backup.verdict)")
            if let age = backup.age { context.metric("backup_age_seconds", age, unit: "s", target: rpo.seconds) }
        }
        context.metric("volumes_verified", Double(verdict.volumes.filter { $0.status == .passed }.count), unit: "volumes")

        let tolerated: Set<VerdictStatus> = inputs.bool("allowWarnings") == true ? [.passed, .warning] : [.passed]
        guard tolerated.contains(verdict.status), let backup = verdict.backup else {
            throw Self.failure(verdict)
        }
        var outputs: ActionOutputs = ["backup": .string(backup.name), "status": .string(verdict.status.rawValue)]
        if let completed = backup.completedAt { outputs["backupCompletedAt"] = .time(completed) }
        return outputs
    }

    /// The store the inputs name, opened with credentials from the environment when it is in S3.
    private func openStore(_ inputs: ActionInputs, _ context: ActionContext) throws(ActionError) -> any BackupStore {
        let text = try inputs.requiredString("store")
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
        let credentials: S3Credentials
        do {
            let resolved = try S3CredentialChain.resolve(profile: inputs.string("profile"), environment: process)
            credentials = resolved.credentials
            if let profile = resolved.shadowedProfile {
                context.log("profile '\(profile)' not used: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set and take precedence")
            }
        } catch let error as ObjectStoreInputError {
            throw ActionError(error.what, subject: location.description, fix: error.fix)
        } catch let error as SharedCredentialsError {
            throw ActionError("the AWS shared-credentials file \(error.what)", subject: error.line.map { "\(error.path):\($0)" } ?? error.path, fix: error.fix)
        } catch {
            throw ActionError("cannot read the store's credentials: \(error)", subject: location.description)
        }
        context.treatAsSecret(credentials.secretAccessKey)
        if let token = credentials.sessionToken { context.treatAsSecret(token) }
        do {
            return try location.open(endpoint: endpoint, region: inputs.string("region") ?? "auto", credentials: credentials,
                                     addressing: inputs.bool("virtualHostedStyle") == true ? .virtualHost : .path)
        } catch {
            throw ActionError("cannot open the store: \(error)", subject: location.description)
        }
    }

    /// The first finding at the verdict's worst severity, as the step's error.
    private static func failure(_ verdict: StoreVerdict) -> ActionError {
        let worst = verdict.findings.map(\.severity).max() ?? .failure
        guard let first = verdict.findings.first(where: { $0.severity == worst }) else {
            return ActionError("no backup of namespace \(verdict.namespace) could be verified", subject: verdict.store,
                               fix: "check that Velero's schedule includes the namespace")
        }
        let others = verdict.findings.count - 1
        let more = others > 0 ? " (\(others) more finding\(others == 1 ? "" : "s") in the step log)" : ""
        return ActionError(first.message + more, subject: first.object, fix: first.fix)
    }
}
