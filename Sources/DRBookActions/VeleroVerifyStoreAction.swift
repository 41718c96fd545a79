import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.verifyStore`: proves from the bucket alone that a namespace's newest backup can bring it back.
struct VeleroVerifyStoreAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.verifyStore",
        summary: "Verify, straight from the backup store, that the newest backup of a namespace is complete, restorable and within the RPO.",
        inputs: StoreInputs.specs(storeRequired: true) + [
            InputSpec("namespace", .string, required: true, description: "The namespace whose volumes must be restorable, e.g. monitoring."),
            InputSpec("rpo", .duration, description: "Recovery point objective: the verified backup must be younger. Default: 24h."),
            InputSpec("expectPVCs", .list, description: "Globs of PVCs that must be in the backup, e.g. [\"prometheus-*\", \"storage-loki-*\"]. Default: the platform profile's volumes of the namespace."),
            InputSpec("allowWarnings", .bool, description: "Pass when the worst finding is a warning (e.g. an older PartiallyFailed backup). Default: false."),
            InputSpec("backup", .string,
                      description: "Verify this backup (e.g. the one velero.latestBackup chose) instead of the newest Completed one that includes the namespace."),
            InputSpec("allowRemoved", .list,
                      description: "Globs of PVCs removed on purpose: PVCs the previous Completed backup held and the verified one lacks fail the step unless listed here."),
        ],
        outputs: [
            OutputSpec("backup", .string, description: "The name of the backup verified."),
            OutputSpec("backupCompletedAt", .time, description: "When it completed."),
            OutputSpec("status", .string, description: "passed, or warning when allowWarnings let warnings through."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads the Velero store directly — no cluster needed — and checks the newest Completed \
            backup that includes `namespace` (or the one `backup` names; a PartiallyFailed one \
            only when none completed): its age against `rpo`; that every PVC of the namespace in \
            the tarball, and every claim its pods mount, has a Completed PodVolumeBackup with a \
            snapshot id and data; that the pods mounting them are in the backup; that the \
            namespace's Kopia repository exists with its format blob; that each `expectPVCs` \
            glob matches a PVC; that no PVC the previous Completed backup held has dropped out \
            (unless `allowRemoved` lists it); and that the store's layout is one Velero \
            accepts. It is the check `drbook backups verify` runs.

            Every finding is logged with the object at fault and its fix. The step fails unless \
            the verdict is green (or, with `allowWarnings: true`, no worse than a warning); the \
            failure carries the first finding's message and fix. The whole verdict (backup, \
            volumes, findings) is recorded as the step's result, which `drbook report` shows as \
            `drbook backups verify` prints it. It reports the metrics \
            `backup_age_seconds` (target: the RPO) and `volumes_verified`.

            \(StoreInputs.credentialsDoc)
            """)

    /// The verdict, whole, as the step's typed result: `drbook report` shows its volumes and findings.
    static let resultKind = "velero.storeVerdict"

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let namespace = try inputs.requiredString("namespace")
        let rpo = inputs.duration("rpo") ?? .seconds(24 * 3_600)
        // Without expectPVCs, the platform profile says what the namespace must hold.
        let globs = try inputs.strings("expectPVCs")
            ?? environment.platformProfile().volumes.first { $0.namespace == namespace }?.globs ?? []
        guard let store = try await StoreInputs.open(inputs, context, environment: environment) else {
            throw ActionError("input 'store' is empty", subject: "input 'store'", fix: "give the store as s3://BUCKET/PREFIX or file:///DIR")
        }

        context.log("verifying namespace \(namespace) in \(store.location) (RPO \(RunbookDuration.format(rpo)))")
        let verdict: StoreVerdict
        let verifier = StoreVerifier(store: store, prefixVariable: (try? environment.platformProfile())?.store.prefixVariable)
        let named = inputs.string("backup").flatMap { $0.isEmpty ? nil : $0 }
        do {
            verdict = try await verifier.verify(namespace: namespace, rpo: rpo.seconds, expectedPVCs: globs,
                                                allowRemoved: (try inputs.strings("allowRemoved") ?? []).filter { !$0.isEmpty }, backup: named, now: context.now())
        } catch let error as BackupNotFound {
            throw ActionError("there is no backup \(error.name) in the store", subject: store.display(VeleroKeys.backupFolder(error.name)),
                              fix: "check the name (`drbook backups list`), and that the store is the BackupStorageLocation's")
        } catch let error as ActionError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as BackupStoreError {
            // The store's own words say what to do; a second, generic fix would bury it.
            throw ActionError("could not read the store: \(error.what)", subject: error.object, fix: error.fix)
        } catch {
            throw ActionError("could not read the store: \(error)", subject: store.location.description,
                              fix: "check the store location, the endpoint, the credentials and the network")
        }
        if let result = try? StepResult(kind: Self.resultKind, encoding: verdict) { context.result(result) }
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
