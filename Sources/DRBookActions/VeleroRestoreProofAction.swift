import DRBookKube
import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.restoreProof`: every restored claim got its PodVolumeBackup's bytes back.
struct VeleroRestoreProofAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.restoreProof",
        summary: "Prove a finished restore wrote every claim's data back: its PodVolumeRestore's bytes equal the PodVolumeBackup's.",
        inputs: [
            InputSpec("restore", .string, required: true, description: "The Restore's name, e.g. ${{ steps.restore.outputs.restore }}."),
            InputSpec("veleroNamespace", .string, description: "The namespace Velero runs in. Default: the platform profile's namespaces.velero."),
        ],
        outputs: [
            OutputSpec("backup", .string, description: "The backup the Restore restored."),
            OutputSpec("bytesRestored", .map, description: "Bytes written back per claim, namespace/claim → bytes, from the PodVolumeRestores."),
            OutputSpec("claims", .list, description: "The claims proven, namespace/claim, in the namespaces restored into."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads the Restore, its PodVolumeRestores (label `velero.io/restore-name`) and its \
            backup's PodVolumeBackups (label `velero.io/backup-name`; the claim is the \
            annotation `velero.io/pvc-name` in `spec.pod.namespace`, mapped by the Restore's \
            `namespaceMapping`), and passes when every claim with a restorable PodVolumeBackup \
            (Completed, with a snapshot id) in a restored namespace got at least its \
            `status.progress.totalBytes` back (`bytesDone` of the PodVolumeRestores matched by \
            snapshot id). A claim with no PodVolumeRestore, or fewer bytes, fails the step \
            naming the claim: Velero ends a restore Completed when it skipped a volume whose \
            pod already existed. The same account velero.restore makes when it ends; this \
            step proves it again later (after a resume, or for a restore made by hand). Read-only.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let name = try inputs.requiredString("restore")
        let namespace = try inputs.string("veleroNamespace") ?? environment.platformProfile().namespaces.velero
        let subject = "restore \(namespace)/\(name)"
        let proof: RestoreProof.Result
        do {
            proof = try await RestoreProof(client: try environment.kube.kubeClient(), veleroNamespace: namespace, restore: name).check()
        } catch let error as KubeAPIError where error.reason == .notFound {
            throw ActionError("not found", subject: subject, fix: "name a Restore that exists: `kubectl -n \(namespace) get restores`")
        } catch {
            throw ActionError.kube(error, doing: "reading \(subject)")
        }
        let volumes = proof.volumes
        guard !volumes.expectedBytesByClaim.isEmpty else {
            throw ActionError("backup \(proof.backup) has no restorable PodVolumeBackup of a restored namespace, so no volume data can be proven", subject: subject,
                              fix: "check the backup's volumes (`velero backup describe \(proof.backup) --details`) and that the PodVolumeBackups are synced into the cluster")
        }
        for claim in volumes.expectedBytesByClaim.keys.sorted() {
            context.log("PVC \(claim): \(volumes.bytesByClaim[claim] ?? 0) of \(volumes.expectedBytesByClaim[claim] ?? 0) bytes restored")
        }
        guard volumes.shortClaims.isEmpty else {
            throw ActionError(volumes.problems.joined(separator: "; "), subject: subject,
                              fix: "the data of these claims is not back: scale their workloads to 0, delete the pods and claims, and restore again (`velero restore describe \(name) --details` says which volumes it restored)")
        }
        context.log("every claim of backup \(proof.backup) has its data back: \(volumes.expectedBytesByClaim.count) claims")
        return [
            "backup": .string(proof.backup),
            "bytesRestored": .map(volumes.bytesByClaim.mapValues { .int(Int($0)) }),
            "claims": .list(volumes.expectedBytesByClaim.keys.sorted().map { .string($0) }),
        ]
    }
}
