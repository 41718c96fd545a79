import Foundation

/// Appends events to a run's `journal.jsonl`, one JSON object per line, each synced to disk
/// (`fsync`) before `append` returns, so a crash loses at most the event being written.
public final class Journal: @unchecked Sendable {
    public let url: URL
    private let lock = NSLock()
    private let handle: FileHandle
    private var synced = 0

    private init(url: URL, handle: FileHandle) {
        self.url = url
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// A new, empty journal; its folder is created. Fails if the journal exists already.
    public static func create(at url: URL) throws(JournalError) -> Journal {
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw JournalError(url: url, "cannot create the run folder: \(error.localizedDescription)")
        }
        guard !manager.fileExists(atPath: url.path) else {
            throw JournalError(url: url, "the journal exists already; a new run needs a new id")
        }
        guard manager.createFile(atPath: url.path, contents: nil), let handle = try? FileHandle(forWritingTo: url) else {
            throw JournalError(url: url, "cannot create the journal")
        }
        return Journal(url: url, handle: handle)
    }

    /// The existing journal of an earlier run, for `resume` to append to.
    ///
    /// A torn last line (the process died while writing it) is cut off first,
    /// so the next event starts on a line of its own.
    public static func openForAppending(at url: URL) throws(JournalError) -> Journal {
        let handle: FileHandle
        do {
            handle = try FileHandle(forUpdating: url)
        } catch {
            throw JournalError(url: url, "cannot open the journal: \(error.localizedDescription)")
        }
        do {
            let data = try handle.readToEnd() ?? Data()
            let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            if keep < data.count {
                try handle.truncate(atOffset: UInt64(keep))
                try handle.synchronize()
            }
            try handle.seek(toOffset: UInt64(keep))
        } catch {
            throw JournalError(url: url, "cannot prepare the journal for appending: \(error.localizedDescription)")
        }
        return Journal(url: url, handle: handle)
    }

    /// Writes one event as one line and syncs it to disk.
    public func append(_ event: JournalEvent) throws(JournalError) {
        let line: Data
        do {
            line = try event.jsonLine() + Data("\n".utf8)
        } catch {
            throw JournalError(url: url, "cannot encode a \(event.kind.type) event: \(error)")
        }
        lock.lock()
        defer { lock.unlock() }
        do {
            try handle.write(contentsOf: line)
            try handle.synchronize()
            synced += 1
        } catch {
            throw JournalError(url: url, "cannot write to the journal: \(error.localizedDescription)")
        }
    }

    /// How many events were written and synced to disk through this handle.
    public var syncedEventCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return synced
    }
}

/// A journal that cannot be written or read: which file, what went wrong, and where in it.
public struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// 1-based line, when the problem is in one line.
    public var line: Int?
    public var message: String

    public init(url: URL, line: Int? = nil, _ message: String) {
        self.path = url.path
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(path):\($0)" } ?? path
        return "\(place): \(message)"
    }
}
