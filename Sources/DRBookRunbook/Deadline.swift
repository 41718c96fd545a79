import Foundation

/// Runs an action's work with an optional time limit, in a way a misbehaving action cannot defeat.
///
/// A task group would wait for a child that ignores cancellation, hanging the
/// run. Here the work runs in its own task; the caller gets whichever comes
/// first — its result, the deadline, or cancellation of the caller — and then,
/// if the work is still running, cancels it and waits at most `grace` for it
/// to stop, so a mutating action is not left running unnoticed for long.
enum Deadline {
    enum Outcome<T: Sendable>: Sendable {
        case finished(Result<T, any Error>)
        case timedOut
        case cancelled
        /// Timed out or cancelled, and the work did not stop within the grace period.
        case abandoned(timedOut: Bool)
    }

    static func run<T: Sendable>(
        timeout: Duration?,
        grace: Duration,
        clock: RunClock,
        _ work: @escaping @Sendable () async throws -> T
    ) async -> Outcome<T> {
        let first = OneShot<Outcome<T>>()
        let finished = OneShot<Void>()
        let worker = Task {
            let result: Result<T, any Error>
            do {
                result = .success(try await work())
            } catch {
                result = .failure(error)
            }
            first.fulfill(.finished(result))
            finished.fulfill(())
        }
        let timer = timeout.map { limit in
            Task {
                try await clock.sleep(limit)
                first.fulfill(.timedOut)
            }
        }
        let outcome = await withTaskCancellationHandler {
            await first.value
        } onCancel: {
            first.fulfill(.cancelled)
        }
        timer?.cancel()
        switch outcome {
        case .finished, .abandoned:
            return outcome
        case .timedOut, .cancelled:
            worker.cancel()
            let stopped = OneShot<Bool>()
            Task {
                await finished.value
                stopped.fulfill(true)
            }
            let graceTimer = Task {
                try await Task.sleep(for: grace)
                stopped.fulfill(false)
            }
            let didStop = await stopped.value
            graceTimer.cancel()
            if didStop { return outcome }
            if case .timedOut = outcome { return .abandoned(timedOut: true) }
            return .abandoned(timedOut: false)
        }
    }
}

/// A value set once and awaited by one or more tasks; later sets are ignored.
final class OneShot<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value_: T?
    private var waiters: [CheckedContinuation<T, Never>] = []

    func fulfill(_ value: T) {
        lock.lock()
        guard value_ == nil else {
            lock.unlock()
            return
        }
        value_ = value
        let waiting = waiters
        waiters = []
        lock.unlock()
        for waiter in waiting { waiter.resume(returning: value) }
    }

    var value: T {
        get async {
            await withCheckedContinuation { continuation in
                lock.lock()
                if let value = value_ {
                    lock.unlock()
                    continuation.resume(returning: value)
                } else {
                    waiters.append(continuation)
                    lock.unlock()
                }
            }
        }
    }
}
