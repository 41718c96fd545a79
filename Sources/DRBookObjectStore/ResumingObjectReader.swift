import DRBookHTTP
import Foundation

/// An object read from start to end, chunk by chunk, that survives a dropped connection:
/// when the body fails with a transient error, the rest is asked for again from where it
/// stopped (`Range: bytes=N-`), pinned to the first answer's ETag (`If-Match`) so bytes of
/// a changed object are never spliced onto the old ones. A backup tarball of gigabytes
/// must not be judged broken because one connection was reset.
///
/// Blocking: `nextChunkBlocking` runs on a thread that may block (libarchive's reader).
public final class ResumingObjectReader: @unchecked Sendable {
    public let key: String
    private let client: S3Client
    private let maxResumes: Int
    private let lock = NSLock()
    private var body: HTTPBody
    private var eTag: String?
    private var offset: Int64 = 0
    private var cancelled = false
    /// Times the transfer was resumed after a broken connection.
    public private(set) var resumes = 0

    /// Opens the object (the first request is made here, so a missing object fails at once).
    public init(client: S3Client, key: String, maxResumes: Int = 5) async throws {
        self.client = client
        self.key = key
        self.maxResumes = maxResumes
        let response = try await client.streamResponse(key, from: 0, ifMatch: nil)
        body = response.body
        eTag = response.headers["ETag"]
    }

    /// The next bytes of the object, or nil at its end.
    public func nextChunkBlocking() throws -> Data? {
        while true {
            let current = lock.withLock { body }
            do {
                let chunk = try current.nextChunkBlocking()
                if let chunk { lock.withLock { offset += Int64(chunk.count) } }
                return chunk
            } catch let error as HTTPError where error.isTransient {
                try resume(after: error)
            }
        }
    }

    public func cancel() {
        let current = lock.withLock {
            cancelled = true
            return body
        }
        current.cancel()
    }

    private func resume(after error: HTTPError) throws {
        let (attempt, from, isCancelled) = lock.withLock { () -> (Int, Int64, Bool) in
            resumes += 1
            return (resumes, offset, cancelled)
        }
        guard !isCancelled, attempt <= maxResumes else { throw error }
        let delay = RetryPolicy.standard.backoff(afterAttempt: attempt).components
        Thread.sleep(forTimeInterval: Double(delay.seconds) + Double(delay.attoseconds) / 1e18)
        let client = client, key = key, eTag = eTag
        let reopened = try Self.blocking { try await client.streamResponse(key, from: from, ifMatch: eTag) }
        // Without a 206 the server ignored the range and would repeat the object from its start.
        guard reopened.status == 206 || from == 0 else {
            reopened.body.cancel()
            throw error
        }
        // A cancel that came while reopening must not be undone by the new body.
        let stillWanted = lock.withLock { () -> Bool in
            guard !cancelled else { return false }
            body = reopened.body
            return true
        }
        if !stillWanted {
            reopened.body.cancel()
            throw error
        }
    }

    /// Waits on this (non-cooperative) thread for async work.
    private static func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let outcome = OutcomeBox<T>()
        Task {
            do { outcome.set(.success(try await work())) } catch { outcome.set(.failure(error)) }
            semaphore.signal()
        }
        semaphore.wait()
        return try outcome.get()
    }
}

private final class OutcomeBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, Error>?
    func set(_ value: Result<T, Error>) { lock.withLock { result = value } }
    func get() throws -> T { try lock.withLock { result! }.get() }
}
