import DRBookVelero
import Foundation

/// One backup as `backups list` shows it.
struct BackupRow: Encodable {
    var name: String
    var phase: String
    var schedule: String?
    var started: String?
    /// Seconds since it started, for scripts; text shows it as a duration.
    var ageSeconds: Double?
    var errors: Int
    var warnings: Int
    var expires: String?

    init(_ backup: Backup, now: Date) {
        name = backup.name
        phase = backup.phase.description
        schedule = backup.schedule
        started = backup.startedAt.map(Self.timestamp)
        ageSeconds = backup.startedAt.map { now.timeIntervalSince($0).rounded() }
        errors = backup.status.errors ?? 0
        warnings = backup.status.warnings ?? 0
        expires = backup.status.expiration.map(Self.timestamp)
    }

    var ageText: String { ageSeconds.map { GoDuration.format($0) } ?? "-" }

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
    /// Backup folders left out of the list, and why.
    var unreadable: [String: String]
}
