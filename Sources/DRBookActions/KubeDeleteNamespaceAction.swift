import DRBookKube
import DRBookRunbook
import Foundation

/// `k8s.deleteNamespace`: the scratch namespace of a drill, removed after it.
struct KubeDeleteNamespaceAction: Action {
    static let descriptor = ActionDescriptor(
        name: "k8s.deleteNamespace",
        summary: "Delete a namespace and everything in it (a drill's scratch namespace), and wait until it is gone.",
        inputs: [
            InputSpec("namespace", .string, required: true, description: "The namespace to delete."),
            InputSpec("timeout", .duration, description: "How long to wait until it is gone. Default: 10m."),
        ],
        outputs: [OutputSpec("existed", .bool, description: "Whether it existed (false: nothing was deleted).")],
        mutates: true, idempotent: true,
        doc: """
            Deletes the namespace (propagation Background) and waits until the API server no \
            longer has it; a namespace is held in `Terminating` by its `kubernetes` finalizer \
            until everything in it is gone, which the live line names. Meant for the cleanup \
            of a scratch-namespace drill, so that it runs however the run ends; idempotent: a \
            namespace already gone is left so.
            """)

    let environment: ActionEnvironment

    func plan(_ inputs: ActionInputs) -> [String] {
        guard let namespace = inputs.string("namespace") else { return [] }
        return ["delete namespace \(namespace) and every object in it"]
    }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard inputs.string("namespace") != nil else { return nil }
        let needs = [Permission("delete", .namespaces, in: nil)]
        return Preflight(checks: [ClusterChange.permissionCheckLine(needs)]) { _ in
            try await ClusterChange.permissionFindings(try environment.kube.kubeClient(), needs)
        }
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let namespace = try inputs.requiredString("namespace")
        let client = try environment.kube.kubeClient()
        do {
            let deleted = try await client.deleteAndWait(.namespaces, [namespace],
                                                         waiting: KubeWaiting.step(context, timeout: inputs.duration("timeout", default: .seconds(600))))
            context.log(deleted.isEmpty ? "namespace \(namespace) was already gone" : "namespace \(namespace) is gone")
            return ["existed": .bool(!deleted.isEmpty)]
        } catch let error as KubeWaitExpired {
            throw ActionError(error.description, subject: "namespace \(namespace)",
                              fix: "find what it waits for (`kubectl get namespace \(namespace) -o yaml`: status.conditions) and raise input 'timeout'")
        } catch {
            throw ActionError.kube(error, doing: "deleting namespace \(namespace)")
        }
    }
}
