import DRBookHTTP
import DRBookKube
import Foundation

/// Alertmanager's API v2 and its metrics, reached by URL or through the service proxy.
public struct AlertmanagerClient: Sendable {
    let transport: APITransport

    public init(endpoint: APIEndpoint, http: HTTPClient = .shared, timeouts: HTTPTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(30))) {
        transport = APITransport(system: "Alertmanager", endpoint: endpoint, http: http, timeouts: timeouts)
    }

    public var endpoint: APIEndpoint { transport.endpoint }

    public func status() async throws -> AlertmanagerStatus {
        try await transport.get(AlertmanagerStatus.self, "api/v2/status")
    }

    /// Every receiver of the loaded configuration, routed or not.
    public func receivers() async throws -> [AlertmanagerReceiver] {
        try await transport.get([AlertmanagerReceiver].self, "api/v2/receivers")
    }

    /// Alerts Alertmanager holds now; resolved ones are never returned.
    public func alerts(_ query: AlertmanagerAlertQuery = AlertmanagerAlertQuery()) async throws -> [AlertmanagerAlert] {
        try await transport.get([AlertmanagerAlert].self, "api/v2/alerts", query: query.parameters)
    }

    public func silences(matching matchers: [AlertmanagerMatcher] = []) async throws -> [AlertmanagerSilence] {
        try await transport.get([AlertmanagerSilence].self, "api/v2/silences", query: matchers.map { ("filter", $0.filterText) })
    }

    /// Creates a silence and returns its id. Not retried once it may have reached the
    /// server: a second POST would create a second silence.
    public func createSilence(_ silence: AlertmanagerSilenceRequest) async throws -> String {
        struct Created: Decodable { var silenceID: String }
        let body = try KubeJSON.encoder().encode(silence)
        let response = try await transport.send(.post, "api/v2/silences", json: body)
        try transport.expectSuccess(response, .post, "api/v2/silences")
        return try transport.decode(Created.self, response.body, .post, "api/v2/silences").silenceID
    }

    /// Expires a silence (it stays listed as `expired`).
    public func expireSilence(id: String) async throws {
        let path = "api/v2/silence/\(HTTPQuery.encode(id))"
        let response = try await transport.send(.delete, path)
        try transport.expectSuccess(response, .delete, path)
    }

    /// `/metrics` parsed: notification counters, config hash and reload state.
    public func metrics() async throws -> MetricsSnapshot {
        let response = try await transport.send(.get, "metrics")
        try transport.expectSuccess(response, .get, "metrics")
        do {
            return try MetricsSnapshot(parsing: response.bodyText)
        } catch let error as MetricsTextError {
            throw AlertingAPIError(system: transport.system, request: transport.describe(.get, "metrics"), status: nil,
                                   message: error.description, fix: "check that \(endpoint) is Alertmanager's web port")
        }
    }

    /// `/-/ready`: 200 once the configuration is loaded.
    public func isReady() async -> Bool {
        (try? await transport.send(.get, "-/ready").isSuccess) ?? false
    }
}

/// Alertmanager's notification counters for one integration (and receiver, where the
/// server labels them: 0.27+ with `receiver-name-in-metrics`).
public struct NotificationCounters: Sendable, Equatable {
    public var attempted: Double
    public var failed: Double
    /// `reason` → failed count (0.26+).
    public var failedByReason: [String: Double]
    /// False on servers whose metrics carry no `receiver_name`: the counters then cover
    /// every receiver of the integration.
    public var perReceiver: Bool

    public init(attempted: Double, failed: Double, failedByReason: [String: Double], perReceiver: Bool) {
        self.attempted = attempted
        self.failed = failed
        self.failedByReason = failedByReason
        self.perReceiver = perReceiver
    }
}

extension MetricsSnapshot {
    /// `alertmanager_notifications_total` / `_failed_total` for `integration`
    /// (`webhook`, `slack`), narrowed to `receiver` when the server labels receivers.
    public func notifications(integration: String, receiver: String? = nil) -> NotificationCounters {
        let attempted = samples(named: "alertmanager_notifications_total").filter { $0.labels["integration"] == integration }
        let perReceiver = receiver != nil && attempted.contains { $0.labels["receiver_name"] != nil }
        func keep(_ sample: MetricSample) -> Bool {
            sample.labels["integration"] == integration && (!perReceiver || sample.labels["receiver_name"] == receiver)
        }
        var byReason: [String: Double] = [:]
        let failed = samples(named: "alertmanager_notifications_failed_total").filter(keep)
        for sample in failed { byReason[sample.labels["reason"] ?? "unknown", default: 0] += sample.value }
        return NotificationCounters(attempted: attempted.filter(keep).reduce(0) { $0 + $1.value },
                                    failed: failed.reduce(0) { $0 + $1.value }, failedByReason: byReason, perReceiver: perReceiver)
    }

    /// `alertmanager_config_hash`: see `AlertmanagerConfigHash`.
    public var alertmanagerConfigHash: Double? { value(of: "alertmanager_config_hash") }
    public var alertmanagerLastReloadSuccessful: Bool? { value(of: "alertmanager_config_last_reload_successful").map { $0 == 1 } }
}
