import Foundation

/// Keeps two drbook processes from driving one run at once: two resumes of a crashed run
/// would each see the same unfinished steps and could both run them.
///
/// The engine takes the lock before it reads or writes a run's journal and holds it until
/// the run or resume returns. The CLI's lock is an `flock` on a file in the run's folder,
/// which the kernel releases when the holder dies, so a killed run never leaves a stale lock;
/// the engine itself stays free of system calls.
public protocol RunLocking: Sendable {
    /// Takes the lock of the run whose folder is `directory`, or throws naming who holds it.
    func acquire(_ runID: RunID, directory: URL, holder: RunLockHolder) throws(RunLockError) -> any RunLease
}

/// A held lock; released by `release()` or when the holding process dies.
public protocol RunLease: Sendable {
    func release()
}

/// Who holds a run's lock, written into the lock file so a refused process can say who it waits for.
public struct RunLockHolder: Sendable, Equatable, Codable {
    public var pid: Int32
    public var host: String
    public var user: String
    /// `run` or `resume`.
    public var command: String
    public var since: Date

    public init(pid: Int32, host: String, user: String, command: String, since: Date) {
        self.pid = pid
        self.host = host
        self.user = user
        self.command = command
        self.since = since
    }
}

/// The run is locked by another process (or the lock file cannot be used).
public struct RunLockError: Error, Sendable, Equatable, CustomStringConvertible {
    public var runID: RunID
    /// Nil when the holder has not written its details yet, or they cannot be read.
    public var holder: RunLockHolder?
    /// Set when the lock file itself could not be opened or locked.
    public var problem: String?

    public init(runID: RunID, holder: RunLockHolder?, problem: String? = nil) {
        self.runID = runID
        self.holder = holder
        self.problem = problem
    }

    public var description: String {
        if let problem {
            return "cannot lock run \(runID): \(problem)"
        }
        guard let holder else {
            return "run \(runID) is in use by another drbook process (it is starting up); wait for it to finish, then try again"
        }
        return "run \(runID) is in use: drbook \(holder.command) (pid \(holder.pid) on \(holder.host), user \(holder.user)) has held it since \(JournalTime.format(holder.since)). "
            + "Wait for it to finish, or stop that process (Ctrl-C in its terminal, or kill \(holder.pid) on \(holder.host)); a process that died releases the lock by itself"
    }
}

/// No locking, for tests of the engine that run one executor at a time.
public struct NoRunLock: RunLocking {
    public init() {}

    public func acquire(_ runID: RunID, directory: URL, holder: RunLockHolder) throws(RunLockError) -> any RunLease {
        Lease()
    }

    private struct Lease: RunLease {
        func release() {}
    }
}
