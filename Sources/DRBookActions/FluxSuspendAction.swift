import DRBookKube
import DRBookRunbook
import Foundation

/// `flux.suspend`: stop Flux from applying the stack while a restore puts its objects back.
struct FluxSuspendAction: Action {
    static let descriptor = ActionDescriptor(
        name: "flux.suspend",
        summary: "Suspend the Flux Kustomization or HelmRelease that applies a stack, so it does not undo a restore.",
        inputs: [
            InputSpec("kind", .string, required: true, description: "Kustomization or HelmRelease (the platform profile's restore.fluxOwner.kind)."),
            InputSpec("namespace", .string, required: true, description: "Its namespace."),
            InputSpec("name", .string, required: true, description: "Its name."),
        ],
        outputs: [
            OutputSpec("alreadySuspended", .bool, description: "It was suspended before this step: the matching flux.resume should then leave it so."),
        ],
        mutates: true, idempotent: false,
        doc: """
            Sets `spec.suspend: true` with a merge patch, as `flux suspend` does, and reads it \
            back. Declare the matching `flux.resume` under the runbook's `cleanup:` with \
            `when: ${{ steps.<id>.outputs.alreadySuspended == false }}`, so Flux is resumed \
            however the run ends, and an object someone else suspended stays suspended. Not \
            idempotent: run again it would report the object as already suspended.

            Preflight: the object exists and the identity may patch it.
            """)

    let environment: ActionEnvironment

    func plan(_ inputs: ActionInputs) -> [String] {
        guard let object = try? inputs.fluxObject() else { return [] }
        return ["set spec.suspend: true on \(object)"]
    }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard let object = try? inputs.fluxObject() else { return nil }
        let needs = [Permission("patch", object.kind.resource, in: object.namespace)]
        return Preflight(checks: ["\(object) exists", ClusterChange.permissionCheckLine(needs)]) { _ in
            let client = try environment.kube.kubeClient()
            do {
                _ = try await client.fluxState(object)
            } catch let error as KubeAPIError where error.reason == .notFound {
                return [.blocking("does not exist", subject: object.description,
                                  fix: "name the object that applies the stack (`flux get kustomizations -A`, `flux get helmreleases -A`); the platform profile's restore.fluxOwner is the default")]
            }
            return try await ClusterChange.permissionFindings(client, needs)
        }
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let object = try inputs.fluxObject()
        let client = try environment.kube.kubeClient()
        do {
            let before = try await client.fluxState(object)
            if before.suspended {
                context.log("\(object) was already suspended; leaving it so")
                return ["alreadySuspended": .bool(true)]
            }
            try await client.suspendFlux(object)
            guard try await client.fluxState(object).suspended else {
                throw ActionError("spec.suspend did not stay true", subject: object.description,
                                  fix: "something rewrites the object (its parent Kustomization?): suspend that one too")
            }
        } catch let error as ActionError {
            throw error
        } catch {
            throw ActionError.kube(error, doing: "suspending \(object)")
        }
        context.log("suspended \(object)")
        return ["alreadySuspended": .bool(false)]
    }
}
