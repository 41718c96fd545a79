import Foundation

/// Carries body chunks from libcurl's thread to one reader, with back-pressure: past
/// `highWater` buffered bytes the producer is told to pause (libcurl's transfer is
/// paused and keeps the data), and once the reader has drained below `lowWater` the
/// `resumeProducer` hook asks libcurl to continue. Memory stays bounded however large
/// the body and however slow the reader.
final class BodyChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [Data] = []
    private var head = 0
    private var buffered = 0
    private var end: Result<Void, Error>?
    private var waiter: CheckedContinuation<Data?, Error>?
    private var producerPaused = false
    private let highWater: Int
    private let lowWater: Int
    /// Set once before the transfer starts; called without the lock held.
    var resumeProducer: (@Sendable () -> Void)?

    init(highWater: Int = 1 << 20, lowWater: Int = 256 << 10) {
        self.highWater = highWater
        self.lowWater = lowWater
    }

    // MARK: producer (libcurl's thread)

    /// Takes the chunk, or refuses it (returns false) when the reader is behind; the
    /// producer must then pause and offer the same bytes again after `resumeProducer`.
    func offer(_ data: Data) -> Bool {
        condition.lock()
        if end != nil {
            condition.unlock()
            return true
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: data)
            return true
        }
        if buffered >= highWater {
            producerPaused = true
            condition.unlock()
            return false
        }
        chunks.append(data)
        buffered += data.count
        condition.signal()
        condition.unlock()
        return true
    }

    /// Ends the body: `nil` for a clean end, else the error later reads throw once
    /// the buffered chunks are consumed.
    func finish(_ error: Error?) {
        condition.lock()
        guard end == nil else {
            condition.unlock()
            return
        }
        end = error.map { .failure($0) } ?? .success(())
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// Chunks the channel still references, taken or not (for tests of its memory bound).
    var storedChunkCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return chunks.count
    }

    // MARK: reader

    func nextBlocking() throws -> Data? {
        condition.lock()
        while head == chunks.count && end == nil { condition.wait() }
        return try takeLocked()
    }

    func next() async throws -> Data? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data?, Error>) in
            condition.lock()
            if head == chunks.count && end == nil {
                waiter = continuation
                condition.unlock()
                return
            }
            do { continuation.resume(returning: try takeLocked()) } catch { continuation.resume(throwing: error) }
        }
    }

    /// Called with the lock held; releases it.
    private func takeLocked() throws -> Data? {
        guard head < chunks.count else {
            let end = self.end
            condition.unlock()
            if case .failure(let error) = end { throw error }
            return nil
        }
        let chunk = chunks[head]
        // Release the taken chunk now: a reader that never fully catches up would
        // otherwise keep every chunk of the body alive in the array.
        chunks[head] = Data()
        head += 1
        buffered -= chunk.count
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
        let resume = producerPaused && buffered <= lowWater
        if resume { producerPaused = false }
        let hook = resumeProducer
        condition.unlock()
        if resume { hook?() }
        return chunk
    }
}
