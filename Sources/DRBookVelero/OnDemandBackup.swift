import DRBookKube
import Foundation

/// A backup of one namespace taken on demand, before anything destructive: the Backup
/// object Velero runs (every pod volume by fs-backup), followed to a terminal phase.
public struct OnDemandBackup: Sendable {
    public var veleroNamespace: String
    public var name: String
    public var namespace: String
    public var location: String?
    /// A Go duration (`720h0m0s`); nil keeps Velero's default (30 days).
    public var ttl: String?

    public init(veleroNamespace: String, name: String, namespace: String, location: String?, ttl: String?) {
        self.veleroNamespace = veleroNamespace
        self.name = name
        self.namespace = namespace
        self.location = location
        self.ttl = ttl
    }

    public var object: JSONValue {
        var spec: JSONValue = ["includedNamespaces": [.string(namespace)], "defaultVolumesToFsBackup": true]
        if let location { spec["storageLocation"] = .string(location) }
        if let ttl { spec["ttl"] = .string(ttl) }
        return ["metadata": ["name": .string(name), "namespace": .string(veleroNamespace)], "spec": spec]
    }

    public var planLines: [String] {
        ["create Backup \(veleroNamespace)/\(name) of namespace \(namespace), every pod volume by fs-backup"
            + (location.map { ", in location \($0)" } ?? ", in the default location")]
    }

    public func create(_ client: KubeClient) async throws {
        try await client.create(.veleroBackups, object, namespace: veleroNamespace)
    }

    /// Follows the Backup to a terminal phase, telling items backed up of total.
    public func follow(_ client: KubeClient, waiting: KubeWaiting) async throws -> Backup {
        try await waiting.until("Backup \(veleroNamespace)/\(name) to end") { () async throws -> KubeWaiting.Look<Backup> in
            let backup = try await client.get(Backup.self, name, namespace: veleroNamespace)
            if backup.phase.isTerminal { return .done(backup) }
            let progress = backup.status.progress
            var message = "\(backup.phase)"
            if let done = progress?.itemsBackedUp, let total = progress?.totalItems { message += ": \(done) of \(total) items backed up" }
            return .waiting(message, completed: progress?.itemsBackedUp, total: progress?.totalItems)
        }
    }

    /// Velero's account of a backup that did not complete: phase, counts, reason, validation errors.
    public static func problems(_ backup: Backup, results: BackupResults?) -> [String] {
        var lines = ["ended \(backup.phase)" + [(backup.status.errors ?? 0, "error"), (backup.status.warnings ?? 0, "warning")]
            .filter { $0.0 > 0 }.map { " with \($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }.joined(separator: " and")]
        if let reason = backup.status.failureReason, !reason.isEmpty { lines.append("failure reason: \(reason)") }
        for error in backup.status.validationErrors ?? [] { lines.append("validation error: \(error)") }
        if let results {
            for line in results.errors.velero ?? [] { lines.append("error: \(line)") }
            for line in results.errors.cluster ?? [] { lines.append("error (cluster): \(line)") }
            for (namespace, errors) in (results.errors.namespaces ?? [:]).sorted(by: { $0.key < $1.key }) {
                for line in errors { lines.append("error (\(namespace.isEmpty ? "velero" : namespace)): \(line)") }
            }
        }
        return lines
    }
}
