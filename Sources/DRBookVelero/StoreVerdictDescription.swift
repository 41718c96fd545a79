import DRBookText
import Foundation

/// A store verdict for a person, as `drbook backups verify` prints it and a run report
/// shows it: the verdict first, then the backup, its volumes, what is wrong and how to fix
/// it, and where to look next.
public struct StoreVerdictDescription: Sendable {
    public var verdict: StoreVerdict
    /// How the person named the store, for the command to run next.
    public var storeArgument: String

    public init(verdict: StoreVerdict, storeArgument: String) {
        self.verdict = verdict
        self.storeArgument = storeArgument
    }

    /// - Parameter next: end with the command to run next (off when embedded in `backups show`).
    public func render(next: Bool = true) -> String {
        var lines: [String] = []
        let status = verdict.isGreen ? "PASSED" : (verdict.status == .warning ? "WARNING" : "FAILED")
        lines.append("Verdict:    \(status) — namespace \(verdict.namespace) in \(verdict.store)")
        if let backup = verdict.backup {
            lines.append("Backup:     \(backup.name) (\(backup.phase)\(backup.schedule.map { ", schedule \($0)" } ?? ""))")
            if let age = backup.age {
                lines.append("Age:        \(GoDuration.format(age)) (RPO \(GoDuration.format(verdict.rpo)))")
            }
            lines.append("Errors:     \(backup.errors)   Warnings: \(backup.warnings)")
        } else {
            lines.append("Backup:     none usable")
        }
        if let kopia = verdict.kopia {
            let state = kopia.hasFormatBlob ? "present (kopia.repository found)" : kopia.exists ? "objects but no kopia.repository" : "missing"
            lines.append("Kopia repo: \(state) at \(kopia.location)")
        }
        if !verdict.volumes.isEmpty {
            lines.append("")
            lines.append("Volumes:")
            let table = TextTable(["PVC", "SIZE", "PODS", "POD VOLUME BACKUP", "PHASE", "SNAPSHOT", "BYTES", "STATUS"],
                                  verdict.volumes.map { volume in
                                      [volume.persistentVolumeClaim, volume.requestedStorage ?? "-", volume.pods.joined(separator: ","),
                                       volume.podVolumeBackup ?? "-", volume.phase ?? "-", volume.snapshotID.map { String($0.prefix(12)) } ?? "-",
                                       volume.totalBytes.map(String.init) ?? "-", volume.status.rawValue]
                                  })
            lines += table.render().split(separator: "\n").map { "  " + $0 }
        }
        let findings = verdict.findings.filter { $0.severity != .info }
        if !findings.isEmpty {
            lines.append("")
            lines.append("Findings (\(findings.count)):")
            for finding in findings.sorted(by: { $0.severity > $1.severity }) {
                lines.append("  [\(finding.severity.rawValue)] \(finding.object)")
                lines.append("      \(finding.message)")
                lines.append("      Fix: \(finding.fix)")
            }
        }
        if !verdict.otherBackups.isEmpty {
            lines.append("")
            lines.append("Other backups:")
            let table = TextTable(["NAME", "PHASE", "AGE", "VERDICT"], verdict.otherBackups.map {
                [$0.name, $0.phase, $0.age.map(GoDuration.format) ?? "-", $0.verdict]
            })
            lines += table.render().split(separator: "\n").map { "  " + $0 }
        }
        if next {
            lines.append("")
            lines.append("More: drbook backups list --store \(storeArgument)   (add -o json for the whole verdict)")
        }
        return lines.joined(separator: "\n")
    }
}
