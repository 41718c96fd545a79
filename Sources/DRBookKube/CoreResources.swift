import Foundation

/// A Secret. Its values are secret: they never print (description, dump) and drbook
/// compares them by digest.
public struct Secret: KubeObject, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let resource = KubeResource.secrets
    public var metadata: ObjectMeta
    public var type: String?
    /// Values as the API carries them: base64.
    public var data: [String: String]?

    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil) {
        self.metadata = metadata
        self.type = type
        self.data = data
    }

    /// The decoded bytes of `key`; nil when absent or not base64.
    public func value(_ key: String) -> Data? {
        data?[key].flatMap { Data(base64Encoded: $0) }
    }

    public var keys: [String] { (data ?? [:]).keys.sorted() }

    public var description: String { "Secret(\(metadata.reference), keys: \(keys), values hidden)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

public struct PersistentVolumeClaim: KubeObject {
    public static let resource = KubeResource.persistentVolumeClaims
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var accessModes: [String]?
        public var storageClassName: String?
        public var volumeName: String?
        public var resources: Resources?
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var requests: [String: String]?
    }

    public struct Status: Codable, Sendable, Equatable {
        /// Pending, Bound or Lost.
        public var phase: String?
        public var capacity: [String: String]?
    }

    public var requestedStorage: String? { spec?.resources?.requests?["storage"] }
    public var phase: String { status?.phase ?? "" }
}

public struct PersistentVolume: KubeObject {
    public static let resource = KubeResource.persistentVolumes
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var capacity: [String: String]?
        public var storageClassName: String?
        public var persistentVolumeReclaimPolicy: String?
        public var claimRef: ClaimReference?
    }

    public struct ClaimReference: Codable, Sendable, Equatable {
        public var namespace: String?
        public var name: String?
    }

    public struct Status: Codable, Sendable, Equatable {
        /// Available, Bound, Released or Failed.
        public var phase: String?
    }
}

public struct Pod: KubeObject {
    public static let resource = KubeResource.pods
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var nodeName: String?
        public var volumes: [Volume]?
    }

    public struct Volume: Codable, Sendable, Equatable {
        public var name: String
        public var persistentVolumeClaim: ClaimSource?
    }

    public struct ClaimSource: Codable, Sendable, Equatable {
        public var claimName: String
    }

    public struct Status: Codable, Sendable, Equatable {
        public var phase: String?
        public var conditions: [KubeCondition]?
    }

    /// The claims this pod mounts.
    public var claimNames: [String] { (spec?.volumes ?? []).compactMap { $0.persistentVolumeClaim?.claimName } }
    public var isReady: Bool { status?.conditions?[type: "Ready"]?.isTrue ?? false }
}

public struct StatefulSet: KubeObject {
    public static let resource = KubeResource.statefulSets
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var replicas: Int?
        public var serviceName: String?
    }

    public struct Status: Codable, Sendable, Equatable {
        public var observedGeneration: Int?
        public var replicas: Int?
        public var readyReplicas: Int?
        public var availableReplicas: Int?
        public var currentReplicas: Int?
    }

    /// The replicas asked for (Kubernetes defaults an absent count to 1).
    public var desiredReplicas: Int { spec?.replicas ?? 1 }
    public var readyReplicas: Int { status?.readyReplicas ?? 0 }
    /// All asked-for replicas are ready and the controller has seen the latest spec.
    public var isRolledOut: Bool {
        readyReplicas == desiredReplicas && (status?.observedGeneration ?? 0) >= (metadata.generation ?? 0)
    }
}

public struct Namespace: KubeObject {
    public static let resource = KubeResource.namespaces
    public var metadata: ObjectMeta
    public var status: Status?

    public struct Status: Codable, Sendable, Equatable {
        /// Active or Terminating.
        public var phase: String?
    }

    public init(name: String, labels: [String: String]? = nil) {
        metadata = ObjectMeta(name: name, labels: labels)
        status = nil
    }
}
