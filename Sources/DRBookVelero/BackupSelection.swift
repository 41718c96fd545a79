import Foundation

/// Which backup of a namespace a restore would use, decided in one place for the store
/// verifier, `velero.latestBackup` and the restore.
///
/// The newest Completed backup whose namespace filter includes the namespace, in
/// Velero's order (start time, then name). Newer ones are passed over and reported: not
/// terminal (its `velero-backup.json` may still be rewritten), Failed, or PartiallyFailed
/// (its errors may have cost items a restore would then silently lack). Only when no
/// backup completed is the newest PartiallyFailed one chosen, as a fallback the verifier
/// never calls green. Backups without any timestamp sort last: their age cannot be known.
public struct BackupSelection: Sendable, Equatable {
    public enum Choice: String, Sendable, Equatable, Codable {
        /// The newest Completed backup including the namespace.
        case newestCompleted
        /// Nothing completed: the newest PartiallyFailed one, never to be trusted blindly.
        case partiallyFailedFallback
        /// The backup the person named.
        case named
    }

    public let namespace: String
    /// The backups whose filter includes the namespace, newest first.
    public let including: [Backup]
    public let chosen: Backup?
    public let choice: Choice?
    /// Newer than the chosen one and not used, newest first.
    public let passedOver: [Backup]
    /// The next older Completed or PartiallyFailed backup: what to fall back to when the
    /// chosen one cannot be read.
    public let previousRestorable: Backup?
    /// The next older Completed backup: what to use instead of a PartiallyFailed one, and
    /// what the chosen one's volumes are compared with.
    public let previousCompleted: Backup?

    /// The newest good backup among `backups` (any order) for `namespace`.
    public init(newestOf backups: [Backup], namespace: String) {
        let including = Self.newestFirst(backups.filter { $0.includes(namespace: namespace) })
        let index = including.firstIndex { $0.phase == .completed } ?? including.firstIndex { $0.phase == .partiallyFailed }
        self.init(namespace: namespace, including: including, index: index,
                  choice: index.map { including[$0].phase == .completed ? .newestCompleted : .partiallyFailedFallback })
    }

    /// `name`, as the person named it, with the same view of what is older and newer; nil
    /// when no backup has that name.
    public init?(named name: String, among backups: [Backup], namespace: String) {
        let ordered = Self.newestFirst(backups)
        guard let named = ordered.first(where: { $0.name == name }) else { return nil }
        let including = ordered.filter { $0.includes(namespace: namespace) || $0.name == name }
        self.init(namespace: namespace, including: including, index: including.firstIndex { $0.name == named.name }, choice: .named)
    }

    private init(namespace: String, including: [Backup], index: Int?, choice: Choice?) {
        self.namespace = namespace
        self.including = including
        self.choice = choice
        guard let index else {
            chosen = nil
            passedOver = including
            previousRestorable = nil
            previousCompleted = nil
            return
        }
        chosen = including[index]
        passedOver = Array(including[..<index])
        let older = including[(index + 1)...]
        previousRestorable = older.first { $0.phase.isRestorable }
        previousCompleted = older.first { $0.phase == .completed }
    }

    /// Backups other than the chosen one that carry no timestamp at all.
    public var undated: [Backup] { including.filter { $0.name != chosen?.name && $0.takenAt == nil } }

    /// Velero's order: start time (creation when it never started), then name, which
    /// carries the schedule's timestamp.
    public static func newestFirst(_ backups: [Backup]) -> [Backup] {
        backups.sorted(by: isNewer)
    }

    public static func isNewer(_ a: Backup, than b: Backup) -> Bool {
        let left = a.startedAt ?? .distantPast
        let right = b.startedAt ?? .distantPast
        return left != right ? left > right : a.name > b.name
    }
}
