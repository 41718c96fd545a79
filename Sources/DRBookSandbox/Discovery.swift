import DRBookKube
import Foundation

/// The discovery documents kubectl reads before anything else, generated from the
/// catalogue: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/<g>` and `/apis/<g>/<v>`.
/// Only the legacy (unaggregated) form is served; kubectl falls back to it when the
/// answer is plain `application/json`.
struct Discovery {
    var catalogue: ResourceCatalogue
    /// `host:port` clients use, for `serverAddressByClientCIDRs`.
    var serverAddress: String

    /// The Kubernetes version the sandbox imitates, with build metadata saying it is not one.
    static let imitatedMajor = "1"
    static let imitatedMinor = "32"
    static let gitVersion = "v1.32.0+drbook-sandbox"

    var version: JSONValue {
        [
            "major": .string(Self.imitatedMajor), "minor": .string(Self.imitatedMinor), "gitVersion": .string(Self.gitVersion),
            "gitCommit": "drbook-sandbox-simulation", "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z",
            "goVersion": "none (drbook sandbox: a simulation, not Kubernetes)", "compiler": "swift",
            "platform": "linux/amd64",
        ]
    }

    var coreVersions: JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    var groups: JSONValue {
        ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(catalogue.groups.map(group))]
    }

    func group(_ name: String) -> JSONValue {
        let versions = catalogue.versions(of: name).map { version -> JSONValue in
            ["groupVersion": .string("\(name)/\(version)"), "version": .string(version)]
        }
        var group: JSONValue = ["kind": "APIGroup", "apiVersion": "v1", "name": .string(name), "versions": .array(versions)]
        group["preferredVersion"] = versions.first
        return group
    }

    /// nil when the catalogue has no resource in that group and version.
    func resources(group: String, version: String) -> JSONValue? {
        let entries = catalogue.resources(group: group, version: version)
        guard !entries.isEmpty else { return nil }
        var list: [JSONValue] = []
        for entry in entries {
            var resource: JSONValue = [
                "name": .string(entry.name), "singularName": .string(entry.singularName), "namespaced": .bool(entry.namespaced),
                "kind": .string(entry.kind), "verbs": .array(entry.verbs.map(JSONValue.string)),
            ]
            if !entry.shortNames.isEmpty { resource["shortNames"] = .array(entry.shortNames.map(JSONValue.string)) }
            list.append(resource)
            for subresource in APIResource.Subresource.allCases where entry.subresources.contains(subresource) {
                var sub: JSONValue = [
                    "name": .string("\(entry.name)/\(subresource.rawValue)"), "singularName": "",
                    "namespaced": .bool(entry.namespaced), "kind": .string(entry.kind), "verbs": ["get", "patch", "update"],
                ]
                if subresource == .scale {
                    sub["group"] = .string(ScaleSubresource.group)
                    sub["version"] = .string(ScaleSubresource.version)
                    sub["kind"] = .string(ScaleSubresource.kind)
                }
                list.append(sub)
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(list)]
    }
}
