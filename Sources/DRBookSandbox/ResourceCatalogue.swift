import Foundation

/// The resources the sandbox serves. Discovery, routing and the store read this one
/// table; a new kind is a new row, not new code.
public struct ResourceCatalogue: Sendable {
    public private(set) var resources: [APIResource]

    public init(_ resources: [APIResource]) {
        self.resources = resources
    }

    public mutating func add(_ resource: APIResource) {
        resources.removeAll { $0.groupResource == resource.groupResource && $0.version == resource.version }
        resources.append(resource)
    }

    /// The entry for a resource in a group, whatever its version.
    public func resource(_ groupResource: GroupResource) -> APIResource? {
        resources.first { $0.groupResource == groupResource }
    }

    /// The entry a URL names: `/apis/<group>/<version>/<name>`.
    public func resource(group: String, version: String, name: String) -> APIResource? {
        resources.first { $0.group == group && $0.version == version && $0.name == name }
    }

    /// Group names in first-seen order, the core group ("") excluded.
    public var groups: [String] {
        var seen: [String] = []
        for resource in resources where !resource.group.isEmpty && !seen.contains(resource.group) { seen.append(resource.group) }
        return seen
    }

    public func versions(of group: String) -> [String] {
        var seen: [String] = []
        for resource in resources where resource.group == group && !seen.contains(resource.version) { seen.append(resource.version) }
        return seen
    }

    public func resources(group: String, version: String) -> [APIResource] {
        resources.filter { $0.group == group && $0.version == version }
    }
}

extension ResourceCatalogue {
    /// The kinds drbook's platform uses: core v1, apps/v1, Velero, Flux, prometheus-operator,
    /// External Secrets, and the access review. Field-selector columns follow what the real
    /// API server accepts for each kind (custom resources: name and namespace only).
    public static let standard = ResourceCatalogue(rows.map { row in
        APIResource(group: row.group, version: row.version, name: row.name, singularName: row.singular, kind: row.kind,
                    namespaced: row.namespaced, shortNames: row.short, subresources: row.sub,
                    verbs: row.verbs ?? APIResource.allVerbs, selectableFields: row.fields)
    })

    private struct Row {
        var group: String, version: String, name: String, singular: String, kind: String, namespaced: Bool
        var short: [String] = [], sub: Set<APIResource.Subresource> = [], verbs: [String]? = nil, fields: [String] = []
    }

    private static let rows: [Row] = [
        Row(group: "", version: "v1", name: "namespaces", singular: "namespace", kind: "Namespace", namespaced: false,
            short: ["ns"], sub: [.status], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], fields: ["status.phase"]),
        Row(group: "", version: "v1", name: "pods", singular: "pod", kind: "Pod", namespaced: true, short: ["po"], sub: [.status],
            fields: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP"]),
        Row(group: "", version: "v1", name: "secrets", singular: "secret", kind: "Secret", namespaced: true, fields: ["type"]),
        Row(group: "", version: "v1", name: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true, short: ["cm"]),
        Row(group: "", version: "v1", name: "persistentvolumeclaims", singular: "persistentvolumeclaim", kind: "PersistentVolumeClaim",
            namespaced: true, short: ["pvc"], sub: [.status]),
        Row(group: "", version: "v1", name: "persistentvolumes", singular: "persistentvolume", kind: "PersistentVolume",
            namespaced: false, short: ["pv"], sub: [.status]),
        Row(group: "", version: "v1", name: "services", singular: "service", kind: "Service", namespaced: true, short: ["svc"],
            sub: [.status], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]),
        Row(group: "", version: "v1", name: "serviceaccounts", singular: "serviceaccount", kind: "ServiceAccount", namespaced: true, short: ["sa"]),
        Row(group: "apps", version: "v1", name: "statefulsets", singular: "statefulset", kind: "StatefulSet", namespaced: true,
            short: ["sts"], sub: [.status, .scale]),
        Row(group: "apps", version: "v1", name: "deployments", singular: "deployment", kind: "Deployment", namespaced: true,
            short: ["deploy"], sub: [.status, .scale]),
        Row(group: "batch", version: "v1", name: "cronjobs", singular: "cronjob", kind: "CronJob", namespaced: true,
            short: ["cj"], sub: [.status]),
        Row(group: "batch", version: "v1", name: "jobs", singular: "job", kind: "Job", namespaced: true, sub: [.status]),
        // Velero's Backup and Restore are written whole by its controllers (no status
        // subresource assumed; unconfirmed against Velero's CRDs). The store's Swift API
        // updates status of any kind, so simulated controllers work either way.
        Row(group: "velero.io", version: "v1", name: "backups", singular: "backup", kind: "Backup", namespaced: true),
        Row(group: "velero.io", version: "v1", name: "restores", singular: "restore", kind: "Restore", namespaced: true),
        Row(group: "velero.io", version: "v1", name: "schedules", singular: "schedule", kind: "Schedule", namespaced: true, sub: [.status]),
        Row(group: "velero.io", version: "v1", name: "backupstoragelocations", singular: "backupstoragelocation",
            kind: "BackupStorageLocation", namespaced: true, short: ["bsl"], sub: [.status]),
        Row(group: "velero.io", version: "v1", name: "podvolumebackups", singular: "podvolumebackup", kind: "PodVolumeBackup", namespaced: true, sub: [.status]),
        Row(group: "velero.io", version: "v1", name: "podvolumerestores", singular: "podvolumerestore", kind: "PodVolumeRestore", namespaced: true, sub: [.status]),
        Row(group: "velero.io", version: "v1", name: "deletebackuprequests", singular: "deletebackuprequest", kind: "DeleteBackupRequest", namespaced: true),
        Row(group: "kustomize.toolkit.fluxcd.io", version: "v1", name: "kustomizations", singular: "kustomization", kind: "Kustomization",
            namespaced: true, short: ["ks"], sub: [.status]),
        Row(group: "helm.toolkit.fluxcd.io", version: "v2", name: "helmreleases", singular: "helmrelease", kind: "HelmRelease",
            namespaced: true, short: ["hr"], sub: [.status]),
        Row(group: "source.toolkit.fluxcd.io", version: "v1", name: "gitrepositories", singular: "gitrepository", kind: "GitRepository",
            namespaced: true, short: ["gitrepo"], sub: [.status]),
        Row(group: "monitoring.coreos.com", version: "v1", name: "prometheuses", singular: "prometheus", kind: "Prometheus",
            namespaced: true, short: ["prom"], sub: [.status]),
        Row(group: "monitoring.coreos.com", version: "v1", name: "alertmanagers", singular: "alertmanager", kind: "Alertmanager",
            namespaced: true, short: ["am"], sub: [.status]),
        Row(group: "monitoring.coreos.com", version: "v1", name: "servicemonitors", singular: "servicemonitor", kind: "ServiceMonitor",
            namespaced: true, short: ["smon"]),
        Row(group: "monitoring.coreos.com", version: "v1", name: "prometheusrules", singular: "prometheusrule", kind: "PrometheusRule",
            namespaced: true, short: ["promrule"]),
        Row(group: "external-secrets.io", version: "v1", name: "externalsecrets", singular: "externalsecret", kind: "ExternalSecret",
            namespaced: true, short: ["es"], sub: [.status]),
        Row(group: "external-secrets.io", version: "v1", name: "secretstores", singular: "secretstore", kind: "SecretStore",
            namespaced: true, short: ["ss"], sub: [.status]),
        Row(group: "external-secrets.io", version: "v1", name: "clustersecretstores", singular: "clustersecretstore",
            kind: "ClusterSecretStore", namespaced: false, short: ["css"], sub: [.status]),
        Row(group: "external-secrets.io", version: "v1", name: "pushsecrets", singular: "pushsecret", kind: "PushSecret",
            namespaced: true, sub: [.status]),
        Row(group: "authorization.k8s.io", version: "v1", name: "selfsubjectaccessreviews", singular: "selfsubjectaccessreview",
            kind: "SelfSubjectAccessReview", namespaced: false, verbs: ["create"]),
    ]
}
