import DRBookRunbook
import Foundation

/// A run's lock: `flock` on `<run folder>/lock`. The kernel drops an `flock` when its holder
/// dies, so a run killed with SIGKILL never leaves a stale lock behind; the file's text only
/// says who holds it, for the message a refused process prints.
struct FileRunLock: RunLocking {
    static let fileName = "lock"

    func acquire(_ runID: RunID, directory: URL, holder: RunLockHolder) throws(RunLockError) -> any RunLease {
        let path = directory.appendingPathComponent(Self.fileName).path
        // O_CLOEXEC: programs started by exec steps must not inherit the lock and keep it after drbook dies.
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw RunLockError(runID: runID, holder: nil, problem: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let current = Self.readHolder(descriptor)
            close(descriptor)
            guard failure == EWOULDBLOCK else {
                throw RunLockError(runID: runID, holder: nil, problem: "cannot lock \(path): \(String(cString: strerror(failure)))")
            }
            throw RunLockError(runID: runID, holder: current)
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        if let data = try? encoder.encode(holder) {
            _ = ftruncate(descriptor, 0)
            _ = data.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            _ = fsync(descriptor)
        }
        return Lease(descriptor: descriptor)
    }

    /// Who holds the lock of the run in `directory` right now; nil when nobody does (the run
    /// ended, or its process died). Probes with a shared lock it drops at once.
    static func currentHolder(of directory: URL) -> RunLockHolder? {
        let descriptor = open(directory.appendingPathComponent(fileName).path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) != 0 else { return nil }
        return readHolder(descriptor)
    }

    private static func readHolder(_ descriptor: Int32) -> RunLockHolder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(RunLockHolder.self, from: Data(buffer[0..<count]))
    }

    /// Closing the descriptor releases the lock; the file stays, so the next holder locks the same inode.
    private final class Lease: RunLease, @unchecked Sendable {
        private let lock = NSLock()
        private var descriptor: Int32?

        init(descriptor: Int32) { self.descriptor = descriptor }

        func release() {
            lock.lock()
            defer { lock.unlock() }
            if let descriptor { close(descriptor) }
            descriptor = nil
        }

        deinit { release() }
    }
}
