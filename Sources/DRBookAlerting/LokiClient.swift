import DRBookHTTP
import DRBookKube
import Foundation

/// Loki's query API (`/loki/api/v1/`), reached by URL or through the service proxy.
public struct LokiClient: Sendable {
    let transport: APITransport

    /// - Parameter tenant: the `X-Scope-OrgID` of a multi-tenant Loki; nil for a single-tenant one.
    public init(endpoint: APIEndpoint, tenant: String? = nil, http: HTTPClient = .shared,
                timeouts: HTTPTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(60))) {
        var headers: HTTPHeaders = [:]
        if let tenant { headers.set("X-Scope-OrgID", tenant) }
        transport = APITransport(system: "Loki", endpoint: endpoint, http: http, headers: headers, timeouts: timeouts)
    }

    public var endpoint: APIEndpoint { transport.endpoint }

    /// The first lines of `selector` between `start` and `end`, oldest first (`direction=forward`).
    public func oldestLines(_ selector: String, start: Date, end: Date, limit: Int = 1) async throws -> [LokiLine] {
        let path = "loki/api/v1/query_range"
        let query = [("query", selector), ("start", Self.nanoseconds(start)), ("end", Self.nanoseconds(end)),
                     ("limit", String(limit)), ("direction", "forward")]
        let response = try await transport.send(.get, path, query: query)
        // Loki answers a bad query with 400 and its parser's message as plain text.
        try transport.expectSuccess(response, .get, path, fix: response.status == 400 ? "correct the LogQL selector or the time range named in the message" : nil)
        let envelope = try transport.decode(PrometheusEnvelope<LokiStreams>.self, response.body, .get, path)
        guard envelope.status == "success", let data = envelope.data else {
            throw AlertingAPIError(system: transport.system, request: transport.describe(.get, path), status: response.status,
                                   message: "\(envelope.errorType ?? "error"): \(envelope.error ?? "the answer has no data")",
                                   fix: "check that \(endpoint) is Loki")
        }
        guard data.resultType == "streams" else {
            throw AlertingAPIError(system: transport.system, request: transport.describe(.get, path), status: response.status,
                                   message: "the query returned a \(data.resultType), not log streams",
                                   fix: "give a log selector such as {namespace=\"monitoring\"}, not a metric query")
        }
        let lines = data.result.flatMap { stream in stream.values.map { LokiLine(time: $0.time, labels: stream.stream, line: $0.line) } }
        return Array(lines.sorted { $0.time < $1.time }.prefix(limit))
    }

    static func nanoseconds(_ date: Date) -> String {
        String(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) * 1000)
    }
}

/// One log line: its time, its stream's labels and its text.
public struct LokiLine: Sendable, Equatable {
    public var time: Date
    public var labels: [String: String]
    public var line: String
}

/// `data` of a log query: `{resultType: "streams", result: [{stream: {labels}, values: [["<ns>", "<line>"]]}]}`.
struct LokiStreams: Decodable {
    struct Stream: Decodable {
        var stream: [String: String]
        var values: [Entry]
    }

    struct Entry: Decodable {
        var time: Date
        var line: String

        init(from decoder: Decoder) throws {
            var pair = try decoder.unkeyedContainer()
            let text = try pair.decode(String.self)
            guard let nanoseconds = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: pair, debugDescription: "\(text) is not a time in Unix nanoseconds")
            }
            time = Date(timeIntervalSince1970: TimeInterval(nanoseconds / 1000) / 1_000_000)
            line = try pair.decode(String.self)
        }
    }

    var resultType: String
    var result: [Stream]

    enum CodingKeys: String, CodingKey { case resultType, result }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        resultType = try container.decode(String.self, forKey: .resultType)
        // Metric queries return matrices or vectors, whose entries are not streams.
        result = resultType == "streams" ? try container.decode([Stream].self, forKey: .result) : []
    }
}
