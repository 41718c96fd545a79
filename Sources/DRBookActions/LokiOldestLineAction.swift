import DRBookAlerting
import DRBookKube
import DRBookRunbook
import Foundation

/// `loki.oldestLine`: a restored Loki answers for a line older than a given time.
struct LokiOldestLineAction: Action {
    static let descriptor = ActionDescriptor(
        name: "loki.oldestLine",
        summary: "Prove a restored Loki has its logs back: it answers a query for a line older than a given time.",
        inputs: [
            InputSpec("selector", .string, required: true, description: "The LogQL stream selector, e.g. {namespace=\"monitoring\"}."),
            InputSpec("before", .time, required: true, description: "A line older than this must be there, e.g. the backup's completion minus a margin."),
            InputSpec("lookback", .duration, description: "How far before 'before' to look (Loki refuses ranges over its max_query_length, 721h by default). Default: 720h."),
            InputSpec("url", .string, description: "Loki's base URL (a port-forward, an ingress). Default: through the Kubernetes API server's service proxy."),
            InputSpec("namespace", .string, description: "The namespace of Loki's Service. Default: the platform profile's namespaces.observability."),
            InputSpec("service", .string, description: "Loki's Service as name or name:port, reached through the service proxy."),
            InputSpec("tenant", .string, description: "The X-Scope-OrgID of a multi-tenant Loki."),
        ],
        outputs: [
            OutputSpec("oldestLine", .time, description: "The time of the oldest line found."),
            OutputSpec("stream", .map, description: "That line's stream labels."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Asks `GET /loki/api/v1/query_range` with `direction=forward` and `limit=1` for the \
            oldest line of `selector` between `before` minus `lookback` and `before`, by URL or \
            through the service proxy. It passes when Loki answers with such a line and logs its \
            time and stream labels (never the line: logs may hold anything), and fails when \
            none is there — the chunks or index did not come back with the volume — or when Loki \
            refuses the query, quoting Loki's message. Read-only.
            """)

    let environment: ActionEnvironment

    static let defaultLookback = Duration.seconds(720 * 3600)

    func endpoint(_ inputs: ActionInputs) throws(ActionError) -> APIEndpoint {
        if let text = inputs.string("url") {
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
                throw ActionError("input 'url' is not an http(s) URL", fix: "write it as http://HOST:PORT")
            }
            return .url(url)
        }
        guard let serviceText = inputs.string("service") else {
            throw ActionError("no Loki to ask: neither url nor service is given", fix: "give url, or service (name or name:port) and namespace")
        }
        let namespace: String
        if let given = inputs.string("namespace") { namespace = given } else { namespace = try environment.platformProfile().namespaces.observability }
        let service = AlertPathInputs.serviceName(serviceText)
        return .service(try environment.kube.kubeClient(), KubeServiceReference(namespace: namespace, name: service.name, port: service.port))
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let selector = try inputs.requiredString("selector")
        guard let before = inputs.time("before") else { throw ActionError("input 'before' is required", fix: "give the time a line must be older than") }
        let lookback = inputs.duration("lookback", default: Self.defaultLookback).seconds
        let endpoint = try endpoint(inputs)
        let start = before.addingTimeInterval(-lookback)
        let lines: [LokiLine]
        do {
            lines = try await LokiClient(endpoint: endpoint, tenant: inputs.string("tenant"), http: environment.http)
                .oldestLines(selector, start: start, end: before)
        } catch {
            throw ActionError.alerting(error)
        }
        let subject = "Loki (\(endpoint))"
        let span = "between \(KubeJSON.formatTime(start)) and \(KubeJSON.formatTime(before))"
        guard let oldest = lines.first else {
            throw ActionError("has no line of \(selector) \(span): its logs did not come back", subject: subject,
                              fix: "check velero.restoreProof for Loki's claim and that Loki runs on the restored claim; check the selector with logcli or Grafana's Explore")
        }
        let labels = oldest.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ")
        context.log("oldest line of \(selector) \(span) at \(KubeJSON.formatTime(oldest.time)) in stream {\(labels)}")
        return ["oldestLine": .time(oldest.time), "stream": .map(oldest.labels.mapValues { .string($0) })]
    }
}
