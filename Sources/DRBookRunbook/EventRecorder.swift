import Foundation

/// The single path every event of a run takes: redacted, written to the journal and synced,
/// then shown to the observer. It also samples progress: at most one event per second per step,
/// plus the last one before the step ends.
final class EventRecorder: @unchecked Sendable {
    static let progressInterval: TimeInterval = 1

    let redactor: Redactor
    private let journal: Journal?
    private let observer: any ExecutionObserver
    private let clock: RunClock
    private let lock = NSLock()
    private var lastProgress: [String: Date] = [:]
    private var pendingProgress: [String: ActionProgress] = [:]
    private var firstJournalError: JournalError?

    init(journal: Journal?, redactor: Redactor, observer: any ExecutionObserver, clock: RunClock) {
        self.journal = journal
        self.redactor = redactor
        self.observer = observer
        self.clock = clock
    }

    func record(_ kind: JournalEvent.Kind) {
        lock.lock()
        defer { lock.unlock() }
        write(kind)
    }

    /// Records `progress` unless the step reported less than a second ago; then it is kept as the pending last value.
    func progress(_ progress: ActionProgress, of stepID: String) {
        lock.lock()
        defer { lock.unlock() }
        let now = clock.now()
        if let last = lastProgress[stepID], now.timeIntervalSince(last) < Self.progressInterval, now >= last {
            pendingProgress[stepID] = progress
            return
        }
        lastProgress[stepID] = now
        pendingProgress[stepID] = nil
        write(.stepProgress(.init(stepID: stepID, progress: progress)))
    }

    /// Writes the step's last progress if sampling held it back; call before its step-end.
    func flushProgress(of stepID: String) {
        lock.lock()
        defer { lock.unlock() }
        if let pending = pendingProgress.removeValue(forKey: stepID) {
            write(.stepProgress(.init(stepID: stepID, progress: pending)))
        }
        lastProgress[stepID] = nil
    }

    /// The first failure to write the journal; the executor stops the run when there is one.
    var journalError: JournalError? {
        lock.lock()
        defer { lock.unlock() }
        return firstJournalError
    }

    var syncedEventCount: Int { journal?.syncedEventCount ?? 0 }

    /// Call with the lock held.
    private func write(_ kind: JournalEvent.Kind) {
        let event = JournalEvent(kind, at: clock.now()).redacted(by: redactor)
        if let journal, firstJournalError == nil {
            do {
                try journal.append(event)
            } catch {
                firstJournalError = error
            }
        }
        observer.record(event)
    }
}
