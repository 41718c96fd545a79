import Foundation

/// A Flux object that applies a stack: a Kustomization or a HelmRelease, by namespace and name.
public struct FluxObject: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case kustomization = "Kustomization", helmRelease = "HelmRelease"

        public var resource: KubeResource { self == .kustomization ? .kustomizations : .helmReleases }
    }

    public var kind: Kind
    public var namespace: String
    public var name: String

    public init(kind: Kind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// `Kustomization` or `HelmRelease`, as Flux names its kinds (case-insensitive, `ks`/`hr` too).
    public static func kind(_ text: String) -> Kind? {
        switch text.lowercased() {
        case "kustomization", "kustomizations", "ks": .kustomization
        case "helmrelease", "helmreleases", "hr": .helmRelease
        default: nil
        }
    }

    /// `kustomization NAMESPACE/NAME`, as `flux get` would name it.
    public var description: String { "\(kind.rawValue.lowercased()) \(namespace)/\(name)" }
}

/// What Flux says about one object right now: whether it is suspended, and how its last
/// reconciliation went (reference secrets-gitops.md §2).
public struct FluxState: Sendable, Equatable {
    public var suspended: Bool
    public var generation: Int
    public var observedGeneration: Int?
    public var ready: KubeCondition?
    public var lastHandledReconcileAt: String?

    /// Ready=True for the object's current spec.
    public var isReadyForCurrentSpec: Bool {
        guard let ready, ready.isTrue else { return false }
        return (ready.observedGeneration ?? observedGeneration ?? 0) >= generation && (observedGeneration ?? 0) >= generation
    }
}

extension KubeClient {
    public func fluxState(_ object: FluxObject) async throws -> FluxState {
        let json = try await getJSON(object.kind.resource, object.name, namespace: object.namespace)
        let status = try (json["status"] ?? [:]).decode(FluxStatus.self)
        return FluxState(suspended: json[path: ["spec", "suspend"]]?.boolValue ?? false,
                         generation: json[path: ["metadata", "generation"]]?.intValue ?? 1,
                         observedGeneration: status.observedGeneration, ready: status.ready,
                         lastHandledReconcileAt: status.lastHandledReconcileAt)
    }

    /// `flux suspend`: `spec.suspend: true`, nothing else.
    public func suspendFlux(_ object: FluxObject) async throws {
        try await mergePatch(object.kind.resource, object.name, namespace: object.namespace, patch: ["spec": ["suspend": true]])
    }

    /// `flux resume` plus a reconcile request in the same write: `spec.suspend: false` and
    /// `reconcile.fluxcd.io/requestedAt` set to `token`, which the controller echoes in
    /// `status.lastHandledReconcileAt` once it has handled the request.
    public func resumeFlux(_ object: FluxObject, requestToken token: String) async throws {
        try await mergePatch(object.kind.resource, object.name, namespace: object.namespace, patch: [
            "metadata": ["annotations": [FluxReconcile.requestedAtAnnotation: .string(token)]],
            "spec": ["suspend": false],
        ])
    }
}

extension FluxReconcile {
    /// A request token as the flux CLI writes one: the time in RFC 3339 with nanoseconds.
    public static func token(at date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
