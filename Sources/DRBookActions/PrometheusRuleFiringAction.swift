import DRBookAlerting
import DRBookRunbook
import Foundation

/// `prometheus.ruleFiring`: Prometheus evaluates the rule without error and the alert fires.
struct PrometheusRuleFiringAction: Action {
    static let descriptor = ActionDescriptor(
        name: "prometheus.ruleFiring",
        summary: "Check that a Prometheus alerting rule is loaded, evaluates without error, and is firing.",
        inputs: AlertPathInputs.prometheusEndpoint + [
            InputSpec("alertname", .string, description: "The alerting rule's name. Default: the platform profile's heartbeat alertname."),
        ],
        outputs: [
            OutputSpec("group", .string, description: "The rule group that holds it."),
            OutputSpec("activeAt", .time, description: "Since when the alert is active."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads `GET /api/v1/rules?type=alert` by URL or through the service proxy to the \
            Service the platform profile names. It fails when no loaded rule group has the rule \
            (the PrometheusRule was not picked up: its labels do not match the Prometheus' \
            ruleSelector), when its health is not `ok` (Prometheus' own lastError is quoted), or \
            when it is `inactive` or still `pending`. For the always-firing heartbeat rule \
            (`vector(1)`, no `for`) firing starts at the first evaluation. Firing in Prometheus \
            proves nothing about Alertmanager: follow it with `alertmanager.alertActive`.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        guard let alertname = inputs.string("alertname") ?? AlertPathInputs.route(environment)?.alertname else {
            throw ActionError("the rule is unknown: the platform's heartbeat is not an Alertmanager route", fix: "give alertname")
        }
        let endpoint = try AlertPathInputs.endpoint(inputs, environment, system: "Prometheus") { $0.prometheusService }
        let groups: [PrometheusRuleGroup]
        do {
            groups = try await PrometheusClient(endpoint: endpoint, http: environment.http).ruleGroups(type: "alert")
        } catch {
            throw ActionError.alerting(error)
        }
        let subject = "rule \(alertname) in Prometheus (\(endpoint))"
        guard let (group, rule) = groups.lazy.flatMap({ group in group.rules.map { (group, $0) } }).first(where: { $0.1.name == alertname }) else {
            throw ActionError("is not loaded (\(groups.count) alerting rule group(s): \(groups.map(\.name).joined(separator: ", ")))", subject: subject,
                              fix: "check that the PrometheusRule holding it exists and that its labels match the Prometheus' ruleSelector")
        }
        guard rule.health == "ok" else {
            throw ActionError("evaluates with health \(rule.health)\(rule.lastError.map { ": \($0)" } ?? "")", subject: subject,
                              fix: "correct the rule's expression \(rule.query)")
        }
        guard rule.state == "firing", let activeAt = rule.alerts?.compactMap(\.activeAt).min() else {
            throw ActionError("is \(rule.state ?? "in no state"), not firing (expression \(rule.query))", subject: subject,
                              fix: rule.state == "pending" ? "wait for its 'for' duration, then retry" : "check the expression: an always-firing rule is vector(1)")
        }
        context.log("\(alertname) is firing in group \(group.name) (\(group.file)) since \(activeAt)")
        return ["group": .string(group.name), "activeAt": .time(activeAt)]
    }
}
