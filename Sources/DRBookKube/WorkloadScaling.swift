import Foundation

extension KubeResource {
    public static let deployments = KubeResource(group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true)
}

/// Something that runs pods on claims and can be scaled: a StatefulSet or Deployment (its
/// `scale` subresource), or a prometheus-operator resource whose operator runs the
/// StatefulSet (`spec.replicas`, and `spec.paused` so the operator keeps its hands off).
public struct Workload: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case statefulSet = "StatefulSet", deployment = "Deployment", prometheus = "Prometheus", alertmanager = "Alertmanager"

        public var resource: KubeResource {
            switch self {
            case .statefulSet: .statefulSets
            case .deployment: .deployments
            case .prometheus: .prometheuses
            case .alertmanager: .alertmanagers
            }
        }

        /// Whether an operator, not Kubernetes, turns its replicas into pods.
        public var isOperatorResource: Bool { self == .prometheus || self == .alertmanager }
    }

    public var kind: Kind
    public var namespace: String
    public var name: String

    public init(kind: Kind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// The kind as kubectl accepts it: `StatefulSet`, `statefulsets`, `sts`, `Prometheus`…
    public static func kind(_ text: String) -> Kind? {
        switch text.lowercased() {
        case "statefulset", "statefulsets", "sts": .statefulSet
        case "deployment", "deployments", "deploy": .deployment
        case "prometheus", "prometheuses": .prometheus
        case "alertmanager", "alertmanagers": .alertmanager
        default: nil
        }
    }

    /// Where a scale-down keeps the replicas the workload had (drbook's own annotation).
    public static let replicasBeforeScaleAnnotation = "drbook.dev/replicas-before-scale"

    /// `StatefulSet monitoring/loki`.
    public var description: String { "\(kind.rawValue) \(namespace)/\(name)" }

    /// The StatefulSet prometheus-operator runs for this resource, nil for other kinds.
    public var operatorStatefulSet: String? { operatorPods?.statefulSet }

    /// The StatefulSet prometheus-operator runs for a Prometheus or Alertmanager
    /// (`prometheus-<name>`, `alertmanager-<name>`), and the labels it gives its pods.
    var operatorPods: (statefulSet: String, selector: String)? {
        let component: String
        switch kind {
        case .prometheus: component = "prometheus"
        case .alertmanager: component = "alertmanager"
        default: return nil
        }
        return ("\(component)-\(name)", "app.kubernetes.io/name=\(component),operator.prometheus.io/name=\(name)")
    }
}

/// A workload's replicas as asked for, whether its operator is paused, and its pods now.
public struct WorkloadState: Sendable, Equatable {
    public var replicas: Int
    /// Prometheus and Alertmanager only.
    public var paused: Bool?
    public var pods: [String]
    public var readyPods: [String]
    /// The replicas recorded by the last scale-down (``Workload/replicasBeforeScaleAnnotation``).
    public var replicasBeforeScale: Int?
}

extension KubeClient {
    /// The replicas asked for (an absent count is 1, as Kubernetes and the operator default
    /// it), the operator's pause, and the pods the workload runs.
    public func workloadState(_ workload: Workload) async throws -> WorkloadState {
        let object = try await getJSON(workload.kind.resource, workload.name, namespace: workload.namespace)
        let pods = try await pods(of: workload, object: object)
        let recorded = object[path: ["metadata", "annotations", Workload.replicasBeforeScaleAnnotation]]?.stringValue.flatMap(Int.init)
        return WorkloadState(replicas: object[path: ["spec", "replicas"]]?.intValue ?? 1,
                             paused: workload.kind.isOperatorResource ? object[path: ["spec", "paused"]]?.boolValue ?? false : nil,
                             pods: pods.map(\.metadata.name).sorted(), readyPods: pods.filter(\.isReady).map(\.metadata.name).sorted(),
                             replicasBeforeScale: recorded)
    }

    /// Records on the object the replicas it ran before a scale-down, so a scale-down run
    /// again (a resumed run) or a scale-up without a count still knows them; nil removes it.
    public func recordReplicasBeforeScale(_ workload: Workload, _ replicas: Int?) async throws {
        try await mergePatch(workload.kind.resource, workload.name, namespace: workload.namespace,
                             patch: ["metadata": ["annotations": [Workload.replicasBeforeScaleAnnotation: replicas.map { .string(String($0)) } ?? .null]]])
    }

    /// The pods a workload runs, by its selector (for an operator's resource, the labels
    /// the operator puts on its pods).
    func pods(of workload: Workload, object: JSONValue) async throws -> [Pod] {
        let selector: String
        if let operatorPods = workload.operatorPods {
            selector = operatorPods.selector
        } else {
            let labels = object[path: ["spec", "selector", "matchLabels"]]?.objectValue ?? [:]
            selector = labels.keys.sorted().compactMap { key in labels[key]?.stringValue.map { "\(key)=\($0)" } }.joined(separator: ",")
            // A selector with no labels would select every pod of the namespace.
            guard !selector.isEmpty else { return [] }
        }
        return try await list(Pod.self, namespace: workload.namespace, labelSelector: selector).items
    }

    /// Asks for `replicas`: through the `scale` subresource for a StatefulSet or Deployment;
    /// for an operator's resource `spec.replicas` with `spec.paused: false`, so the operator
    /// carries it out (``pauseOperator`` stops it afterwards).
    public func scaleWorkload(_ workload: Workload, to replicas: Int) async throws {
        if workload.kind.isOperatorResource {
            try await mergePatch(workload.kind.resource, workload.name, namespace: workload.namespace,
                                 patch: ["spec": ["replicas": .int(replicas), "paused": false]])
        } else {
            try await mergePatch(workload.kind.resource, workload.name, namespace: workload.namespace,
                                 patch: ["spec": ["replicas": .int(replicas)]], subresource: "scale")
        }
    }

    /// `spec.paused: true` on a Prometheus or Alertmanager: its operator leaves the
    /// StatefulSet alone until it is unpaused.
    public func pauseOperator(_ workload: Workload) async throws {
        try await mergePatch(workload.kind.resource, workload.name, namespace: workload.namespace, patch: ["spec": ["paused": true]])
    }
}
