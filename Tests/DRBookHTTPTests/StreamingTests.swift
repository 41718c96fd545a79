import DRBookHTTP
import DRBookTestSupport
import Foundation
import Testing

@Suite("Streaming response bodies")
struct StreamingTests {
    /// Checks the fixture's pattern (byte i = i % 251) across chunk boundaries.
    final class PatternCheck {
        var offset = 0
        var mismatches = 0
        func consume(_ chunk: Data) {
            for byte in chunk {
                if byte != UInt8(offset % 251) { mismatches += 1 }
                offset += 1
            }
        }
    }

    @Test("a large body arrives complete and in order, chunk by chunk", arguments: [false, true])
    func largeBody(chunked: Bool) async throws {
        let size = 24 << 20
        let url = try await fixtureURL("/bytes?n=\(size)&chunked=\(chunked ? 1 : 0)")
        let response = try await HTTPClient.shared.stream(HTTPRequest(.get, url, timeouts: .streaming))
        #expect(response.status == 200)
        let check = PatternCheck()
        var chunks = 0
        for try await chunk in response.body {
            check.consume(chunk)
            chunks += 1
        }
        #expect(check.offset == size)
        #expect(check.mismatches == 0)
        #expect(chunks > 1)
    }

    @Test("a slow reader pauses the transfer instead of buffering it, and loses nothing")
    func slowReaderBackPressure() async throws {
        let size = 8 << 20
        let url = try await fixtureURL("/bytes?n=\(size)")
        let response = try await HTTPClient.shared.stream(HTTPRequest(.get, url, timeouts: .streaming))
        let check = PatternCheck()
        var sleptOnce = false
        while let chunk = try await response.body.next() {
            if !sleptOnce {
                // Long enough for loopback to fill far more than the channel's high-water mark.
                try await Task.sleep(for: .milliseconds(300))
                sleptOnce = true
            }
            check.consume(chunk)
        }
        #expect(check.offset == size)
        #expect(check.mismatches == 0)
    }

    @Test("a body can be read from a blocking thread, as libarchive does")
    func blockingReader() async throws {
        let size = 3 << 20
        let response = try await HTTPClient.shared.stream(HTTPRequest(.get, try await fixtureURL("/bytes?n=\(size)"), timeouts: .streaming))
        let body = response.body
        let total = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, Error>) in
            Thread {
                continuation.resume(with: Result {
                    var total = 0
                    while let chunk = try body.nextChunkBlocking() { total += chunk.count }
                    return total
                })
            }.start()
        }
        #expect(total == size)
    }

    @Test("stopping early cancels the transfer and later reads fail as cancelled")
    func stopEarly() async throws {
        let response = try await HTTPClient.shared.stream(HTTPRequest(.get, try await fixtureURL("/bytes?n=\(64 << 20)"), timeouts: .streaming))
        let first = try await response.body.next()
        #expect(first?.isEmpty == false)
        response.body.cancel()
        let error = await #expect(throws: HTTPError.self) {
            while try await response.body.next() != nil {}
        }
        #expect(error?.phase == .cancelled)
    }

    @Test("a stream whose status is retryable is retried before its body is handed over")
    func streamRetry() async throws {
        let key = "stream-\(UUID().uuidString)"
        let response = try await HTTPClient.shared.stream(HTTPRequest(.get, try await fixtureURL("/flaky/\(key)?fail=2"),
                                                                      retry: RetryPolicy(initialDelay: .milliseconds(10))))
        #expect(response.status == 200)
        #expect(response.attempts == 3)
        #expect(String(decoding: try await response.body.collect(upTo: 1000), as: UTF8.self) == "ok after 2")
    }
}
