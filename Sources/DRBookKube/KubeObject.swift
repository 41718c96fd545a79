import Foundation

/// A typed view of an API object. Views decode only the fields drbook reads, so they are
/// never written back whole: changes go out as merge patches naming only the fields meant.
public protocol KubeObject: Codable, Sendable {
    static var resource: KubeResource { get }
    var metadata: ObjectMeta { get }
}

/// `metav1.ObjectMeta`, the fields drbook reads.
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var creationTimestamp: Date?
    public var deletionTimestamp: Date?
    public var ownerReferences: [OwnerReference]?

    public init(name: String, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
                generation: Int? = nil, labels: [String: String]? = nil, annotations: [String: String]? = nil,
                creationTimestamp: Date? = nil, deletionTimestamp: Date? = nil, ownerReferences: [OwnerReference]? = nil) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.labels = labels
        self.annotations = annotations
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.ownerReferences = ownerReferences
    }

    /// `namespace/name`, or `name` for cluster-scoped objects.
    public var reference: String { namespace.map { "\($0)/\(name)" } ?? name }
}

public struct OwnerReference: Codable, Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String?
    public var controller: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String? = nil, controller: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }
}

/// `metav1.Condition` and the older condition shapes: type, status, reason, message.
public struct KubeCondition: Codable, Sendable, Equatable {
    public var type: String
    /// "True", "False" or "Unknown".
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: Date?
    public var observedGeneration: Int?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil,
                lastTransitionTime: Date? = nil, observedGeneration: Int? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.observedGeneration = observedGeneration
    }

    public var isTrue: Bool { status == "True" }
}

extension Array where Element == KubeCondition {
    public subscript(type type: String) -> KubeCondition? { first { $0.type == type } }
}

/// One page or the whole of a list: the items and the list's resourceVersion (where a
/// watch continues from).
public struct KubeList<Item: Sendable>: Sendable {
    public var items: [Item]
    public var resourceVersion: String

    public init(items: [Item], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

/// The JSON shape of a list response.
struct ListEnvelope<Item: Decodable>: Decodable {
    struct Metadata: Decodable {
        var resourceVersion: String?
        var `continue`: String?
    }
    var metadata: Metadata?
    var items: [Item]?
}
