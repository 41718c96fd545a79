import DRBookHTTP
import Foundation

/// The answer of a SelfSubjectAccessReview.
public struct KubeAccessDecision: Sendable, Equatable {
    public var allowed: Bool
    public var reason: String?
    /// What was asked, for messages: `patch kustomizations.kustomize.toolkit.fluxcd.io in namespace "flux-system"`.
    public var request: String
}

extension KubeClient {
    /// Whether the current identity may `verb` the resource: the API server answers for
    /// itself (SelfSubjectAccessReview), so drbook never guesses from RBAC objects.
    public func can(_ verb: String, group: String, resource: String, namespace: String? = nil,
                    name: String? = nil, subresource: String? = nil) async throws -> KubeAccessDecision {
        var attributes: [String: JSONValue] = ["verb": .string(verb), "group": .string(group), "resource": .string(resource)]
        if let namespace { attributes["namespace"] = .string(namespace) }
        if let name { attributes["name"] = .string(name) }
        if let subresource { attributes["subresource"] = .string(subresource) }
        let review: JSONValue = [
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": ["resourceAttributes": .object(attributes)],
        ]
        var asked = "\(verb) \(group.isEmpty ? resource : "\(resource).\(group)")"
        if let subresource { asked += "/\(subresource)" }
        if let name { asked += " \"\(name)\"" }
        asked += namespace.map { " in namespace \"\($0)\"" } ?? " (cluster-wide)"
        let answer = try await create(.selfSubjectAccessReviews, review)
        return KubeAccessDecision(allowed: answer[path: ["status", "allowed"]]?.boolValue ?? false,
                                  reason: answer[path: ["status", "reason"]]?.stringValue, request: asked)
    }

    public func can(_ verb: String, _ resource: KubeResource, namespace: String? = nil,
                    subresource: String? = nil) async throws -> KubeAccessDecision {
        try await can(verb, group: resource.group, resource: resource.resource,
                      namespace: resource.namespaced ? (namespace ?? defaultNamespace) : nil, subresource: subresource)
    }

    /// Checks every permission a runbook needs before it starts, and names each one denied.
    public func preflight(_ needs: [(verb: String, resource: KubeResource, namespace: String?)]) async throws {
        var denied: [KubeAccessDecision] = []
        for need in needs {
            let decision = try await can(need.verb, need.resource, namespace: need.namespace)
            if !decision.allowed { denied.append(decision) }
        }
        if !denied.isEmpty { throw KubePermissionDenied(user: endpoint.userName, denied: denied) }
    }
}

public struct KubePermissionDenied: Error, Sendable, CustomStringConvertible {
    public var user: String?
    public var denied: [KubeAccessDecision]
    public var description: String {
        let who = user.map { "user \"\($0)\" of the kubeconfig" } ?? "the current identity"
        let lines = denied.map { "  - may not \($0.request)" + ($0.reason.map { " (\($0))" } ?? "") }
        return "\(who) lacks permissions this needs:\n" + lines.joined(separator: "\n")
            + "\n  fix: use a context with these rights (the break-glass admin kubeconfig: --context or --kubeconfig), or grant them"
    }
}
