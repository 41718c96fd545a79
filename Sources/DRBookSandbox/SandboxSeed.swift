import DRBookKube
import Foundation

/// The objects a sandbox starts with, from manifests: the platform's namespaces, its
/// Velero location and schedule, its monitoring CRs and Flux objects. They are data
/// (sandbox/platform.yaml in the repository) so that the platform's names live in one
/// file a person can read and change, never in code. A manifest's `status`, if any, is
/// written through the status subresource, as a controller would have.
public enum SandboxSeed {
    public static func apply(_ objects: [JSONValue], to store: SandboxStore, source: String) async throws {
        for object in objects {
            let apiVersion = object["apiVersion"]?.stringValue ?? ""
            let kind = object["kind"]?.stringValue ?? ""
            guard let resource = store.catalogue.resources.first(where: { $0.groupVersion == apiVersion && $0.kind == kind }) else {
                throw KubeManifestError(file: source, message: "the sandbox does not serve \(kind) in \(apiVersion); the resources it serves are in ResourceCatalogue")
            }
            let namespace = resource.namespaced ? (object[path: ["metadata", "namespace"]]?.stringValue ?? "default") : nil
            var body = object
            let status = body["status"]
            body["status"] = nil
            let created: JSONValue
            do {
                created = try await store.create(resource.groupResource, namespace: namespace, body)
            } catch let error as APIError where error.reason == .alreadyExists {
                continue
            }
            if let status, resource.hasStatus, let name = created[path: ["metadata", "name"]]?.stringValue {
                _ = try await store.patchStatus(resource.groupResource, namespace: namespace, name: name, ["status": status])
            }
        }
    }

    public static func apply(file path: String, to store: SandboxStore) async throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubeManifestError(file: path, message: "cannot be read: \(error.localizedDescription)")
        }
        try await apply(KubeManifests.parse(text, file: path), to: store, source: path)
    }
}
