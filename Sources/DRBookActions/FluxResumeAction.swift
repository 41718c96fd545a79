import DRBookKube
import DRBookRunbook
import Foundation

/// `flux.resume`: let Flux apply the stack again, and wait until it has.
struct FluxResumeAction: Action {
    static let descriptor = ActionDescriptor(
        name: "flux.resume",
        summary: "Resume a suspended Flux Kustomization or HelmRelease and wait until it reconciled Ready.",
        inputs: [
            InputSpec("kind", .string, required: true, description: "Kustomization or HelmRelease (the platform profile's restore.fluxOwner.kind)."),
            InputSpec("namespace", .string, required: true, description: "Its namespace."),
            InputSpec("name", .string, required: true, description: "Its name."),
            InputSpec("timeout", .duration, description: "How long to wait for Ready after the reconcile request. Default: 10m."),
        ],
        outputs: [
            OutputSpec("revision", .string, description: "The revision Flux applied (Kustomization: lastAppliedRevision), empty when it reports none."),
            OutputSpec("readyAt", .time, description: "When it was seen Ready."),
        ],
        mutates: true, idempotent: true,
        doc: """
            Sets `spec.suspend: false` and, in the same merge patch, the annotation \
            `reconcile.fluxcd.io/requestedAt` to a new token, then waits until Flux has handled \
            that request (`status.lastHandledReconcileAt` equals it) and reports `Ready=True` \
            for the current generation; progress shows Ready's reason meanwhile. Idempotent: \
            resuming a resumed object only asks for one more reconcile, so it belongs under the \
            runbook's `cleanup:`, where it runs however the run ends.

            A reconcile that ends `Ready=False` fails the step with Flux's message.
            """)

    let environment: ActionEnvironment

    func plan(_ inputs: ActionInputs) -> [String] {
        guard let object = try? inputs.fluxObject() else { return [] }
        return ["set spec.suspend: false and annotation \(FluxReconcile.requestedAtAnnotation) on \(object), then wait for Ready"]
    }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard let object = try? inputs.fluxObject() else { return nil }
        let needs = [Permission("patch", object.kind.resource, in: object.namespace)]
        return Preflight(checks: [ClusterChange.permissionCheckLine(needs)]) { _ in
            try await ClusterChange.permissionFindings(try environment.kube.kubeClient(), needs)
        }
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let object = try inputs.fluxObject()
        let timeout = inputs.duration("timeout", default: .seconds(600))
        let client = try environment.kube.kubeClient()
        let token = FluxReconcile.token(at: context.now())
        do {
            try await client.resumeFlux(object, requestToken: token)
        } catch {
            throw ActionError.kube(error, doing: "resuming \(object)")
        }
        context.log("resumed \(object); reconcile requested at \(token)")
        let state: FluxState
        do {
            state = try await KubeWaiting.step(context, timeout: timeout).until("\(object) to reconcile Ready") { () async throws -> KubeWaiting.Look<FluxState> in
                let state = try await client.fluxState(object)
                guard state.lastHandledReconcileAt == token else { return .waiting("waiting for Flux to handle the reconcile request") }
                if state.isReadyForCurrentSpec { return .done(state) }
                if let ready = state.ready, ready.status == "False", (ready.observedGeneration ?? state.observedGeneration ?? 0) >= state.generation {
                    throw ActionError("reconciled, but Ready is False: \(ready.reason ?? "no reason"): \(ready.message ?? "no message")", subject: object.description,
                                      fix: "read `flux get \(object.kind == .kustomization ? "kustomization" : "helmrelease") \(object.name) -n \(object.namespace)` and the controller's events, fix the cause, then resume again")
                }
                return .waiting("Ready: \(state.ready.map { "\($0.status) (\($0.reason ?? "no reason"))" } ?? "not reported yet")")
            }
        } catch let error as ActionError {
            throw error
        } catch let error as KubeWaitExpired {
            throw ActionError(error.description, subject: object.description,
                              fix: "check the Flux controllers (`flux check`) and the object's events; raise input 'timeout' if reconciling takes longer")
        } catch {
            throw ActionError.kube(error, doing: "waiting for \(object)")
        }
        let revision = (try? await client.getJSON(object.kind.resource, object.name, namespace: object.namespace))?[path: ["status", "lastAppliedRevision"]]?.stringValue ?? ""
        context.log("\(object) is Ready" + (revision.isEmpty ? "" : " at \(revision)") + " (\(state.ready?.message ?? "no message"))")
        return ["revision": .string(revision), "readyAt": .time(context.now())]
    }
}
