import DRBookKube
import DRBookRunbook
import Foundation

/// `k8s.waitReady`: pods, or a StatefulSet, Ready within a time.
struct KubeWaitReadyAction: Action {
    static let descriptor = ActionDescriptor(
        name: "k8s.waitReady",
        summary: "Wait until the pods of a label selector, or a StatefulSet, are Ready within a timeout, with the count on the live line.",
        inputs: [
            InputSpec("namespace", .string, required: true, description: "The namespace."),
            InputSpec("selector", .string, description: "A label selector (app.kubernetes.io/name=loki): its pods must all be Ready."),
            InputSpec("statefulSet", .string, description: "A StatefulSet: as many Ready replicas as it asks for, its spec seen by the controller."),
            InputSpec("minPods", .int, description: "With selector: at least this many pods. Default: 1."),
            InputSpec("timeout", .duration, description: "Default: 10m."),
        ],
        outputs: [
            OutputSpec("ready", .int, description: "How many pods were Ready."),
            OutputSpec("readyAt", .time, description: "When they were."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads the pods (or the StatefulSet's status) every 2 s until they are Ready: with \
            `selector`, at least `minPods` pods match and every one has the Ready condition; \
            with `statefulSet`, `status.readyReplicas` equals `spec.replicas` and \
            `status.observedGeneration` has caught up. Give exactly one of the two. The step \
            fails at the timeout naming the pods not Ready and their phase.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let namespace = try inputs.requiredString("namespace")
        let selector = inputs.string("selector"), setName = inputs.string("statefulSet")
        guard (selector == nil) != (setName == nil) else {
            throw ActionError("give exactly one of inputs 'selector' and 'statefulSet'", fix: "name the pods by a label selector, or the StatefulSet")
        }
        let minPods = inputs.int("minPods") ?? 1
        let client = try environment.kube.kubeClient()
        let waiting = KubeWaiting.step(context, timeout: inputs.duration("timeout", default: .seconds(600)), interval: .seconds(2))
        let what = setName.map { "statefulset \(namespace)/\($0)" } ?? "pods \(selector ?? "") in \(namespace)"
        do {
            let ready = try await waiting.until("\(what) to be Ready") { () async throws -> KubeWaiting.Look<Int> in
                if let setName {
                    guard let set = try await client.getIfPresent(StatefulSet.self, setName, namespace: namespace) else {
                        return .waiting("statefulset \(namespace)/\(setName) does not exist yet")
                    }
                    if set.isRolledOut { return .done(set.readyReplicas) }
                    return .waiting("\(set.readyReplicas) of \(set.desiredReplicas) replicas Ready", completed: set.readyReplicas, total: set.desiredReplicas)
                }
                let pods = try await client.list(Pod.self, namespace: namespace, labelSelector: selector).items
                let notReady = pods.filter { !$0.isReady }
                if pods.count >= minPods, notReady.isEmpty { return .done(pods.count) }
                let names = notReady.map { "\($0.metadata.name) (\($0.status?.phase ?? "no phase"))" }
                return .waiting("\(pods.count - notReady.count) of \(max(pods.count, minPods)) pods Ready" + (names.isEmpty ? "" : "; not yet: \(names.joined(separator: ", "))"),
                                completed: pods.count - notReady.count, total: max(pods.count, minPods))
            }
            context.log("\(what): \(ready) Ready")
            return ["ready": .int(ready), "readyAt": .time(context.now())]
        } catch let error as KubeWaitExpired {
            throw ActionError(error.description, subject: what,
                              fix: "look at the pods (`kubectl -n \(namespace) describe pods`) and their events; raise input 'timeout' if they are only slow")
        } catch {
            throw ActionError.kube(error, doing: "waiting for \(what)")
        }
    }
}
