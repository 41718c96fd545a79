import DRBookKube
import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.restore`: a Restore from the chosen backup, refused before it exists when it would
/// silently lose data, then followed to the last PodVolumeRestore.
struct VeleroRestoreAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.restore",
        summary: "Restore namespaces from a Velero backup (in place or into a scratch namespace) and wait until every volume's data is back.",
        inputs: [
            InputSpec("veleroNamespace", .string, required: true, description: "The namespace Velero runs in (platform.namespaces.velero)."),
            InputSpec("backup", .string, required: true, description: "The backup: velero.latestBackup's or velero.verifyStore's output, the one selection."),
            InputSpec("includedNamespaces", .list, required: true, description: "The namespaces to restore, e.g. [monitoring]."),
            InputSpec("includedResources", .list, description: "Only these resources. Default: all; a filter must hold persistentvolumeclaims and persistentvolumes."),
            InputSpec("namespaceMapping", .map, description: "Source namespace → target namespace, for a scratch restore: {monitoring: monitoring-drill}."),
            InputSpec("restorePVs", .bool, description: "Velero's restorePVs (native snapshots only; fs-backup volumes are provisioned anew)."),
            InputSpec("existingResourcePolicy", .string, description: "none (default: existing objects are kept) or update."),
            InputSpec("name", .string, description: "The Restore's name. Default: <backup>-<UTC time of the run, yyyyMMddHHmmss>."),
            InputSpec("repositoryPasswordSecret", .string,
                      description: "The Secret holding the Kopia repository password, namespace/name. Default: the platform profile's restore.repositoryPassword."),
            InputSpec("repositoryPasswordKey", .string, description: "Its key. Default: the platform profile's."),
            InputSpec("timeout", .duration, description: "How long to wait for the Restore and its volumes. Default: 4h (Velero's fs-backup timeout)."),
        ] + StoreInputs.specs(storeRequired: false),
        outputs: [
            OutputSpec("restore", .string, description: "The Restore's name."),
            OutputSpec("startedAt", .time, description: "status.startTimestamp (else when drbook created it)."),
            OutputSpec("finishedAt", .time, description: "status.completionTimestamp (else when drbook saw it end)."),
            OutputSpec("bytesRestored", .map, description: "Bytes written back per claim, namespace/claim → bytes, from the PodVolumeRestores."),
        ],
        mutates: true, idempotent: false,
        doc: """
            Creates a `velero.io/v1` Restore of `backup` with the given namespaces, resource \
            filter, `namespaceMapping`, `restorePVs` and `existingResourcePolicy`, then follows \
            it: the phase and `status.progress` (items restored of total) on the live line, and \
            once Velero ends it, every PodVolumeRestore it made (label `velero.io/restore-name`) \
            until each has ended. `Completed` with every PodVolumeRestore `Completed` passes; \
            `PartiallyFailed`, `Failed` or a failed volume fails the step, listing Velero's \
            error and warning counts, its failure reason and each PodVolumeRestore's message.

            Its preflight refuses, before the Restore exists and before any question, the \
            traps of reference velero.md that lose data silently: PodVolumeBackups of the \
            backup the cluster lacks (sync not done; compared with the bucket when `store` is \
            given, else from the Backup), a resource filter without persistentvolumeclaims and \
            persistentvolumes, a pod to be restored (or its StatefulSet, Deployment or an \
            unpaused Prometheus/Alertmanager) still present in the target namespace, a claim \
            that exists with `existingResourcePolicy` none, the Kopia repository password \
            Secret missing, and an identity that may not create Restores. Each finding names \
            the object and the fix. In an in-place runbook the steps before the restore remove \
            the workloads and claims: give `backup` from velero.latestBackup's or \
            velero.verifyStore's output, so that this check runs right before the restore's \
            confirmation, once those steps have run, and not at the start of the run.

            \(StoreInputs.credentialsDoc)
            """)

    let environment: ActionEnvironment

    func request(_ inputs: ActionInputs, at time: Date?) throws(ActionError) -> RestoreRequest {
        let policyText = inputs.string("existingResourcePolicy") ?? "none"
        guard let policy = RestoreRequest.ExistingResourcePolicy(rawValue: policyText.isEmpty ? "none" : policyText) else {
            throw ActionError("input 'existingResourcePolicy' is '\(policyText)'; expected none or update", fix: "write none (keep existing objects) or update")
        }
        let backup = try inputs.requiredString("backup")
        let name = inputs.string("name") ?? time.map { "\(backup)-\(Self.stamp($0))" } ?? "\(backup)-<UTC time of the run>"
        return RestoreRequest(veleroNamespace: try inputs.requiredString("veleroNamespace"), name: name, backup: backup,
                              includedNamespaces: try inputs.strings("includedNamespaces") ?? [],
                              includedResources: try inputs.strings("includedResources"),
                              namespaceMapping: try inputs.stringMap("namespaceMapping") ?? [:],
                              restorePVs: inputs.bool("restorePVs"), existingResourcePolicy: policy)
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        return formatter.string(from: date)
    }

    func plan(_ inputs: ActionInputs) -> [String] {
        (try? request(inputs, at: nil))?.planLines ?? []
    }

    /// The password Secret the inputs name, else the platform profile's.
    func repositoryPassword(_ inputs: ActionInputs) throws(ActionError) -> RepositoryPasswordSecret? {
        if let text = inputs.string("repositoryPasswordSecret") {
            let parts = text.split(separator: "/").map(String.init)
            guard parts.count == 2 else {
                throw ActionError("input 'repositoryPasswordSecret' is '\(text)'; expected namespace/name", fix: "write the Secret as namespace/name")
            }
            let key = try inputs.requiredString("repositoryPasswordKey")
            return RepositoryPasswordSecret(namespace: parts[0], name: parts[1], key: key)
        }
        guard let names = try environment.platformProfile().restore else { return nil }
        return RepositoryPasswordSecret(namespace: names.repositoryPasswordSecret.namespace, name: names.repositoryPasswordSecret.name,
                                        key: inputs.string("repositoryPasswordKey") ?? names.repositoryPasswordKey)
    }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard let request = try? request(inputs, at: nil) else { return nil }
        let needs = [Permission("create", .veleroRestores, in: request.veleroNamespace)]
        let password = (try? repositoryPassword(inputs)) ?? nil
        let checks = [ClusterChange.permissionCheckLine(needs)]
            + RestoreTrapCheck.checks(request, storeGiven: !(inputs.string(StoreSetting.store.rawValue) ?? "").isEmpty, repositoryPassword: password)
        return Preflight(checks: checks) { context in
            let client = try environment.kube.kubeClient()
            var findings = try await ClusterChange.permissionFindings(client, needs)
            let store = try await StoreInputs.open(inputs, context, environment: environment)
            let check = RestoreTrapCheck(client: client, request: request, store: store, repositoryPassword: try repositoryPassword(inputs))
            do {
                findings += try await check.run().map { trap in
                    PreflightFinding(trap.severity == .blocking ? .blocking : .warning, trap.message, subject: trap.subject, fix: trap.fix)
                }
            } catch {
                throw ActionError.kube(error, doing: "checking the restore's traps")
            }
            return findings
        }
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let created = context.now()
        let request = try request(inputs, at: created)
        let client = try environment.kube.kubeClient()
        let run = RestoreRun(client: client, request: request)
        let subject = "restore \(request.veleroNamespace)/\(request.name)"
        do {
            _ = try await run.create()
        } catch let error as KubeAPIError where error.reason == .alreadyExists {
            throw ActionError("already exists", subject: subject,
                              fix: "look at it (`velero restore describe \(request.name) --details`); give input 'name' another value to restore again")
        } catch {
            throw ActionError.kube(error, doing: "creating \(subject)")
        }
        context.log("created \(subject) from backup \(request.backup)")
        let outcome: RestoreOutcome
        do {
            outcome = try await run.follow(waiting: KubeWaiting.step(context, timeout: inputs.duration("timeout", default: .seconds(4 * 3600))))
        } catch let error as KubeWaitExpired {
            throw ActionError(error.description, subject: subject,
                              fix: "follow it with `velero restore describe \(request.name) --details` and the node-agent's logs; raise input 'timeout' if volumes are only slow")
        } catch {
            throw ActionError.kube(error, doing: "following \(subject)")
        }
        for (claim, bytes) in outcome.bytesByClaim.sorted(by: { $0.key < $1.key }) {
            context.log("PVC \(claim): \(bytes) bytes restored")
        }
        guard outcome.succeeded else {
            for line in outcome.problems { context.log(line) }
            throw ActionError(outcome.problems.joined(separator: "; "), subject: subject,
                              fix: "read Velero's account: `velero restore describe \(request.name) --details` and `velero restore logs \(request.name)`; fix the cause, delete the restored objects and restore again")
        }
        let status = outcome.restore.status
        context.log("\(subject) Completed: \(status?.progress?.itemsRestored ?? 0) items, \(outcome.podVolumeRestores.count) volumes")
        return [
            "restore": .string(request.name),
            "startedAt": .time(status?.startTimestamp ?? created),
            "finishedAt": .time(status?.completionTimestamp ?? context.now()),
            "bytesRestored": .map(outcome.bytesByClaim.mapValues { .int(Int($0)) }),
        ]
    }
}
