import DRBookKube
import Foundation

/// A minimal OpenAPI v3 surface, because kubectl asks for it before writing: `apply`,
/// `create` and `patch` look for the `fieldValidation` query parameter on each kind's
/// PATCH operation to choose server-side validation, and without any OpenAPI they refuse
/// to send ("failed to download openapi"). Each group-version document therefore lists
/// one PATCH operation per kind, tagged with its group-version-kind, and no schemas: the
/// sandbox does not validate fields, and kubectl falls back to its built-in patch logic.
struct OpenAPIDocuments {
    var catalogue: ResourceCatalogue

    /// `/openapi/v3`: where each group-version's document is.
    var root: JSONValue {
        var paths: [String: JSONValue] = [:]
        for key in groupVersionKeys {
            paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=\(Self.hash(key))")]
        }
        return ["paths": .object(paths)]
    }

    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/<g>/<v>`; nil for one the catalogue lacks.
    func document(_ key: String) -> JSONValue? {
        guard groupVersionKeys.contains(key) else { return nil }
        let parts = key.split(separator: "/").map(String.init)
        let (group, version) = parts.count == 2 ? ("", parts[1]) : (parts[1], parts[2])
        var paths: [String: JSONValue] = [:]
        for entry in catalogue.resources(group: group, version: version) {
            let scope = entry.namespaced ? "namespaces/{namespace}/" : ""
            paths["/\(key)/\(scope)\(entry.name)/{name}"] = [
                "patch": [
                    "x-kubernetes-group-version-kind": ["group": .string(group), "version": .string(version), "kind": .string(entry.kind)],
                    "parameters": [["name": "fieldValidation", "in": "query", "schema": ["type": "string"]]],
                    "responses": ["200": ["description": "OK"]],
                ],
            ]
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "drbook sandbox (a simulation, not Kubernetes)", "version": .string(Discovery.gitVersion)],
            "paths": .object(paths),
        ]
    }

    private var groupVersionKeys: [String] {
        var keys: [String] = []
        for resource in catalogue.resources {
            let key = resource.group.isEmpty ? "api/\(resource.version)" : "apis/\(resource.group)/\(resource.version)"
            if !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    /// A stable cache key per document (the catalogue does not change while serving).
    private static func hash(_ key: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(value, radix: 16, uppercase: true)
    }
}
