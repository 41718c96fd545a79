import DRBookHTTP
import Foundation

/// Faults the verifying proxy injects for one key (matched on the end of `/bucket/key`,
/// so tests with their own buckets never disturb each other).
extension SignedS3 {
    /// The next `times` GETs of the key break off after `bytes` body bytes, as a reset
    /// connection would.
    public func cutDownloads(bucket: String, key: String, after bytes: Int, times: Int = 1) async throws {
        try await register("cut", ["suffix": "\(bucket)/\(key)", "after": String(bytes), "times": String(times)])
    }

    /// The next `times` requests for the key get this S3 error instead of an answer.
    public func failRequests(bucket: String, key: String, status: Int, code: String, times: Int = 1) async throws {
        try await register("fail", ["suffix": "\(bucket)/\(key)", "status": String(status), "code": code, "times": String(times)])
    }

    /// Every answer for the bucket is held back `milliseconds` (a WAN round trip); 0 ends it.
    public func delayAnswers(bucket: String, milliseconds: Int) async throws {
        try await register("delay", ["bucket": bucket, "ms": String(milliseconds)])
    }

    /// Forgets the requests recorded for the bucket, so the next timeline shows only what follows.
    public func resetTimeline(bucket: String) async throws {
        try await register("reset", ["bucket": bucket])
    }

    /// The requests the proxy has seen for the bucket since the last reset.
    public func timeline(bucket: String) async throws -> ProxyTimeline {
        let body = try await register("timeline", ["bucket": bucket], method: .get)
        return try JSONDecoder().decode(ProxyTimeline.self, from: body)
    }

    @discardableResult
    private func register(_ kind: String, _ parameters: [String: String], method: HTTPMethod = .post) async throws -> Data {
        let query = HTTPQuery.string(parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let url = URL(string: "\(proxy.baseURL.absoluteString)/__drbook/\(kind)?\(query)")!
        let response = try await HTTPClient.shared.send(HTTPRequest(method, url, retry: .never))
        guard response.isSuccess else { throw CommandFailed(command: "proxy control \(kind)", status: Int32(response.status), output: response.bodyText) }
        return response.body
    }
}

/// What the proxy recorded for one bucket. `rounds` is the critical path: the longest
/// chain of requests each of which reached the proxy after the previous one was answered,
/// so requests sent together count once and each wave that waits for an answer adds one.
/// It is a count, not a time: with a delay it does not depend on the machine's speed.
public struct ProxyTimeline: Sendable, Decodable {
    public struct Request: Sendable, Decodable {
        public var method: String
        public var path: String
        /// Seconds from the first request's arrival.
        public var start: Double
        public var end: Double
    }

    public var requests: Int
    public var rounds: Int
    public var maxInFlight: Int
    /// From the first arrival to the last answer.
    public var seconds: Double
    public var timeline: [Request]

    /// One line per request, for a failing test's message.
    public var description: String {
        timeline.map { String(format: "%7.3f-%7.3f %@ %@", $0.start, $0.end, $0.method, $0.path) }.joined(separator: "\n")
    }
}
