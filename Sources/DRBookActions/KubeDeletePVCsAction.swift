import DRBookKube
import DRBookRunbook
import Foundation

/// `k8s.deletePVCs`: the claims a restore will provision and refill, deleted first.
struct KubeDeletePVCsAction: Action {
    static let descriptor = ActionDescriptor(
        name: "k8s.deletePVCs",
        summary: "Delete the PersistentVolumeClaims a restore will refill from a backup, and wait until they are gone.",
        inputs: [
            InputSpec("namespace", .string, required: true, description: "Their namespace."),
            InputSpec("claims", .list, required: true, description: "The claims' names, each one the backup holds."),
            InputSpec("backup", .string, required: true, description: "The backup whose restore refills them (the plan names it)."),
            InputSpec("timeout", .duration, description: "How long to wait until they are gone. Default: 5m."),
        ],
        outputs: [OutputSpec("deleted", .list, description: "The claims that existed and were deleted.")],
        mutates: true, idempotent: false,
        doc: """
            Velero keeps a claim that exists instead of restoring it, and lays the backup over \
            whatever it holds (reference velero.md §5); deleting the claims first is how their \
            data comes back clean. The plan the operator confirms names every claim with its \
            size (`status.capacity.storage`, else `spec.resources.requests.storage`, read by the \
            preflight) and the backup that will refill it.

            Waits until every claim is gone; a claim a pod still mounts is held by the \
            `kubernetes.io/pvc-protection` finalizer, which the live line names, until the \
            timeout. Preflight: the identity may delete claims (it also reads their sizes; a \
            pod that still mounts one is not refused there, since the steps before scale it \
            away). Not idempotent: data is lost, so a resume asks.
            """)

    let environment: ActionEnvironment
    /// The sizes the preflight read, for the plan shown at the confirmation.
    let sizes = PreflightNotes()

    func plan(_ inputs: ActionInputs) -> [String] {
        guard let namespace = inputs.string("namespace"), let claims = try? inputs.strings("claims"), let backup = inputs.string("backup") else { return [] }
        return claims.map { claim in
            let size = sizes.value(for: "\(namespace)/\(claim)").map { " (\($0))" } ?? ""
            return "delete PVC \(namespace)/\(claim)\(size), refilled by the restore of backup \(backup)"
        }
    }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard let namespace = inputs.string("namespace"), let claims = try? inputs.strings("claims") else { return nil }
        let needs = [Permission("delete", .persistentVolumeClaims, in: namespace)]
        return Preflight(checks: ["the size of \(claims.map { "PVC \(namespace)/\($0)" }.joined(separator: ", ")) is read for the plan", ClusterChange.permissionCheckLine(needs)]) { _ in
            let client = try environment.kube.kubeClient()
            var findings = try await ClusterChange.permissionFindings(client, needs)
            for claim in claims {
                guard let found = try await client.getIfPresent(PersistentVolumeClaim.self, claim, namespace: namespace) else { continue }
                let summary = ClaimSummary(found)
                sizes.set(summary.size ?? "size unknown", for: "\(namespace)/\(claim)")
            }
            return findings
        }
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let namespace = try inputs.requiredString("namespace")
        let claims = try inputs.strings("claims") ?? []
        let client = try environment.kube.kubeClient()
        do {
            for claim in claims {
                if let found = try await client.getIfPresent(PersistentVolumeClaim.self, claim, namespace: namespace) {
                    context.log("deleting \(ClaimSummary(found))")
                } else {
                    context.log("PVC \(namespace)/\(claim) is already gone")
                }
            }
            let deleted = try await client.deleteAndWait(.persistentVolumeClaims, claims, namespace: namespace,
                                                         waiting: KubeWaiting.step(context, timeout: inputs.duration("timeout", default: .seconds(300))))
            context.log("\(deleted.count) of \(claims.count) claims deleted; none is left")
            return ["deleted": .list(deleted.map(Value.string))]
        } catch let error as KubeWaitExpired {
            throw ActionError(error.description, subject: "PVCs in \(namespace)",
                              fix: "find what holds them (`kubectl -n \(namespace) get pvc -o yaml`: finalizers; a pod that still mounts one) and raise input 'timeout'")
        } catch {
            throw ActionError.kube(error, doing: "deleting PVCs in \(namespace)")
        }
    }
}
