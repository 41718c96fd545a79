import Foundation

/// A resource kind as a group names it: `backups` in `velero.io`. Storage is keyed by
/// this (not by version), as an API server keeps one copy whatever version is asked for.
public struct GroupResource: Hashable, Sendable, CustomStringConvertible {
    public var group: String
    public var resource: String

    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }

    /// `backups.velero.io`, or `pods` for the core group: how the API server names a
    /// resource in its error messages.
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

/// One entry of the sandbox's resource catalogue: what discovery announces and what the
/// store needs to know to keep objects of that kind.
public struct APIResource: Sendable, Hashable {
    public var group: String
    public var version: String
    /// The plural, lower-case name used in URLs (`statefulsets`).
    public var name: String
    public var singularName: String
    public var kind: String
    public var namespaced: Bool
    public var shortNames: [String]
    /// Subresources served besides the main resource (`status`, `scale`).
    public var subresources: Set<Subresource>
    public var verbs: [String]
    /// Field paths a field selector may use besides `metadata.name` and `metadata.namespace`.
    public var selectableFields: [String]

    public enum Subresource: String, Sendable, Hashable, CaseIterable {
        case status
        /// `autoscaling/v1` Scale over `spec.replicas` (kubectl scale).
        case scale
    }

    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    public init(group: String, version: String, name: String, singularName: String, kind: String, namespaced: Bool,
                shortNames: [String] = [], subresources: Set<Subresource> = [], verbs: [String] = APIResource.allVerbs,
                selectableFields: [String] = []) {
        self.group = group
        self.version = version
        self.name = name
        self.singularName = singularName
        self.kind = kind
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.subresources = subresources
        self.verbs = verbs
        self.selectableFields = selectableFields
    }

    public var groupResource: GroupResource { GroupResource(group: group, resource: name) }
    /// `v1` for the core group, `velero.io/v1` otherwise: an object's `apiVersion`.
    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var hasStatus: Bool { subresources.contains(.status) }
    /// Field paths any field selector may use on this resource.
    public var fieldSelectorPaths: [String] { ["metadata.name", "metadata.namespace"] + selectableFields }
}
