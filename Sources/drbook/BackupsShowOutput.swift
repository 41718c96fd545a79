import DRBookText
import DRBookVelero
import Foundation

/// `backups show` for a person: sections scanned top-down as `velero backup describe`
/// prints them — phase and counts, filters and times, then the resource list, the
/// volumes, the messages, the files — ending with the verdict (if asked) and what to run next.
struct BackupDescription {
    var details: BackupDetails
    var storeArgument: String
    var now = Date()

    func render() -> String {
        var lines: [String] = []
        let metadata = details.metadata
        func field(_ label: String, _ value: String) { lines.append((label + ":").padding(toLength: 20, withPad: " ", startingAt: 0) + value) }
        func list(_ values: [String], empty: String) -> String { values.isEmpty ? empty : values.joined(separator: ", ") }

        field("Name", details.name)
        field("Store", details.store)
        field("Phase", metadata.phase + (metadata.failureReason.map { " (\($0))" } ?? ""))
        for error in metadata.validationErrors { field("Validation error", error) }
        field("Errors", String(metadata.errors))
        field("Warnings", String(metadata.warnings))
        field("Schedule", metadata.schedule ?? "-")
        field("Storage location", metadata.storageLocation ?? "-")
        field("Namespaces", "included: \(list(metadata.includedNamespaces, empty: "* (all)"))   excluded: \(list(metadata.excludedNamespaces, empty: "none"))")
        field("Resources", "included: \(list(metadata.includedResources, empty: "* (all)"))   excluded: \(list(metadata.excludedResources, empty: "none"))")
        field("Started", metadata.startedAt.map(BackupRow.timestamp) ?? "-")
        field("Completed", metadata.completedAt.map(BackupRow.timestamp) ?? "-")
        if let expiration = metadata.expiration {
            let when = expiration > now ? "in \(Age.text(expiration.timeIntervalSince(now)))" : "expired \(Age.text(now.timeIntervalSince(expiration))) ago"
            field("Expires", "\(BackupRow.timestamp(expiration)) (\(when)\(metadata.ttl.map { ", TTL \(GoDuration.format($0))" } ?? ""))")
        }
        field("Format version", metadata.formatVersion ?? "-")
        if let done = metadata.itemsBackedUp {
            field("Items", "\(done) of \(metadata.totalItems.map(String.init) ?? "?") backed up")
        }
        if let version = metadata.sourceClusterVersion { field("Source cluster", "Kubernetes \(version)") }

        lines.append("")
        lines += resourceSection()
        lines.append("")
        lines += podVolumeSection()
        lines.append("")
        lines += messages("Errors", details.results.errors)
        lines += messages("Warnings", details.results.warnings)
        lines.append("")
        lines.append("Files (\(details.objects.count)):")
        let prefix = VeleroKeys.backupFolder(details.name)
        lines += indent(TextTable(["OBJECT", "BYTES"], details.objects.map { [String($0.key.dropFirst(prefix.count)), String($0.size)] }).render())
        for part in details.unreadable {
            lines.append("warning: the \(part.part) cannot be read: \(part.error)")
        }
        if let verdict = details.verdict {
            lines.append("")
            lines += StoreVerdictDescription(verdict: verdict, storeArgument: storeArgument).render(next: false).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        lines.append("")
        let verify = details.verdict == nil ? "drbook backups show \(details.name) --store \(storeArgument) --namespace NAMESPACE" : "drbook backups verify --store \(storeArgument) --namespace \(details.verdict!.namespace)"
        lines.append("More: \(verify)   (add -o json for all of it; the log: velero backup logs \(details.name))")
        return lines.joined(separator: "\n")
    }

    private func resourceSection() -> [String] {
        let resources = details.resources
        guard resources.listed else { return ["Resource list: none in the store (backups before Velero 1.x wrote none)."] }
        var lines = ["Resource list: \(resources.total) items, \(resources.clusterScoped) cluster-scoped, in \(resources.byNamespace.count) namespaces"]
        let kinds = resources.byKind.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        lines += indent(TextTable(["KIND", "COUNT"], kinds.map { [$0.key, String($0.value)] }).render())
        let namespaces = resources.byNamespace.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }
        lines.append("  Namespaces: " + (namespaces.isEmpty ? "none" : namespaces.joined(separator: ", ")))
        return lines
    }

    private func podVolumeSection() -> [String] {
        let rows = details.podVolumeBackups
        guard !rows.isEmpty else { return ["Pod volume backups: none (no volume data is in this backup)."] }
        let unusable = rows.filter { !$0.restorable }.count
        var lines = ["Pod volume backups (\(rows.count)\(unusable > 0 ? ", \(unusable) not restorable" : "")):"]
        let sorted = rows.sorted { ($0.pod ?? "", $0.volume ?? "") < ($1.pod ?? "", $1.volume ?? "") }
        lines += indent(TextTable(["POD", "PVC", "VOLUME", "PHASE", "SNAPSHOT ID", "BYTES", "RESTORABLE"], sorted.map { row in
            [row.pod ?? "-", row.persistentVolumeClaim ?? "-", row.volume ?? "-", row.phase,
             row.snapshotID.map { "yes (\($0.prefix(12)))" } ?? "MISSING", String(row.totalBytes), row.restorable ? "yes" : "NO"]
        }).render())
        for row in sorted { if let message = row.message { lines.append("  \(row.name): \(message)") } }
        return lines
    }

    private func messages(_ title: String, _ result: BackupResult) -> [String] {
        guard !result.isEmpty else { return ["\(title): none recorded."] }
        var lines = ["\(title):"]
        for message in result.velero ?? [] { lines.append("  velero: \(message)") }
        for message in result.cluster ?? [] { lines.append("  cluster: \(message)") }
        for (namespace, messages) in (result.namespaces ?? [:]).sorted(by: { $0.key < $1.key }) {
            for message in messages { lines.append("  namespace \(namespace): \(message)") }
        }
        return lines
    }

    private func indent(_ text: String) -> [String] { text.split(separator: "\n").map { "  " + $0 } }
}
