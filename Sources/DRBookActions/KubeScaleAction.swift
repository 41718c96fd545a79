import DRBookKube
import DRBookRunbook
import Foundation

/// `k8s.scale`: a workload to a number of replicas, waited for.
struct KubeScaleAction: Action {
    static let descriptor = ActionDescriptor(
        name: "k8s.scale",
        summary: "Scale a StatefulSet, Deployment, Prometheus or Alertmanager to a number of replicas and wait until its pods are gone or Ready.",
        inputs: [
            InputSpec("kind", .string, required: true, description: "StatefulSet, Deployment, Prometheus or Alertmanager."),
            InputSpec("namespace", .string, required: true, description: "Its namespace."),
            InputSpec("name", .string, required: true, description: "Its name."),
            InputSpec("replicas", .int, description: "The replicas to run: 0 before a restore, the step's previousReplicas after it. Default: the replicas the last scale-down recorded on the object."),
            InputSpec("timeout", .duration, description: "How long to wait for the pods. Default: 10m."),
        ],
        outputs: [
            OutputSpec("previousReplicas", .int, description: "The replicas asked for before this step, for the scale back up."),
            OutputSpec("replicas", .int, description: "The replicas asked for now."),
        ],
        mutates: true, idempotent: true,
        doc: """
            A StatefulSet or Deployment is scaled through its `scale` subresource, as \
            `kubectl scale` does. A Prometheus or Alertmanager is scaled through its operator: \
            `spec.replicas` with `spec.paused: false`, and once its pods are gone at 0, \
            `spec.paused: true`, so prometheus-operator leaves its StatefulSet alone while the \
            restore works (reference velero.md §5); scaling it up unpauses it.

            Waits until no pod of the workload is left (0) or as many are Ready as asked, \
            with the count on the live line. Idempotent: scaling to a target twice is \
            scaling to it once; `previousReplicas` is what was asked for before the step.

            A scale-down records the replicas the workload had in the annotation \
            `drbook.dev/replicas-before-scale` on the object: a scale-down run again (a \
            resumed run whose first attempt had already scaled) still gives the real count \
            as `previousReplicas`, not 0, and a scale-up without `replicas` uses it. A \
            scale-up removes the annotation.
            """)

    let environment: ActionEnvironment

    func plan(_ inputs: ActionInputs) -> [String] {
        guard let workload = try? inputs.workload() else { return [] }
        guard let replicas = inputs.int("replicas") else {
            return ["scale \(workload) back to the replicas its last scale-down recorded (annotation \(Workload.replicasBeforeScaleAnnotation)) and wait until they are Ready"]
        }
        if workload.kind.isOperatorResource {
            return replicas == 0
                ? ["set spec.replicas: 0 on \(workload), wait until its pods are gone, then set spec.paused: true"]
                : ["set spec.replicas: \(replicas) and spec.paused: false on \(workload), then wait until \(replicas) pods are Ready"]
        }
        return replicas == 0
            ? ["scale \(workload) to 0 replicas and wait until its pods are gone"]
            : ["scale \(workload) to \(replicas) replicas and wait until \(replicas) pods are Ready"]
    }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard let workload = try? inputs.workload() else { return nil }
        let needs = workload.kind.isOperatorResource
            ? [Permission("patch", workload.kind.resource, in: workload.namespace)]
            : [Permission("patch", workload.kind.resource, in: workload.namespace, subresource: "scale")]
        return Preflight(checks: ["\(workload) exists", ClusterChange.permissionCheckLine(needs)]) { _ in
            let client = try environment.kube.kubeClient()
            guard try await client.getJSONIfPresent(workload.kind.resource, workload.name, namespace: workload.namespace) != nil else {
                return [.blocking("does not exist", subject: workload.description,
                                  fix: "name an existing workload (`kubectl -n \(workload.namespace) get \(workload.kind.resource)`)")]
            }
            return try await ClusterChange.permissionFindings(client, needs)
        }
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let workload = try inputs.workload()
        if let given = inputs.int("replicas"), given < 0 {
            throw ActionError("input 'replicas' must be 0 or more", fix: "give the replicas to run")
        }
        let client = try environment.kube.kubeClient()
        let waiting = KubeWaiting.step(context, timeout: inputs.duration("timeout", default: .seconds(600)))
        do {
            let before = try await client.workloadState(workload)
            // At 0 with a count recorded, the count is what it had before the first scale-down.
            let previous = before.replicas == 0 ? before.replicasBeforeScale ?? 0 : before.replicas
            guard let replicas = inputs.int("replicas") ?? before.replicasBeforeScale else {
                throw ActionError("no input 'replicas', and no scale-down recorded its replicas (annotation \(Workload.replicasBeforeScaleAnnotation))",
                                  subject: workload.description, fix: "give input 'replicas', e.g. the scale-down step's previousReplicas")
            }
            // Already down and paused: unpausing it again would let the operator remake a
            // StatefulSet deleted since.
            if replicas == 0, before.replicas == 0, before.pods.isEmpty, before.paused != false {
                context.log("\(workload) is already at 0 replicas with no pods" + (before.paused == true ? ", paused" : "")
                            + (before.replicasBeforeScale.map { "; it ran \($0) before (\(Workload.replicasBeforeScaleAnnotation))" } ?? ""))
                return ["previousReplicas": .int(previous), "replicas": .int(0)]
            }
            if replicas == 0, before.replicas > 0 {
                try await client.recordReplicasBeforeScale(workload, before.replicas)
            }
            try await client.scaleWorkload(workload, to: replicas)
            context.log("\(workload): replicas \(before.replicas) → \(replicas)")
            let target = replicas == 0 ? "its pods to be gone" : "\(replicas) pods to be Ready"
            _ = try await waiting.until("\(workload): \(target)") { () async throws -> KubeWaiting.Look<Void> in
                let state = try await client.workloadState(workload)
                if replicas == 0 {
                    if state.pods.isEmpty { return .done(()) }
                    return .waiting("\(state.pods.count) pods left: \(state.pods.joined(separator: ", "))")
                }
                if state.readyPods.count >= replicas, state.pods.count == replicas { return .done(()) }
                return .waiting("\(state.readyPods.count) of \(replicas) pods Ready", completed: state.readyPods.count, total: replicas)
            }
            if replicas == 0, workload.kind.isOperatorResource {
                try await client.pauseOperator(workload)
                context.log("\(workload): paused (spec.paused: true), so its operator leaves the StatefulSet alone")
            }
            if replicas > 0, before.replicasBeforeScale != nil {
                try await client.recordReplicasBeforeScale(workload, nil)
            }
            context.log(replicas == 0 ? "\(workload) has no pods left" : "\(workload) has \(replicas) pods Ready")
            return ["previousReplicas": .int(previous), "replicas": .int(replicas)]
        } catch let error as KubeWaitExpired {
            throw ActionError(error.description, subject: workload.description,
                              fix: "look at the pods (`kubectl -n \(workload.namespace) get pods`, `kubectl describe`) and raise input 'timeout' if they are only slow")
        } catch let error as ActionError {
            throw error
        } catch {
            throw ActionError.kube(error, doing: "scaling \(workload)")
        }
    }
}
