import DRBookKube
import FlyingFox
import FlyingSocks
import Foundation

/// A watch response body: one JSON event per line, streamed as it happens (FlyingFox
/// sends a body of unknown length with chunked transfer encoding). The stream ends after
/// the watch's timeout or when the store ends its watches; when the client goes away,
/// FlyingFox drops the iterator and the watch is released with it.
struct WatchBody: AsyncBufferedSequence {
    typealias Element = UInt8

    private let lines: AsyncStream<Data>
    private let pump: PumpHandle

    init(events: AsyncStream<WatchEvent>, timeout: Duration) {
        let (lines, continuation) = AsyncStream<Data>.makeStream()
        let pumpTask = Task {
            for await event in events {
                guard var line = try? event.wireValue.data() else { continue }
                line.append(0x0A)
                continuation.yield(line)
            }
            continuation.finish()
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            continuation.finish()
            pumpTask.cancel()
        }
        self.lines = lines
        self.pump = PumpHandle(tasks: [pumpTask, timer])
    }

    /// A body holding a single ERROR event (a watch from an expired resourceVersion).
    init(error: APIError) {
        let (lines, continuation) = AsyncStream<Data>.makeStream()
        var line = (try? WatchEvent(type: .error, resource: GroupResource(group: "", resource: ""), object: error.status).wireValue.data()) ?? Data()
        line.append(0x0A)
        continuation.yield(line)
        continuation.finish()
        self.lines = lines
        self.pump = PumpHandle(tasks: [])
    }

    func makeAsyncIterator() -> Iterator { Iterator(base: lines.makeAsyncIterator(), pump: pump) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var base: AsyncStream<Data>.Iterator
        let pump: PumpHandle
        var pending: [UInt8] = []

        mutating func next() async -> UInt8? {
            if pending.isEmpty {
                guard let line = await base.next() else { return nil }
                pending = Array(line)
            }
            return pending.isEmpty ? nil : pending.removeFirst()
        }

        mutating func nextBuffer(suggested count: Int) async -> [UInt8]? {
            if pending.isEmpty {
                guard let line = await base.next() else { return nil }
                pending = Array(line)
            }
            let taken = Array(pending.prefix(Swift.max(1, count)))
            pending.removeFirst(taken.count)
            return taken
        }
    }

    /// Cancels the pump and the timer when the last copy of the body goes away, which
    /// releases the store's watch.
    final class PumpHandle: Sendable {
        let tasks: [Task<Void, Never>]
        init(tasks: [Task<Void, Never>]) { self.tasks = tasks }
        deinit { for task in tasks { task.cancel() } }
    }
}
