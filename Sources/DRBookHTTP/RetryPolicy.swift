import Foundation

/// When and how often a request is tried again after a transient failure:
/// a connection error, a timeout, 429 or a 5xx answer.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included; 1 disables retrying.
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    /// A `Retry-After` longer than this is not waited for: the error is returned instead.
    public var maxRetryAfter: Duration
    /// Retry a POST or PATCH even after it may have reached the server. Requests that
    /// never left (resolve and connect failures) are always safe to retry.
    public var retryNonIdempotent: Bool
    public var retryableStatuses: Set<Int>

    public init(maxAttempts: Int = 4, initialDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(8),
                maxRetryAfter: Duration = .seconds(60), retryNonIdempotent: Bool = false,
                retryableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.retryNonIdempotent = retryNonIdempotent
        self.retryableStatuses = retryableStatuses
    }

    public static let standard = RetryPolicy()
    public static let never = RetryPolicy(maxAttempts: 1)

    /// Exponential backoff with jitter: a random delay in [d/2, d] where d doubles each
    /// attempt up to `maxDelay`, so clients that failed together do not retry together.
    public func backoff(afterAttempt attempt: Int, random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Duration {
        let base = initialDelay.seconds * pow(2, Double(max(0, attempt - 1)))
        let capped = min(base, maxDelay.seconds)
        return .milliseconds(Int64(random((capped / 2)...capped) * 1000))
    }

    /// The delay a server asked for in `Retry-After` (seconds or an HTTP date).
    public static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
