@testable import DRBookHTTP
import Foundation
import Testing

@Suite("Body channel back-pressure and memory bound")
struct BodyChannelTests {
    @Test("past the high-water mark the producer is refused, and resumed once the reader drains")
    func backPressure() throws {
        let channel = BodyChannel(highWater: 4096, lowWater: 1024)
        let resumed = Counter()
        channel.resumeProducer = { resumed.increment() }
        var accepted = 0
        while channel.offer(Data(count: 1024)) { accepted += 1 }
        #expect(accepted == 4)
        #expect(resumed.value == 0)
        for _ in 0..<2 { _ = try channel.nextBlocking() }
        #expect(resumed.value == 0)
        _ = try channel.nextBlocking()
        #expect(resumed.value == 1)
        #expect(channel.offer(Data(count: 1024)))
    }

    @Test("a reader that never fully catches up does not keep taken chunks alive")
    func takenChunksAreReleased() throws {
        let channel = BodyChannel(highWater: 64 << 10, lowWater: 16 << 10)
        var maxStored = 0
        var received = 0
        // The producer stays two chunks ahead, so the buffer never drains completely.
        _ = channel.offer(Data(count: 1024))
        _ = channel.offer(Data(count: 1024))
        for _ in 0..<20_000 {
            #expect(channel.offer(Data(count: 1024)))
            received += try channel.nextBlocking()?.count ?? 0
            maxStored = max(maxStored, channel.storedChunkCount)
        }
        #expect(received == 20_000 * 1024)
        #expect(maxStored < 200)
    }

    @Test("an error ends the body after the chunks already buffered")
    func errorAfterBufferedChunks() throws {
        let channel = BodyChannel()
        _ = channel.offer(Data("a".utf8))
        channel.finish(CancellationError())
        #expect(try channel.nextBlocking() == Data("a".utf8))
        #expect(throws: CancellationError.self) { try channel.nextBlocking() }
    }

    @Test("a waiting async reader is woken by the end of the body")
    func asyncReaderWokenByEnd() async throws {
        let channel = BodyChannel()
        async let next = channel.next()
        try await Task.sleep(for: .milliseconds(50))
        channel.finish(nil)
        #expect(try await next == nil)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
