import Foundation

/// A claim as a plan shows it before it is deleted: its name and size.
public struct ClaimSummary: Sendable, Equatable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    /// `status.capacity.storage`, else `spec.resources.requests.storage`; nil when neither is set.
    public var size: String?
    public var phase: String

    public init(_ claim: PersistentVolumeClaim) {
        namespace = claim.metadata.namespace ?? ""
        name = claim.metadata.name
        size = claim.status?.capacity?["storage"] ?? claim.requestedStorage
        phase = claim.phase
    }

    /// `PVC monitoring/storage-loki-0 (10Gi)`.
    public var description: String { "PVC \(namespace)/\(name)" + (size.map { " (\($0))" } ?? "") }
}

extension KubeClient {
    /// Deletes each named object that exists and waits until all are gone: an object with
    /// finalizers (`kubernetes.io/pvc-protection` while a pod mounts a claim, a namespace's
    /// `kubernetes`) stays until its controllers let it go. The wait names what is left and
    /// what holds it; `waiting.timeout` bounds it. Returns the names that existed.
    @discardableResult
    public func deleteAndWait(_ resource: KubeResource, _ names: [String], namespace: String? = nil,
                              waiting: KubeWaiting) async throws -> [String] {
        var existed: [String] = []
        for name in names {
            if try await delete(resource, name, namespace: namespace) { existed.append(name) }
        }
        let total = names.count
        let noun = resource.description
        try await waiting.until("\(noun) \(names.joined(separator: ", ")) to be gone") { () async throws -> KubeWaiting.Look<Void> in
            var left: [String] = []
            for name in names {
                guard let object = try await getJSONIfPresent(resource, name, namespace: namespace) else { continue }
                let finalizers = (object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
                left.append(finalizers.isEmpty ? name : "\(name) (finalizers: \(finalizers.joined(separator: ", ")))")
            }
            if left.isEmpty { return .done(()) }
            return .waiting("\(total - left.count) of \(total) \(noun) gone; waiting for \(left.joined(separator: "; "))",
                            completed: total - left.count, total: total)
        }
        return existed
    }

    /// The whole object, or nil when it does not exist.
    public func getJSONIfPresent(_ resource: KubeResource, _ name: String, namespace: String? = nil) async throws -> JSONValue? {
        do {
            return try await getJSON(resource, name, namespace: namespace)
        } catch let error as KubeAPIError where error.reason == .notFound {
            return nil
        }
    }
}
