import DRBookKube
import Foundation

/// Simulated kube-controller-manager and kubelet, the parts a restore drill touches:
/// a StatefulSet keeps pods `<set>-<i>` for its replicas and claims
/// `<template>-<set>-<i>` from its volume claim templates (claims outlive scale-downs,
/// as in Kubernetes); claims are bound to a new PersistentVolume; a pod is Ready when
/// every claim it mounts exists and is Bound. Any change in a namespace re-reconciles
/// that namespace; every write is skipped when nothing would change, so it settles.
public struct WorkloadController: SandboxController {
    public let name = "workloads"

    public init() {}

    static let statefulSets = GroupResource(.statefulSets)
    static let pods = GroupResource(.pods)
    static let claims = GroupResource(.persistentVolumeClaims)
    static let volumes = GroupResource(.persistentVolumes)

    public func run(store cluster: SandboxStore) async throws {
        let streams = [try await cluster.watch(Self.statefulSets), try await cluster.watch(Self.pods), try await cluster.watch(Self.claims)]
        let (changes, continuation) = AsyncStream<String>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for events in streams {
                group.addTask {
                    for await event in events { if let namespace = event.object.namespace { continuation.yield(namespace) } }
                }
            }
            group.addTask {
                for await namespace in changes { await reconcile(namespace: namespace, in: cluster) }
            }
            try await group.waitForAll()
        }
    }

    func reconcile(namespace: String, in cluster: SandboxStore) async {
        guard let sets = try? await cluster.list(Self.statefulSets, namespace: namespace).items else { return }
        for set in sets { await reconcileSet(set, in: cluster) }
        await bindClaims(namespace: namespace, in: cluster)
        await updateReadiness(namespace: namespace, in: cluster)
        for set in sets { await updateSetStatus(set.name, namespace: namespace, in: cluster) }
    }

    private func reconcileSet(_ set: JSONValue, in cluster: SandboxStore) async {
        guard let namespace = set.namespace else { return }
        let replicas = set[path: ["spec", "replicas"]]?.intValue ?? 1
        let templates = set[path: ["spec", "volumeClaimTemplates"]]?.arrayValue ?? []
        let existingPods = (try? await cluster.list(Self.pods, namespace: namespace).items) ?? []
        for ordinal in 0..<replicas {
            let podName = "\(set.name)-\(ordinal)"
            var volumes = set[path: ["spec", "template", "spec", "volumes"]]?.arrayValue ?? []
            for template in templates {
                let templateName = template.name
                let claimName = "\(templateName)-\(set.name)-\(ordinal)"
                if (try? await cluster.get(Self.claims, namespace: namespace, name: claimName)) == nil {
                    var claim: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                            "metadata": ["name": .string(claimName), "namespace": .string(namespace),
                                                         "labels": set[path: ["spec", "selector", "matchLabels"]] ?? [:]],
                                            "spec": template["spec"] ?? [:]]
                    claim.set(nil, at: ["spec", "volumeName"])
                    _ = try? await cluster.create(Self.claims, namespace: namespace, claim)
                }
                volumes.removeAll { $0["name"]?.stringValue == templateName }
                volumes.append(["name": .string(templateName), "persistentVolumeClaim": ["claimName": .string(claimName)]])
            }
            guard !existingPods.contains(where: { $0.name == podName }) else { continue }
            var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                                  "metadata": ["name": .string(podName), "namespace": .string(namespace),
                                               "labels": set[path: ["spec", "template", "metadata", "labels"]] ?? [:],
                                               "ownerReferences": [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": .string(set.name),
                                                                    "uid": .string(set.uid ?? ""), "controller": true]]],
                                  "spec": set[path: ["spec", "template", "spec"]] ?? [:]]
            pod.set(.array(volumes), at: ["spec", "volumes"])
            pod.set("sandbox-node", at: ["spec", "nodeName"])
            _ = try? await cluster.create(Self.pods, namespace: namespace, pod)
        }
        // Scale-down removes the highest ordinals; their claims stay.
        for pod in existingPods where Self.ordinal(of: pod.name, in: set.name).map({ $0 >= replicas }) == true {
            _ = try? await cluster.delete(Self.pods, namespace: namespace, name: pod.name)
        }
    }

    static func ordinal(of podName: String, in setName: String) -> Int? {
        guard podName.hasPrefix(setName + "-") else { return nil }
        return Int(podName.dropFirst(setName.count + 1))
    }

    private func bindClaims(namespace: String, in cluster: SandboxStore) async {
        for claim in (try? await cluster.list(Self.claims, namespace: namespace).items) ?? []
        where claim.string("status", "phase") != "Bound" {
            let size = claim.string("spec", "resources", "requests", "storage") ?? "1Gi"
            let volumeName = claim.string("spec", "volumeName") ?? "pvc-\(claim.uid ?? SimulationRandom.hex(12))"
            if (try? await cluster.get(Self.volumes, name: volumeName)) == nil {
                _ = try? await cluster.create(Self.volumes, [
                    "apiVersion": "v1", "kind": "PersistentVolume",
                    "metadata": ["name": .string(volumeName)],
                    "spec": ["capacity": ["storage": .string(size)], "accessModes": claim[path: ["spec", "accessModes"]] ?? ["ReadWriteOnce"],
                             "persistentVolumeReclaimPolicy": "Delete", "storageClassName": claim[path: ["spec", "storageClassName"]] ?? "sandbox",
                             "claimRef": ["kind": "PersistentVolumeClaim", "namespace": .string(namespace), "name": .string(claim.name), "uid": .string(claim.uid ?? "")]],
                ])
                _ = try? await cluster.patchStatus(Self.volumes, name: volumeName, ["status": ["phase": "Bound"]])
            }
            if claim.string("spec", "volumeName") == nil {
                _ = try? await cluster.mergePatch(Self.claims, namespace: namespace, name: claim.name, ["spec": ["volumeName": .string(volumeName)]])
            }
            _ = try? await cluster.patchStatus(Self.claims, namespace: namespace, name: claim.name,
                                                ["status": ["phase": "Bound", "capacity": ["storage": .string(size)], "accessModes": claim[path: ["spec", "accessModes"]] ?? ["ReadWriteOnce"]]])
        }
    }

    private func updateReadiness(namespace: String, in cluster: SandboxStore) async {
        let claims = (try? await cluster.list(Self.claims, namespace: namespace).items) ?? []
        let bound = Set(claims.filter { $0.string("status", "phase") == "Bound" }.map(\.name))
        for pod in (try? await cluster.list(Self.pods, namespace: namespace).items) ?? [] {
            let needed = (pod[path: ["spec", "volumes"]]?.arrayValue ?? []).compactMap { $0[path: ["persistentVolumeClaim", "claimName"]]?.stringValue }
            let ready = needed.allSatisfy(bound.contains)
            let phase = ready ? "Running" : "Pending"
            let current = pod[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"] == "Ready" }?["status"]?.stringValue
            guard pod.string("status", "phase") != phase || current != (ready ? "True" : "False") else { continue }
            _ = try? await cluster.patchStatus(Self.pods, namespace: namespace, name: pod.name, ["status": [
                "phase": .string(phase),
                "conditions": [["type": "Ready", "status": ready ? "True" : "False",
                                "reason": ready ? .null : "ClaimsNotBound", "lastTransitionTime": .string(KubeJSON.formatTime(Date()))]],
            ]])
        }
    }

    private func updateSetStatus(_ name: String, namespace: String, in cluster: SandboxStore) async {
        guard let set = try? await cluster.get(Self.statefulSets, namespace: namespace, name: name) else { return }
        let pods = ((try? await cluster.list(Self.pods, namespace: namespace).items) ?? []).filter { Self.ordinal(of: $0.name, in: name) != nil }
        let ready = pods.filter { $0[path: ["status", "conditions"]]?.arrayValue?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true }.count
        let status: JSONValue = [
            "observedGeneration": set[path: ["metadata", "generation"]] ?? 1, "replicas": .int(pods.count),
            "readyReplicas": .int(ready), "availableReplicas": .int(ready), "currentReplicas": .int(pods.count),
        ]
        guard set["status"] != status else { return }
        _ = try? await cluster.patchStatus(Self.statefulSets, namespace: namespace, name: name, ["status": status])
    }
}
