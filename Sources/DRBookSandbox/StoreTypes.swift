import DRBookKube
import Foundation

/// Where an object lives within its resource: cluster-scoped objects have namespace "".
public struct ObjectKey: Hashable, Sendable, Comparable {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// One change seen by a watch, as the API server streams it.
public struct WatchEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case error = "ERROR"
    }

    public var type: Kind
    public var resource: GroupResource
    /// The object after the change; for DELETED, its last state with the deletion's resourceVersion.
    /// For ERROR, a `Status`.
    public var object: JSONValue

    public init(type: Kind, resource: GroupResource, object: JSONValue) {
        self.type = type
        self.resource = resource
        self.object = object
    }

    /// `{"type":"ADDED","object":{...}}`: one line of a watch stream.
    public var wireValue: JSONValue { ["type": .string(type.rawValue), "object": object] }
}

/// What a list asks for: selectors and a page.
public struct ListOptions: Sendable, Equatable {
    public var labelSelector: LabelSelector
    public var fieldSelector: FieldSelector
    /// At most this many items; nil or 0 for all.
    public var limit: Int?
    /// `metadata.continue` of the previous page.
    public var continueToken: String?

    public init(labelSelector: LabelSelector = LabelSelector(), fieldSelector: FieldSelector = FieldSelector(),
                limit: Int? = nil, continueToken: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
    }
}

/// One page of a list.
public struct ObjectList: Sendable {
    public var items: [JSONValue]
    public var resourceVersion: String
    /// Pass as `continueToken` for the next page; nil on the last page.
    public var continueToken: String?
    public var remainingItemCount: Int?
}

/// What happens to the objects an object owns (`metadata.ownerReferences`) when it is deleted.
public enum DeletePropagation: String, Sendable, CaseIterable {
    /// Dependents are deleted too (the sandbox deletes them at once, not after the owner).
    case background = "Background"
    /// Dependents are deleted too; as the sandbox deletes immediately, the same as background.
    case foreground = "Foreground"
    /// Dependents stay, their owner reference removed.
    case orphan = "Orphan"
}

/// DeleteOptions `preconditions`: the delete happens only if the object still has these.
public struct DeletePreconditions: Sendable, Equatable {
    public var uid: String?
    public var resourceVersion: String?
    public init(uid: String? = nil, resourceVersion: String? = nil) {
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}

extension JSONValue {
    /// `metadata.labels` as strings (non-string values are ignored).
    var labels: [String: String] {
        (self[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// A string field of `metadata` (`name`, `namespace`, `uid`, `resourceVersion`).
    func metadata(_ field: String) -> String? {
        self[path: ["metadata", field]]?.stringValue
    }
}
