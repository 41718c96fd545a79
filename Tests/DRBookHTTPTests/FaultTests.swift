import DRBookHTTP
import DRBookTestSupport
import Foundation
import Testing

struct Hits: Decodable {
    var count: Int
    var times: [Double]
}

func hits(_ key: String) async throws -> Hits {
    let response = try await HTTPClient.shared.send(HTTPRequest(.get, try await fixtureURL("/hits/\(key)")))
    return try JSONDecoder().decode(Hits.self, from: response.body)
}

/// Short delays keep the suite fast; the behaviour is the same as with the defaults.
let quickRetry = RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(20), maxDelay: .milliseconds(100))

@Suite("Transient failures: retries, backoff and timeouts", .timeLimit(.minutes(2)))
struct FaultTests {
    let client = HTTPClient.shared

    @Test("503 twice then 200: retried, succeeds on the third attempt")
    func serviceUnavailableTwice() async throws {
        let key = UUID().uuidString
        let response = try await client.send(HTTPRequest(.get, try await fixtureURL("/flaky/\(key)?fail=2&status=503"), retry: quickRetry))
        #expect(response.status == 200)
        #expect(response.bodyText == "ok after 2")
        #expect(response.attempts == 3)
        #expect(try await hits(key).count == 3)
    }

    @Test("when every attempt fails with 5xx, the last answer is returned after maxAttempts")
    func retriesExhausted() async throws {
        let key = UUID().uuidString
        let response = try await client.send(HTTPRequest(.get, try await fixtureURL("/flaky/\(key)?fail=10&status=502"), retry: quickRetry))
        #expect(response.status == 502)
        #expect(response.attempts == 4)
        #expect(try await hits(key).count == 4)
    }

    @Test("a POST is not retried after it reached the server")
    func postNotRetried() async throws {
        let key = UUID().uuidString
        let response = try await client.send(HTTPRequest(.post, try await fixtureURL("/flaky/\(key)?fail=1"), body: .bytes(Data("x".utf8)), retry: quickRetry))
        #expect(response.status == 503)
        #expect(response.attempts == 1)
        #expect(try await hits(key).count == 1)
    }

    @Test("a POST marked safe to repeat is retried")
    func postRetriedWhenSafe() async throws {
        let key = UUID().uuidString
        var policy = quickRetry
        policy.retryNonIdempotent = true
        let response = try await client.send(HTTPRequest(.post, try await fixtureURL("/flaky/\(key)?fail=1"), body: .bytes(Data("x".utf8)), retry: policy))
        #expect(response.status == 200)
        #expect(try await hits(key).count == 2)
    }

    @Test("429 with Retry-After: the retry waits at least as long as the server asked")
    func retryAfterHonoured() async throws {
        let key = UUID().uuidString
        let response = try await client.send(HTTPRequest(.get, try await fixtureURL("/ratelimit/\(key)?times=1&retry_after=2"), retry: quickRetry))
        #expect(response.status == 200)
        let seen = try await hits(key)
        #expect(seen.count == 2)
        // The policy's own backoff is at most 0.1 s: only Retry-After explains a 2 s gap.
        #expect(seen.times[1] - seen.times[0] >= 1.9)
    }

    @Test("a Retry-After longer than the policy allows is not waited for")
    func retryAfterTooLong() async throws {
        let key = UUID().uuidString
        var policy = quickRetry
        policy.maxRetryAfter = .seconds(1)
        let response = try await client.send(HTTPRequest(.get, try await fixtureURL("/ratelimit/\(key)?times=1&retry_after=600"), retry: policy))
        #expect(response.status == 429)
        #expect(try await hits(key).count == 1)
    }

    @Test("a connection reset is retried and the request then succeeds")
    func resetThenSuccess() async throws {
        let key = UUID().uuidString
        let response = try await client.send(HTTPRequest(.get, try await fixtureURL("/reset/\(key)?times=1"), retry: quickRetry))
        #expect(response.status == 200)
        #expect(try await hits(key).count == 2)
    }

    @Test("a server that always resets gives a typed error naming the phase and libcurl's message")
    func resetAlways() async throws {
        let key = UUID().uuidString
        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(.get, try await fixtureURL("/reset/\(key)"), retry: quickRetry))
        }
        #expect(error.isTransient)
        #expect(error.attempts == 4)
        #expect(error.curlCode != nil)
        #expect([.body, .send, .connect].contains(error.phase))
        #expect(error.description.contains("/reset/\(key)"))
        // libcurl itself re-sends once when a reused connection turns out dead, so the
        // server may see more requests than our attempts, never fewer.
        #expect(try await hits(key).count >= 4)
    }

    @Test("a body that stops arriving trips the stall timeout instead of hanging")
    func stallTimeout() async throws {
        let request = HTTPRequest(.get, try await fixtureURL("/stall?send=0&total=100000&hold=60"),
                                  timeouts: HTTPTimeouts(connect: .seconds(5), total: nil, stall: StallTimeout(minimumBytesPerSecond: 1, window: .seconds(2))),
                                  retry: .never)
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error.phase == .stalled)
        #expect(error.description.contains("stalled transfer"))
    }

    @Test("a stall in the middle of a streamed body ends the stream with the stall error")
    func stallMidStream() async throws {
        let request = HTTPRequest(.get, try await fixtureURL("/stall?send=5000&total=100000&hold=60"),
                                  timeouts: HTTPTimeouts(connect: .seconds(5), total: nil, stall: StallTimeout(minimumBytesPerSecond: 1000, window: .seconds(2))),
                                  retry: .never)
        let response = try await client.stream(request)
        var received = 0
        let error = await #expect(throws: HTTPError.self) {
            for try await chunk in response.body { received += chunk.count }
        }
        #expect(received == 5000)
        #expect(error?.phase == .stalled)
    }

    @Test("the total timeout bounds a server that never answers")
    func totalTimeout() async throws {
        let request = HTTPRequest(.get, try await fixtureURL("/slowheaders?delay=30"),
                                  timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(1), stall: nil), retry: .never)
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error.phase == .timeout)
    }

    @Test("a refused connection is a connect error, retried with backoff, never sent")
    func connectionRefused() async throws {
        let port = closedPort()
        let error = try await #require(throws: HTTPError.self) {
            try await client.send(HTTPRequest(.post, URL(string: "http://127.0.0.1:\(port)/x")!, body: .bytes(Data()), retry: quickRetry))
        }
        #expect(error.phase == .connect)
        #expect(!error.mayHaveBeenSent)
        // Never sent, so even a POST is retried.
        #expect(error.attempts == 4)
        #expect(error.description.contains("127.0.0.1:\(port)"))
    }

    @Test("cancelling the task stops a request that is waiting on the server")
    func cancellation() async throws {
        let url = try await fixtureURL("/slowheaders?delay=30")
        let task = Task { try await HTTPClient.shared.send(HTTPRequest(.get, url, retry: .never)) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let error = await #expect(throws: HTTPError.self) { try await task.value }
        #expect(error?.phase == .cancelled)
    }
}

