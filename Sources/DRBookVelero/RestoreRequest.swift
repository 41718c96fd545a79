import DRBookKube
import Foundation

/// One Restore as drbook will create it: the backup, what it restores and where to
/// (reference/velero.md §4). Built from a step's inputs without I/O, so the plan the
/// operator confirms is the object that is then created.
public struct RestoreRequest: Sendable, Equatable {
    public var veleroNamespace: String
    public var name: String
    public var backup: String
    public var includedNamespaces: [String]
    /// nil: every resource (Velero's default).
    public var includedResources: [String]?
    /// Source namespace → target namespace (a scratch restore).
    public var namespaceMapping: [String: String]
    public var restorePVs: Bool?
    /// `none` (Velero's default, also when empty) or `update`.
    public var existingResourcePolicy: ExistingResourcePolicy

    public enum ExistingResourcePolicy: String, Sendable, CaseIterable {
        case none, update
    }

    public init(veleroNamespace: String, name: String, backup: String, includedNamespaces: [String], includedResources: [String]? = nil,
                namespaceMapping: [String: String] = [:], restorePVs: Bool? = nil, existingResourcePolicy: ExistingResourcePolicy = .none) {
        self.veleroNamespace = veleroNamespace
        self.name = name
        self.backup = backup
        self.includedNamespaces = includedNamespaces
        self.includedResources = includedResources
        self.namespaceMapping = namespaceMapping
        self.restorePVs = restorePVs
        self.existingResourcePolicy = existingResourcePolicy
    }

    /// The namespace a source namespace's objects are restored into.
    public func target(of namespace: String) -> String { namespaceMapping[namespace] ?? namespace }

    public var targetNamespaces: [String] { includedNamespaces.map(target(of:)) }

    /// The resource filter's gap Velero (up to v1.18.2) turns into "no PodVolumeRestores":
    /// which of the two it lacks, or nil when the filter restores both (or there is none).
    public var missingVolumeResources: [String]? {
        guard let included = includedResources, !included.isEmpty, !included.contains("*") else { return nil }
        let names = Set(included.map { $0.lowercased() })
        var missing: [String] = []
        if names.isDisjoint(with: ["persistentvolumeclaims", "persistentvolumeclaim", "pvc"]) { missing.append("persistentvolumeclaims") }
        if names.isDisjoint(with: ["persistentvolumes", "persistentvolume", "pv"]) { missing.append("persistentvolumes") }
        return missing.isEmpty ? nil : missing
    }

    public var spec: Restore.Spec {
        Restore.Spec(backupName: backup, includedNamespaces: includedNamespaces, includedResources: includedResources,
                     namespaceMapping: namespaceMapping.isEmpty ? nil : namespaceMapping,
                     existingResourcePolicy: existingResourcePolicy == .update ? "update" : nil, restorePVs: restorePVs)
    }

    public var object: Restore {
        Restore(metadata: ObjectMeta(name: name, namespace: veleroNamespace), spec: spec)
    }

    /// What the operator confirms: the object created and what it writes into.
    public var planLines: [String] {
        var lines = ["create Restore \(veleroNamespace)/\(name) from backup \(backup)"]
        for namespace in includedNamespaces {
            let target = target(of: namespace)
            lines.append(target == namespace
                         ? "restore namespace \(namespace) in place (existing objects: \(existingResourcePolicy == .update ? "updated" : "kept"))"
                         : "restore namespace \(namespace) into \(target)")
        }
        if let includedResources { lines.append("only the resources \(includedResources.joined(separator: ", "))") }
        if let restorePVs { lines.append("restorePVs: \(restorePVs)") }
        return lines
    }
}
