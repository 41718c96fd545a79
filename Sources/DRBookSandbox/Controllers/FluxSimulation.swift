import DRBookKube
import Foundation

/// Simulated Flux: Kustomizations and HelmReleases reconcile when their spec changes or
/// when `reconcile.fluxcd.io/requestedAt` is set to a new value (echoed in
/// `status.lastHandledReconcileAt`), and not at all while `spec.suspend` is true. A
/// Kustomization applies its GitRepository's current revision (`status.artifact.revision`).
public struct FluxController: SandboxController {
    public let name = "flux"
    public var clock: SimulationClock

    public init(clock: SimulationClock = SimulationClock()) { self.clock = clock }

    static let kustomizations = GroupResource(.kustomizations)
    static let helmReleases = GroupResource(.helmReleases)
    static let gitRepositories = GroupResource(group: "source.toolkit.fluxcd.io", resource: "gitrepositories")

    public func run(store cluster: SandboxStore) async throws {
        let streams = [
            (Self.kustomizations, try await cluster.watch(Self.kustomizations)),
            (Self.helmReleases, try await cluster.watch(Self.helmReleases)),
            (Self.gitRepositories, try await cluster.watch(Self.gitRepositories)),
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (resource, events) in streams {
                group.addTask {
                    for await event in events where event.type != .deleted {
                        if resource == Self.gitRepositories {
                            await publishArtifact(event.object, in: cluster)
                        } else {
                            await reconcile(resource, event.object, in: cluster)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// A GitRepository without an artifact gets one, so Kustomizations have a revision to apply.
    func publishArtifact(_ repository: JSONValue, in cluster: SandboxStore) async {
        guard repository.string("status", "artifact", "revision") == nil else { return }
        let branch = repository.string("spec", "ref", "branch") ?? "main"
        await patchStatus(cluster, Self.gitRepositories, repository, [
            "artifact": ["revision": .string("\(branch)@sha1:\(SimulationRandom.hex(40))"), "lastUpdateTime": .string(KubeJSON.formatTime(clock.now()))],
            "conditions": [Self.ready(true, reason: "Succeeded", message: "stored artifact for revision", now: clock.now())],
        ])
    }

    func reconcile(_ resource: GroupResource, _ object: JSONValue, in cluster: SandboxStore) async {
        guard object[path: ["spec", "suspend"]]?.boolValue != true else { return }
        let requested = object.annotations[FluxReconcile.requestedAtAnnotation]
        let handled = object.string("status", "lastHandledReconcileAt")
        let generation = object[path: ["metadata", "generation"]]?.intValue ?? 1
        let observed = object[path: ["status", "observedGeneration"]]?.intValue
        guard observed != generation || (requested != nil && requested != handled) else { return }

        var status: JSONValue = object["status"] ?? [:]
        status["observedGeneration"] = .int(generation)
        if let requested { status["lastHandledReconcileAt"] = .string(requested) }
        let failed = object.annotations[SimulationAnnotation.outcome] == "Failed"
        var message = "Release reconciliation succeeded"
        if resource == Self.kustomizations {
            let revision = await sourceRevision(object, in: cluster)
            status["lastAttemptedRevision"] = revision.map(JSONValue.string) ?? .null
            if !failed { status["lastAppliedRevision"] = revision.map(JSONValue.string) ?? .null }
            message = "Applied revision: \(revision ?? "unknown")"
        }
        status["conditions"] = [failed
            ? Self.ready(false, reason: "ReconciliationFailed", message: "sandbox: failure requested by \(SimulationAnnotation.outcome)", now: clock.now(), generation: generation)
            : Self.ready(true, reason: "ReconciliationSucceeded", message: message, now: clock.now(), generation: generation)]
        await patchStatus(cluster, resource, object, status)
    }

    private func sourceRevision(_ kustomization: JSONValue, in cluster: SandboxStore) async -> String? {
        guard kustomization.string("spec", "sourceRef", "kind") ?? "GitRepository" == "GitRepository",
              let name = kustomization.string("spec", "sourceRef", "name") else { return nil }
        let namespace = kustomization.string("spec", "sourceRef", "namespace") ?? kustomization.namespace
        let repository = try? await cluster.get(Self.gitRepositories, namespace: namespace, name: name)
        return repository?.string("status", "artifact", "revision")
    }

    static func ready(_ ready: Bool, reason: String, message: String, now: Date, generation: Int? = nil) -> JSONValue {
        var condition: JSONValue = ["type": "Ready", "status": ready ? "True" : "False", "reason": .string(reason),
                                    "message": .string(message), "lastTransitionTime": .string(KubeJSON.formatTime(now))]
        if let generation { condition["observedGeneration"] = .int(generation) }
        return condition
    }
}
