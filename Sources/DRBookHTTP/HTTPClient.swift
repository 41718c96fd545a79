import Foundation

/// The one HTTP client of drbook, on libcurl. Requests run on a dedicated thread
/// driving a libcurl multi handle, so connections are pooled and reused; callers use
/// async/await. Transient failures (connection errors, timeouts, 408/429/5xx) are
/// retried with exponential backoff and jitter per the request's `RetryPolicy`,
/// honouring `Retry-After`. Every failure is an `HTTPError` naming the redacted URL.
public final class HTTPClient: Sendable {
    public static let shared = HTTPClient()
    public static let userAgent = "drbook/\(DRBookVersion.current)"

    private let loop: CurlLoop

    public init(maxConnections: Int = 32) {
        loop = CurlLoop(maxConnections: maxConnections)
    }

    deinit { loop.shutdown() }

    /// Sends a request and holds the whole body in memory (up to the request's limit).
    /// A non-2xx status is not an error here; `HTTPResponse.isSuccess` tells.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await withRetries(request, status: { ($0.status, $0.headers) }, discard: { _ in }) { attempt in
            let outcome = try await self.performBuffered(request)
            return HTTPResponse(status: outcome.status, headers: outcome.headers, body: outcome.body,
                                attempts: attempt, newConnections: outcome.newConnections)
        }
    }

    /// Sends a request and returns once the response head is known; the body then
    /// arrives through `HTTPStreamingResponse.body` without ever being held whole.
    /// Retries happen only before the body is handed over. A stream has no total time
    /// limit (a slow reader pauses it); the connect and stall timeouts bound it.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        var request = request
        request.timeouts.total = nil
        return try await withRetries(request, status: { ($0.status, $0.headers) }, discard: { $0.body.cancel() }) { attempt in
            var response = try await self.performStreaming(request)
            response.attempts = attempt
            return response
        }
    }

    // MARK: retries

    private func withRetries<Result>(
        _ request: HTTPRequest,
        status: (Result) -> (Int, HTTPHeaders),
        discard: (Result) -> Void,
        attempt body: (Int) async throws -> Result
    ) async throws -> Result {
        let policy = request.retry
        let mayRepeat = request.method.isIdempotent || policy.retryNonIdempotent
        var attempt = 1
        while true {
            let result: Result
            do {
                result = try await body(attempt)
            } catch var error as HTTPError {
                error.attempts = attempt
                let safe = !error.mayHaveBeenSent || mayRepeat
                guard error.isTransient, safe, attempt < policy.maxAttempts else { throw error }
                try await Task.sleep(for: policy.backoff(afterAttempt: attempt))
                attempt += 1
                continue
            }
            let (code, headers) = status(result)
            guard policy.retryableStatuses.contains(code), mayRepeat, attempt < policy.maxAttempts else { return result }
            var delay = policy.backoff(afterAttempt: attempt)
            if let asked = RetryPolicy.retryAfter(headers["Retry-After"]) {
                guard asked <= policy.maxRetryAfter else { return result }
                delay = asked
            }
            discard(result)
            try await Task.sleep(for: delay)
            attempt += 1
        }
    }

    // MARK: one attempt

    private func performBuffered(_ request: HTTPRequest) async throws -> TransferOutcome {
        let transfer = try CurlTransfer(request: request, sink: .buffer(limit: request.maximumBufferedBodyBytes))
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TransferOutcome, Error>) in
                transfer.completion = { continuation.resume(with: $0.mapError { $0 as Error }) }
                loop.add(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    private func performStreaming(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let channel = BodyChannel()
        let transfer = try CurlTransfer(request: request, sink: .channel(channel))
        let loop = self.loop
        channel.resumeProducer = { [weak transfer] in
            if let transfer { loop.unpause(transfer) }
        }
        let (status, headers) = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Int, HTTPHeaders), Error>) in
                let once = ResumeOnce(continuation)
                transfer.onHead = { status, headers in once.resume(with: .success((status, headers))) }
                transfer.completion = { result in
                    if case .failure(let error) = result { once.resume(with: .failure(error)) }
                }
                loop.add(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        let body = HTTPBody(channel: channel) { loop.cancel(transfer) }
        return HTTPStreamingResponse(status: status, headers: headers, attempts: 1, body: body)
    }
}

/// Resumes a continuation at most once; both callers run on the loop's thread.
private final class ResumeOnce<Value: Sendable>: @unchecked Sendable {
    private var continuation: CheckedContinuation<Value, Error>?
    init(_ continuation: CheckedContinuation<Value, Error>) { self.continuation = continuation }
    func resume(with result: Result<Value, Error>) {
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(with: result)
    }
}

extension HTTPError {
    /// The error for a response whose status the caller did not expect. The body is
    /// quoted only as far as `bodyExcerpt` allows; callers pass 0 where it may echo secrets.
    public static func unexpectedStatus(_ response: HTTPResponse, for request: HTTPRequest, bodyExcerpt: Int = 300) -> HTTPError {
        let excerpt = String(response.bodyText.prefix(bodyExcerpt)).trimmingCharacters(in: .whitespacesAndNewlines)
        return HTTPError(phase: .status, method: request.method, url: request.redactedURL, curlCode: nil,
                         detail: excerpt, status: response.status, attempts: response.attempts, mayHaveBeenSent: true)
    }
}
