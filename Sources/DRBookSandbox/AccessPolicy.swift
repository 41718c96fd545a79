import Foundation

/// What a request wants to do, in the terms RBAC decides on.
public struct RequestAttributes: Sendable, Hashable {
    public var verb: String
    public var group: String
    public var resource: String
    public var subresource: String
    public var namespace: String
    public var name: String

    public init(verb: String, group: String, resource: String, subresource: String = "", namespace: String = "", name: String = "") {
        self.verb = verb
        self.group = group
        self.resource = resource
        self.subresource = subresource
        self.namespace = namespace
        self.name = name
    }

    /// `statefulsets/scale`, or the resource alone.
    public var resourcePath: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }
}

/// One RBAC PolicyRule: verbs on resources of API groups, optionally only some names and
/// only some namespaces (RBAC does the latter with RoleBindings; here it is one field).
/// `*` matches anything; a resource rule `pods` does not cover `pods/status` (RBAC's rule).
public struct PolicyRule: Sendable, Hashable {
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]
    /// nil: every namespace and cluster-scoped resources.
    public var namespaces: [String]?

    public init(verbs: [String], apiGroups: [String] = ["*"], resources: [String] = ["*"], resourceNames: [String] = [],
                namespaces: [String]? = nil) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.namespaces = namespaces
    }

    public func allows(_ request: RequestAttributes) -> Bool {
        (verbs.contains("*") || verbs.contains(request.verb))
            && (apiGroups.contains("*") || apiGroups.contains(request.group))
            && (resources.contains("*") || resources.contains(request.resourcePath)
                || resources.contains("\(request.resource)/*") || (request.subresource.isEmpty ? false : resources.contains("*/\(request.subresource)")))
            && (resourceNames.isEmpty || resourceNames.contains(request.name))
            && (namespaces.map { $0.contains(request.namespace) } ?? true)
    }
}

/// Rules granted to users and groups: the sandbox's whole RBAC.
public struct PolicyBinding: Sendable, Hashable {
    public var name: String
    public var users: [String]
    public var groups: [String]
    public var rules: [PolicyRule]

    public init(name: String, users: [String] = [], groups: [String] = [], rules: [PolicyRule]) {
        self.name = name
        self.users = users
        self.groups = groups
        self.rules = rules
    }

    func applies(to user: UserInfo) -> Bool {
        users.contains(user.name) || groups.contains(where: user.groups.contains)
    }
}

public struct AccessDecision: Sendable, Equatable {
    public var allowed: Bool
    /// Which binding allowed it (`status.reason` of an access review); empty when denied.
    public var reason: String
}

/// Decides every request, and answers SelfSubjectAccessReviews from the same rules.
public struct AccessPolicy: Sendable {
    public var bindings: [PolicyBinding]

    public init(bindings: [PolicyBinding]) { self.bindings = bindings }

    public func decide(_ user: UserInfo, _ request: RequestAttributes) -> AccessDecision {
        for binding in bindings where binding.applies(to: user) {
            if binding.rules.contains(where: { $0.allows(request) }) {
                let subject = binding.users.contains(user.name) ? "User \"\(user.name)\""
                    : "Group \"\(binding.groups.first(where: user.groups.contains) ?? "")\""
                return AccessDecision(allowed: true, reason: "allowed by sandbox binding \"\(binding.name)\" to \(subject)")
            }
        }
        return AccessDecision(allowed: false, reason: "")
    }

    /// The sentence a real API server uses after `is forbidden: `.
    public static func forbiddenReason(_ user: UserInfo, _ request: RequestAttributes) -> String {
        let scope = request.namespace.isEmpty ? "at the cluster scope" : "in the namespace \"\(request.namespace)\""
        return "User \"\(user.name)\" cannot \(request.verb) resource \"\(request.resourcePath)\" in API group \"\(request.group)\" \(scope)"
    }
}
