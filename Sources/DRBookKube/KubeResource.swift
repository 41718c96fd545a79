import Foundation

/// One kind of object the API serves: where it lives (group, version, plural
/// resource name) and whether it belongs to a namespace. These are API facts, the same
/// in every cluster; the names of a platform's objects are not here.
public struct KubeResource: Sendable, Hashable, CustomStringConvertible {
    /// "" for the core group.
    public var group: String
    public var version: String
    /// The plural, lowercase name used in URLs and RBAC rules: `persistentvolumeclaims`.
    public var resource: String
    public var kind: String
    public var namespaced: Bool

    public init(group: String, version: String, resource: String, kind: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.resource = resource
        self.kind = kind
        self.namespaced = namespaced
    }

    /// `v1` or `velero.io/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `persistentvolumeclaims` or `backups.velero.io`, as kubectl names it.
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }

    /// The URL path of a collection or of one object.
    public func path(namespace: String? = nil, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { path += "/namespaces/\(Self.segment(namespace))" }
        path += "/\(resource)"
        if let name { path += "/\(Self.segment(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}

extension KubeResource {
    public static let namespaces = KubeResource(group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false)
    public static let secrets = KubeResource(group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true)
    public static let configMaps = KubeResource(group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true)
    public static let pods = KubeResource(group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true)
    public static let services = KubeResource(group: "", version: "v1", resource: "services", kind: "Service", namespaced: true)
    public static let persistentVolumeClaims = KubeResource(group: "", version: "v1", resource: "persistentvolumeclaims",
                                                            kind: "PersistentVolumeClaim", namespaced: true)
    public static let persistentVolumes = KubeResource(group: "", version: "v1", resource: "persistentvolumes",
                                                       kind: "PersistentVolume", namespaced: false)
    public static let statefulSets = KubeResource(group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet", namespaced: true)
    public static let kustomizations = KubeResource(group: "kustomize.toolkit.fluxcd.io", version: "v1", resource: "kustomizations",
                                                    kind: "Kustomization", namespaced: true)
    public static let helmReleases = KubeResource(group: "helm.toolkit.fluxcd.io", version: "v2", resource: "helmreleases",
                                                  kind: "HelmRelease", namespaced: true)
    public static let prometheuses = KubeResource(group: "monitoring.coreos.com", version: "v1", resource: "prometheuses",
                                                  kind: "Prometheus", namespaced: true)
    public static let alertmanagers = KubeResource(group: "monitoring.coreos.com", version: "v1", resource: "alertmanagers",
                                                   kind: "Alertmanager", namespaced: true)
    public static let selfSubjectAccessReviews = KubeResource(group: "authorization.k8s.io", version: "v1",
                                                              resource: "selfsubjectaccessreviews",
                                                              kind: "SelfSubjectAccessReview", namespaced: false)
}
