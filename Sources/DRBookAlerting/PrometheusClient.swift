import DRBookHTTP
import DRBookKube
import Foundation

/// Prometheus' HTTP API (`/api/v1/`), reached by URL or through the service proxy.
public struct PrometheusClient: Sendable {
    let transport: APITransport

    public init(endpoint: APIEndpoint, http: HTTPClient = .shared, timeouts: HTTPTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(30))) {
        transport = APITransport(system: "Prometheus", endpoint: endpoint, http: http, timeouts: timeouts)
    }

    public var endpoint: APIEndpoint { transport.endpoint }

    /// Pending and firing alerts (resolved ones are not listed); labels are the rule's,
    /// without external labels.
    public func alerts() async throws -> [PrometheusAlert] {
        struct Alerts: Decodable { var alerts: [PrometheusAlert] }
        return try await data(Alerts.self, "api/v1/alerts").alerts
    }

    /// Rule groups; `type` is `alert` or `record` (nil: both).
    public func ruleGroups(type: String? = nil) async throws -> [PrometheusRuleGroup] {
        struct Groups: Decodable { var groups: [PrometheusRuleGroup] }
        return try await data(Groups.self, "api/v1/rules", query: type.map { [("type", $0)] } ?? []).groups
    }

    /// An instant query whose result is a vector (e.g. `ALERTS{alertname="Watchdog"}`).
    public func query(_ expression: String, at time: Date? = nil) async throws -> [PrometheusVectorSample] {
        var query = [("query", expression)]
        if let time { query.append(("time", String(format: "%.3f", time.timeIntervalSince1970))) }
        let result = try await data(PrometheusQueryResult.self, "api/v1/query", query: query)
        guard result.resultType == "vector" else {
            throw AlertingAPIError(system: transport.system, request: transport.describe(.get, "api/v1/query"), status: nil,
                                   message: "the query returned a \(result.resultType), not a vector",
                                   fix: "write the expression so that it selects series (an instant vector)")
        }
        return result.result
    }

    /// The Alertmanagers Prometheus sends alerts to (their push URLs).
    public func alertmanagers() async throws -> PrometheusAlertmanagers {
        try await data(PrometheusAlertmanagers.self, "api/v1/alertmanagers")
    }

    /// `/-/ready`: 503 until startup completes.
    public func isReady() async -> Bool {
        (try? await transport.send(.get, "-/ready").isSuccess) ?? false
    }

    /// `/metrics` parsed (the notifier's counters among them).
    public func metrics() async throws -> MetricsSnapshot {
        let response = try await transport.send(.get, "metrics")
        try transport.expectSuccess(response, .get, "metrics")
        return try MetricsSnapshot(parsing: response.bodyText)
    }

    /// Unwraps the `{status, data, errorType, error}` envelope; an error answer keeps
    /// Prometheus' own message (a bad query says where it is bad).
    private func data<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String)] = []) async throws -> T {
        typealias Envelope = PrometheusEnvelope<T>
        let response = try await transport.send(.get, path, query: query)
        if let envelope = try? KubeJSON.decoder().decode(Envelope.self, from: response.body), envelope.status == "error" {
            throw AlertingAPIError(system: transport.system, request: transport.describe(.get, path), status: response.status,
                                   message: "\(envelope.errorType ?? "error"): \(envelope.error ?? "no message")",
                                   fix: envelope.errorType == "bad_data" ? "correct the query or parameters named in the message" : "look at Prometheus' logs, then retry")
        }
        try transport.expectSuccess(response, .get, path)
        let envelope = try transport.decode(Envelope.self, response.body, .get, path)
        guard let data = envelope.data else {
            throw AlertingAPIError(system: transport.system, request: transport.describe(.get, path), status: response.status,
                                   message: "the answer has no data", fix: "check that \(endpoint) is Prometheus")
        }
        return data
    }
}

public struct PrometheusAlert: Decodable, Sendable {
    public var labels: [String: String]
    public var annotations: [String: String]
    /// `pending` or `firing`.
    public var state: String
    public var activeAt: Date?
    /// The expression's value as text, e.g. `1e+00`.
    public var value: String
}

public struct PrometheusRuleGroup: Decodable, Sendable {
    public var name: String
    public var file: String
    public var rules: [PrometheusRule]
    /// Seconds.
    public var interval: Double
}

public struct PrometheusRule: Decodable, Sendable {
    public var name: String
    public var query: String
    /// `alerting` or `recording`.
    public var type: String
    /// Alerting rules: `inactive`, `pending` or `firing`.
    public var state: String?
    /// `ok`, `err` or `unknown`.
    public var health: String
    public var lastError: String?
    public var labels: [String: String]?
    public var alerts: [PrometheusAlert]?
    /// Seconds an alert must be pending before it fires.
    public var duration: Double?
}

public struct PrometheusVectorSample: Decodable, Sendable {
    public var metric: [String: String]
    public var timestamp: Date
    public var value: Double

    enum CodingKeys: String, CodingKey { case metric, value }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metric = try container.decode([String: String].self, forKey: .metric)
        // `[<unix seconds>, "<value>"]`
        var pair = try container.nestedUnkeyedContainer(forKey: .value)
        timestamp = Date(timeIntervalSince1970: try pair.decode(Double.self))
        let text = try pair.decode(String.self)
        switch text {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let number = Double(text) else {
                throw DecodingError.dataCorruptedError(in: pair, debugDescription: "\(text) is not a sample value")
            }
            value = number
        }
    }
}

struct PrometheusQueryResult: Decodable {
    var resultType: String
    var result: [PrometheusVectorSample]

    enum CodingKeys: String, CodingKey { case resultType, result }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        resultType = try container.decode(String.self, forKey: .resultType)
        // Scalars and strings are `[t, "v"]`, matrices carry `values`: only vectors decode.
        result = resultType == "vector" ? try container.decode([PrometheusVectorSample].self, forKey: .result) : []
    }
}

public struct PrometheusAlertmanagers: Decodable, Sendable {
    public struct Target: Decodable, Sendable { public var url: String }
    public var activeAlertmanagers: [Target]
    public var droppedAlertmanagers: [Target]
}

/// `{status: "success"|"error", data, errorType, error}`.
struct PrometheusEnvelope<T: Decodable>: Decodable {
    var status: String
    var data: T?
    var errorType: String?
    var error: String?
}
