import DRBookAlerting
import DRBookRunbook
import Foundation

/// `alertmanager.alertActive`: the heartbeat alert is live in Alertmanager and goes to the heartbeat receiver.
struct AlertmanagerAlertActiveAction: Action {
    static let descriptor = ActionDescriptor(
        name: "alertmanager.alertActive",
        summary: "Check that the always-firing heartbeat alert is active in Alertmanager — not silenced, inhibited or muted — and routed to the heartbeat receiver.",
        inputs: AlertPathInputs.alertmanagerEndpoint + [
            InputSpec("alertname", .string, description: "The always-firing alert. Default: the platform profile's heartbeat alertname."),
            InputSpec("receiver", .string, description: "The receiver that pings the monitor. Default: the platform profile's heartbeat receiver."),
        ],
        outputs: [
            OutputSpec("fingerprint", .string, description: "The alert's fingerprint."),
            OutputSpec("startsAt", .time, description: "When Alertmanager first received it."),
            OutputSpec("receivers", .list, description: "The receivers the current routing tree sends it to."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Asks Alertmanager's API v2 (`GET /api/v2/alerts?filter=alertname="…"`, silenced and \
            inhibited alerts included) for the alert, by URL or — by default — through the \
            Kubernetes API server's service proxy to the Service the platform profile names \
            (which needs only `get` on `services/proxy`). It passes when the alert is there, \
            `active`, has no `silencedBy`, `inhibitedBy` or `mutedBy`, and the receivers computed \
            from the *current* routing tree include the heartbeat receiver. Each failure says \
            which: missing (Prometheus does not fire or send it), silenced (with the silence ids \
            to expire), inhibited, muted, or routed elsewhere (a route that matches first). \
            Nothing is sent to any receiver.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let route = AlertPathInputs.route(environment)
        guard let alertname = inputs.string("alertname") ?? route?.alertname, let receiver = inputs.string("receiver") ?? route?.receiver else {
            throw ActionError("the alert and receiver are unknown: the platform's heartbeat is not an Alertmanager route", fix: "give alertname and receiver")
        }
        let endpoint = try AlertPathInputs.endpoint(inputs, environment, system: "Alertmanager") { $0.alertmanagerService }
        let client = AlertmanagerClient(endpoint: endpoint, http: environment.http)
        let alerts: [AlertmanagerAlert]
        do {
            alerts = try await client.alerts(.alertname(alertname))
        } catch {
            throw ActionError.alerting(error)
        }
        let alert: AlertmanagerAlert
        do {
            alert = try HeartbeatJudgement.alertActive(alerts, alertname: alertname, receiver: receiver, at: endpoint.description)
        } catch {
            throw ActionError(error)
        }
        context.log("\(alertname) is active in Alertmanager since \(alert.startsAt), routed to \(alert.receivers.map(\.name).joined(separator: ", "))")
        return ["fingerprint": .string(alert.fingerprint), "startsAt": .time(alert.startsAt),
                "receivers": .list(alert.receivers.map { .string($0.name) })]
    }
}
