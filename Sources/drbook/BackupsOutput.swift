import DRBookVelero
import Foundation

/// One backup as `backups list` shows it.
struct BackupRow: Encodable {
    var name: String
    var phase: String
    var schedule: String?
    var started: String?
    var age: String?
    var errors: Int
    var warnings: Int
    var expires: String?

    init(_ backup: Backup, now: Date) {
        name = backup.name
        phase = backup.phase.description
        schedule = backup.schedule
        started = backup.startedAt.map(Self.timestamp)
        age = backup.startedAt.map { GoDuration.format(now.timeIntervalSince($0)) }
        errors = backup.status.errors ?? 0
        warnings = backup.status.warnings ?? 0
        expires = backup.status.expiration.map(Self.timestamp)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

struct BackupListOutput: Encodable {
    var store: String
    var backups: [BackupRow]
    var strayFolders: [String]
    var foldersWithoutMetadata: [String]
}

/// Columns padded to their widest cell, as `kubectl get` prints them.
struct TextTable {
    var header: [String]
    var rows: [[String]]
    init(_ header: [String], _ rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }
}

/// `backups verify` for a person: the verdict first, then the backup, its volumes,
/// what is wrong and how to fix it, and where to look next.
struct VerdictReport {
    var verdict: StoreVerdict
    var storeArgument: String

    /// - Parameter next: end with the command to run next (off when embedded in `backups show`).
    func render(next: Bool = true) -> String {
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
