import DRBookKube
import Foundation

/// Simulated prometheus-operator: each Prometheus and Alertmanager gets a StatefulSet
/// (`prometheus-<name>`, `alertmanager-<name>`) with a volume claim template, whose
/// replicas follow `spec.replicas` — unless `spec.paused` is true, when the operator
/// leaves the StatefulSet alone (so it can be scaled by hand for a restore). The CR's
/// status reflects the StatefulSet's readiness.
public struct PrometheusOperatorController: SandboxController {
    public let name = "prometheus-operator"

    public init() {}

    static let prometheuses = GroupResource(.prometheuses)
    static let alertmanagers = GroupResource(.alertmanagers)
    static let statefulSets = GroupResource(.statefulSets)
    static let nameLabel = "operator.prometheus.io/name"

    public func run(store cluster: SandboxStore) async throws {
        let streams = [
            (Self.prometheuses, try await cluster.watch(Self.prometheuses)),
            (Self.alertmanagers, try await cluster.watch(Self.alertmanagers)),
            (Self.statefulSets, try await cluster.watch(Self.statefulSets)),
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (resource, events) in streams {
                group.addTask {
                    for await event in events {
                        if resource == Self.statefulSets {
                            await reflect(event.object, deleted: event.type == .deleted, in: cluster)
                        } else if event.type != .deleted {
                            await reconcile(resource, event.object, in: cluster)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func prefix(_ resource: GroupResource) -> String { resource == prometheuses ? "prometheus" : "alertmanager" }

    func reconcile(_ resource: GroupResource, _ object: JSONValue, in cluster: SandboxStore) async {
        guard object[path: ["spec", "paused"]]?.boolValue != true, let namespace = object.namespace else { return }
        let prefix = Self.prefix(resource)
        let setName = "\(prefix)-\(object.name)"
        let replicas = object[path: ["spec", "replicas"]]?.intValue ?? 1
        if let existing = try? await cluster.get(Self.statefulSets, namespace: namespace, name: setName) {
            if existing[path: ["spec", "replicas"]]?.intValue != replicas {
                _ = try? await cluster.mergePatch(Self.statefulSets, namespace: namespace, name: setName, ["spec": ["replicas": .int(replicas)]])
            }
            return
        }
        let claimTemplate = object[path: ["spec", "storage", "volumeClaimTemplate"]]
        let claimName = claimTemplate?.string("metadata", "name") ?? "\(prefix)-\(object.name)-db"
        let labels: JSONValue = ["app.kubernetes.io/name": .string(prefix), Self.nameLabel: .string(object.name)]
        var template: JSONValue = ["metadata": ["labels": labels], "spec": ["containers": [["name": .string(prefix), "image": .string("sandbox/\(prefix)")]]]]
        var set: JSONValue = [
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": ["name": .string(setName), "namespace": .string(namespace), "labels": labels,
                         "ownerReferences": [["apiVersion": "monitoring.coreos.com/v1", "kind": .string(resource == Self.prometheuses ? "Prometheus" : "Alertmanager"),
                                              "name": .string(object.name), "uid": .string(object.uid ?? ""), "controller": true]]],
            "spec": ["replicas": .int(replicas), "serviceName": .string("\(prefix)-operated"), "selector": ["matchLabels": labels]],
        ]
        if let claimTemplate {
            var claim = claimTemplate
            claim.set(.string(claimName), at: ["metadata", "name"])
            set.set([claim], at: ["spec", "volumeClaimTemplates"])
            template.set([["name": .string(claimName), "persistentVolumeClaim": ["claimName": .string(claimName)]]], at: ["spec", "volumes"])
        }
        set.set(template, at: ["spec", "template"])
        _ = try? await cluster.create(Self.statefulSets, namespace: namespace, set)
    }

    /// Copies a managed StatefulSet's readiness into its CR's status.
    func reflect(_ set: JSONValue, deleted: Bool, in cluster: SandboxStore) async {
        guard let owner = set[path: ["metadata", "labels", Self.nameLabel]]?.stringValue, let namespace = set.namespace else { return }
        let resource = set.name.hasPrefix("alertmanager-") ? Self.alertmanagers : Self.prometheuses
        guard let object = try? await cluster.get(resource, namespace: namespace, name: owner) else { return }
        let status: JSONValue = [
            "paused": .bool(object[path: ["spec", "paused"]]?.boolValue ?? false),
            "replicas": deleted ? 0 : set[path: ["status", "replicas"]] ?? 0,
            "availableReplicas": deleted ? 0 : set[path: ["status", "readyReplicas"]] ?? 0,
        ]
        if object[path: ["status", "paused"]] != status["paused"] || object[path: ["status", "replicas"]] != status["replicas"]
            || object[path: ["status", "availableReplicas"]] != status["availableReplicas"] {
            await patchStatus(cluster, resource, object, status)
        }
    }
}
