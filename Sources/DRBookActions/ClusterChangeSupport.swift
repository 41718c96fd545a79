import DRBookKube
import DRBookRunbook
import Foundation
import Synchronization

// What the actions that change the cluster (the restore's steps) share: waits that report to
// the live line, the permission check of their preflights, and the names of objects as inputs.

extension KubeWaiting {
    /// A wait on the run's clock whose progress goes to the step's live line.
    static func step(_ context: ActionContext, timeout: Duration, interval: Duration = .seconds(1)) -> KubeWaiting {
        KubeWaiting(timeout: timeout, interval: interval, now: { context.now() }, sleep: { try await context.sleep(for: $0) },
                    progress: { message, completed, total in
                        if let completed, let total {
                            context.progress(.items(Int64(completed), of: Int64(total), message))
                        } else {
                            context.progress(ActionProgress(message: message))
                        }
                    })
    }
}

/// One thing a step will do to the cluster, asked of the API server before it runs.
struct Permission: Sendable {
    var verb: String
    var resource: KubeResource
    var namespace: String?
    var subresource: String?

    init(_ verb: String, _ resource: KubeResource, in namespace: String?, subresource: String? = nil) {
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.subresource = subresource
    }
}

enum ClusterChange {
    /// The preflight's first check: the identity may do what the step will do. The API
    /// server answers (SelfSubjectAccessReview), so a read-only login is stopped before any
    /// question rather than by a 403 halfway through a restore.
    static func permissionFindings(_ client: KubeClient, _ needs: [Permission]) async throws -> [PreflightFinding] {
        var denied: [String] = []
        for need in needs {
            let decision = try await client.can(need.verb, group: need.resource.group, resource: need.resource.resource,
                                                namespace: need.resource.namespaced ? need.namespace : nil, subresource: need.subresource)
            if !decision.allowed { denied.append(decision.request) }
        }
        guard !denied.isEmpty else { return [] }
        let who = client.endpoint.userName.map { "user \"\($0)\"" } ?? "the current identity"
        return [.blocking("\(who) may not: " + denied.joined(separator: "; "), subject: client.endpoint.contextName.map { "context \($0)" },
                          fix: "run with a context that has these rights (the break-glass admin kubeconfig: --kubeconfig/--context), or grant them")]
    }

    static func permissionCheckLine(_ needs: [Permission]) -> String {
        "the identity may " + needs.map { need in
            "\(need.verb) \(need.resource)\(need.subresource.map { "/\($0)" } ?? "")" + (need.resource.namespaced ? need.namespace.map { " in \($0)" } ?? "" : "")
        }.joined(separator: ", ")
    }

    /// A failed call of the preflight as a blocking finding (a check that cannot be made has not passed).
    static func unreadable(_ error: any Error, doing what: String) -> ActionError {
        ActionError.kube(error, doing: what)
    }
}

extension ActionInputs {
    /// `kind`, `namespace` and `name` naming a workload to scale or delete.
    func workload() throws(ActionError) -> Workload {
        let text = try requiredString("kind")
        guard let kind = Workload.kind(text) else {
            throw ActionError("input 'kind' is '\(text)'; expected one of \(Workload.Kind.allCases.map(\.rawValue).joined(separator: ", "))",
                              fix: "name a StatefulSet, Deployment, Prometheus or Alertmanager")
        }
        return Workload(kind: kind, namespace: try requiredString("namespace"), name: try requiredString("name"))
    }

    /// `kind`, `namespace` and `name` naming a Flux Kustomization or HelmRelease.
    func fluxObject() throws(ActionError) -> FluxObject {
        let text = try requiredString("kind")
        guard let kind = FluxObject.kind(text) else {
            throw ActionError("input 'kind' is '\(text)'; expected Kustomization or HelmRelease", fix: "name the Flux object that applies the stack")
        }
        return FluxObject(kind: kind, namespace: try requiredString("namespace"), name: try requiredString("name"))
    }

    /// A duration input with its default.
    func duration(_ name: String, default value: Duration) -> Duration { duration(name) ?? value }
}

/// What a preflight read that the plan shown at the confirmation may say (a claim's size):
/// the plan must not do I/O, and the engine runs the preflight before asking.
final class PreflightNotes: Sendable {
    private let notes = Mutex<[String: String]>([:])

    func set(_ value: String, for key: String) { notes.withLock { $0[key] = value } }
    func value(for key: String) -> String? { notes.withLock { $0[key] } }
}
