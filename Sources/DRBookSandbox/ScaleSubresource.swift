import DRBookKube
import Foundation

/// The `/scale` subresource: an `autoscaling/v1` Scale that reads and writes the
/// object's `spec.replicas` (what `kubectl scale` uses).
enum ScaleSubresource {
    static let group = "autoscaling"
    static let version = "v1"
    static let kind = "Scale"

    static func scale(of object: JSONValue) -> JSONValue {
        var metadata: [String: JSONValue] = [:]
        for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            metadata[field] = object[path: ["metadata", field]]
        }
        let matchLabels = object[path: ["spec", "selector", "matchLabels"]]?.objectValue ?? [:]
        let selector = matchLabels.keys.sorted().compactMap { key in matchLabels[key]?.stringValue.map { "\(key)=\($0)" } }
            .joined(separator: ",")
        return [
            "kind": .string(kind), "apiVersion": .string("\(group)/\(version)"), "metadata": .object(metadata),
            "spec": ["replicas": .int(object[path: ["spec", "replicas"]]?.intValue ?? 1)],
            "status": ["replicas": .int(object[path: ["status", "replicas"]]?.intValue ?? 0), "selector": .string(selector)],
        ]
    }

    /// The merge patch to the object for a Scale as written by the client, keeping its
    /// resourceVersion as the precondition.
    static func objectPatch(from scale: JSONValue) throws -> JSONValue {
        guard let replicas = scale[path: ["spec", "replicas"]]?.intValue, replicas >= 0 else {
            throw APIError.badRequest("spec.replicas: a non-negative integer is required")
        }
        var patch: JSONValue = ["spec": ["replicas": .int(replicas)]]
        if let version = scale.metadata("resourceVersion"), !version.isEmpty {
            patch.set(.string(version), at: ["metadata", "resourceVersion"])
        }
        return patch
    }
}
