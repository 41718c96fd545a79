import Foundation

/// Flux's request to reconcile now: setting this annotation to a new value makes the
/// controller reconcile and echo the value in `status.lastHandledReconcileAt`.
public enum FluxReconcile {
    public static let requestedAtAnnotation = "reconcile.fluxcd.io/requestedAt"
}

/// The status fields Flux's Kustomization and HelmRelease share.
public struct FluxStatus: Codable, Sendable, Equatable {
    public var observedGeneration: Int?
    public var conditions: [KubeCondition]?
    public var lastHandledReconcileAt: String?
    /// Kustomization: the source revision last applied (`main@sha1:…`).
    public var lastAppliedRevision: String?
    public var lastAttemptedRevision: String?

    public var ready: KubeCondition? { conditions?[type: "Ready"] }
}

/// `kustomize.toolkit.fluxcd.io/v1` Kustomization.
public struct Kustomization: KubeObject {
    public static let resource = KubeResource.kustomizations
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: FluxStatus?

    public struct Spec: Codable, Sendable, Equatable {
        public var suspend: Bool?
        public var path: String?
        public var interval: String?
        public var postBuild: PostBuild?
    }

    public struct PostBuild: Codable, Sendable, Equatable {
        public var substituteFrom: [SubstituteReference]?
    }

    public struct SubstituteReference: Codable, Sendable, Equatable {
        public var kind: String
        public var name: String
        public var optional: Bool?
    }

    public var isSuspended: Bool { spec?.suspend ?? false }
    public var isReady: Bool { status?.ready?.isTrue ?? false }
}

/// `helm.toolkit.fluxcd.io/v2` HelmRelease.
public struct HelmRelease: KubeObject {
    public static let resource = KubeResource.helmReleases
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: FluxStatus?

    public struct Spec: Codable, Sendable, Equatable {
        public var suspend: Bool?
        public var releaseName: String?
        public var targetNamespace: String?
    }

    public var isSuspended: Bool { spec?.suspend ?? false }
    public var isReady: Bool { status?.ready?.isTrue ?? false }
}
