import DRBookKube
import DRBookRunbook
import Foundation

/// `k8s.can`: the RBAC preflight — before a runbook changes anything, the API server
/// confirms that the current identity may do every listed thing.
struct KubeCanAction: Action {
    static let descriptor = ActionDescriptor(
        name: "k8s.can",
        summary: "Check, before acting, that the current identity may do every listed thing in the cluster.",
        inputs: [
            InputSpec("permissions", .list, required: true,
                      description: "What is needed, one entry each: \"VERB RESOURCE[.GROUP] [in NAMESPACE]\", e.g. \"delete persistentvolumeclaims in monitoring\", \"patch kustomizations.kustomize.toolkit.fluxcd.io in flux-system\", \"create restores.velero.io in velero\"."),
        ],
        outputs: [OutputSpec("checked", .int, description: "How many permissions were checked.")],
        mutates: false, idempotent: true,
        doc: """
            Asks the API server itself (a SelfSubjectAccessReview per entry) whether the \
            kubeconfig's identity may do each thing, so the answer is RBAC's own and not a \
            guess from reading roles. The step fails naming every permission denied, with the \
            user, so a read-only login is caught before a destructive step rather than halfway \
            through a restore.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let entries = try inputs.strings("permissions") ?? []
        let needs = try entries.map { entry throws(ActionError) in try Self.parse(entry) }
        let client = try environment.kube.kubeClient()
        var denied: [String] = []
        for need in needs {
            let decision: KubeAccessDecision
            do {
                decision = try await client.can(need.verb, group: need.group, resource: need.resource, namespace: need.namespace)
            } catch {
                throw ActionError.kube(error, doing: "asking whether \(need.text) is allowed")
            }
            context.log("\(decision.allowed ? "allowed" : "DENIED"): \(decision.request)")
            if !decision.allowed { denied.append(decision.request + (decision.reason.map { " (\($0))" } ?? "")) }
        }
        guard denied.isEmpty else {
            let who = client.endpoint.userName.map { "user \"\($0)\"" } ?? "the current identity"
            throw ActionError("\(who) may not: " + denied.joined(separator: "; "), subject: client.endpoint.contextName.map { "context \($0)" },
                              fix: "run with a context that has these rights (the break-glass admin kubeconfig: --kubeconfig/--context), or grant them")
        }
        return ["checked": .int(needs.count)]
    }

    struct Need {
        var verb: String
        var resource: String
        var group: String
        var namespace: String?
        var text: String
    }

    /// "delete persistentvolumeclaims in monitoring" → verb, resource, group, namespace.
    static func parse(_ text: String) throws(ActionError) -> Need {
        let words = text.split(separator: " ").map(String.init)
        guard words.count == 2 || (words.count == 4 && words[2] == "in") else {
            throw ActionError("permission '\(text)' is not \"VERB RESOURCE[.GROUP] [in NAMESPACE]\"", subject: "input 'permissions'",
                              fix: "write e.g. \"delete persistentvolumeclaims in monitoring\" or \"list namespaces\"")
        }
        let resourceParts = words[1].split(separator: ".", maxSplits: 1).map(String.init)
        return Need(verb: words[0], resource: resourceParts[0], group: resourceParts.count > 1 ? resourceParts[1] : "",
                    namespace: words.count == 4 ? words[3] : nil, text: text)
    }
}
