import DRBookKube
import DRBookRunbook
import Foundation

/// `k8s.deleteWorkloads`: StatefulSets or Deployments removed before a restore brings them back.
struct KubeDeleteWorkloadsAction: Action {
    static let descriptor = ActionDescriptor(
        name: "k8s.deleteWorkloads",
        summary: "Delete StatefulSets or Deployments (and their pods) so that a restore can create their pods itself, and wait until they are gone.",
        inputs: [
            InputSpec("kind", .string, required: true, description: "StatefulSet or Deployment."),
            InputSpec("namespace", .string, required: true, description: "Their namespace."),
            InputSpec("names", .list, required: true, description: "Their names."),
            InputSpec("timeout", .duration, description: "How long to wait until they and their pods are gone. Default: 5m."),
        ],
        outputs: [OutputSpec("deleted", .list, description: "The names that existed and were deleted.")],
        mutates: true, idempotent: true,
        doc: """
            Velero restores a pod's volume only when it creates the pod itself; a StatefulSet \
            or Deployment left in place, even at 0 replicas, makes or deletes the restored pods \
            (reference velero.md §5, procedure C). The restore brings the workload back from the \
            backup. Deleted with propagation Background, so their pods go too; claims stay \
            (k8s.deletePVCs removes them). For a prometheus-operator StatefulSet, scale its \
            Prometheus or Alertmanager to 0 first (k8s.scale pauses it), or the operator makes it \
            again. Idempotent: what is already gone is left so.
            """)

    let environment: ActionEnvironment

    func targets(_ inputs: ActionInputs) throws(ActionError) -> (kind: Workload.Kind, namespace: String, names: [String]) {
        let text = try inputs.requiredString("kind")
        guard let kind = Workload.kind(text), !kind.isOperatorResource else {
            throw ActionError("input 'kind' is '\(text)'; expected StatefulSet or Deployment", fix: "name the kind of the workloads to delete")
        }
        return (kind, try inputs.requiredString("namespace"), try inputs.strings("names") ?? [])
    }

    func plan(_ inputs: ActionInputs) -> [String] {
        guard let targets = try? targets(inputs) else { return [] }
        return targets.names.map { "delete \(targets.kind.rawValue) \(targets.namespace)/\($0) and its pods (its claims stay)" }
    }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard let targets = try? targets(inputs) else { return nil }
        let needs = [Permission("delete", targets.kind.resource, in: targets.namespace)]
        return Preflight(checks: [ClusterChange.permissionCheckLine(needs)]) { _ in
            try await ClusterChange.permissionFindings(try environment.kube.kubeClient(), needs)
        }
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let targets = try targets(inputs)
        let client = try environment.kube.kubeClient()
        do {
            var workloads: [(Workload, [String])] = []
            for name in targets.names {
                let workload = Workload(kind: targets.kind, namespace: targets.namespace, name: name)
                let pods = (try? await client.workloadState(workload))?.pods ?? []
                workloads.append((workload, pods))
            }
            let waiting = KubeWaiting.step(context, timeout: inputs.duration("timeout", default: .seconds(300)))
            let deleted = try await client.deleteAndWait(targets.kind.resource, targets.names, namespace: targets.namespace, waiting: waiting)
            let pods = workloads.flatMap(\.1)
            if !pods.isEmpty {
                try await client.deleteAndWait(.pods, pods, namespace: targets.namespace, waiting: waiting)
            }
            for name in targets.names {
                context.log(deleted.contains(name) ? "deleted \(targets.kind.rawValue) \(targets.namespace)/\(name)" : "\(targets.kind.rawValue) \(targets.namespace)/\(name) was already gone")
            }
            return ["deleted": .list(deleted.map(Value.string))]
        } catch let error as KubeWaitExpired {
            throw ActionError(error.description, subject: "\(targets.kind.resource) in \(targets.namespace)",
                              fix: "look at what holds them (`kubectl -n \(targets.namespace) get \(targets.kind.resource),pods -o yaml`: finalizers) and raise input 'timeout'")
        } catch {
            throw ActionError.kube(error, doing: "deleting \(targets.kind.resource) in \(targets.namespace)")
        }
    }
}
