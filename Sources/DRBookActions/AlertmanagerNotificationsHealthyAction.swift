import DRBookAlerting
import DRBookRunbook
import Foundation

/// `alertmanager.notificationsHealthy`: over a window, heartbeat notifications go out and none fails.
struct AlertmanagerNotificationsHealthyAction: Action {
    static let descriptor = ActionDescriptor(
        name: "alertmanager.notificationsHealthy",
        summary: "Watch Alertmanager's own notification counters over a window: heartbeat notifications succeed and failures do not grow.",
        inputs: AlertPathInputs.alertmanagerEndpoint + [
            InputSpec("receiver", .string, description: "The heartbeat receiver. Default: the platform profile's heartbeat receiver."),
            InputSpec("integration", .string, description: "The receiver's integration as Alertmanager labels it. Default: webhook."),
            InputSpec("window", .duration, description: "How long to watch. Default: the longest healthy gap between heartbeats of the profile's route (its real period + one group_interval + 10 s)."),
            InputSpec("minimumSent", .int, description: "Successful notifications expected in the window. Default: 1."),
        ],
        outputs: [
            OutputSpec("sent", .int, description: "Notifications that succeeded in the window."),
            OutputSpec("failed", .int, description: "Notifications that failed in the window."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Scrapes Alertmanager's `/metrics` twice, `window` apart (with progress in between), \
            and compares `alertmanager_notifications_total` and \
            `alertmanager_notifications_failed_total` of the integration: the step passes when \
            at least `minimumSent` notifications succeeded and none failed. A failure lists the \
            failed count by `reason` (0.26+: clientError, serverError, contextDeadlineExceeded…). \
            A failed flush is counted only when its retries give up (after max(group_interval, \
            10 s)), so the window should be longer than that. Servers that label the counters \
            with `receiver_name` (0.27+ with `--enable-feature=receiver-name-in-metrics`) are \
            narrowed to the receiver; on others the counters cover every receiver of the \
            integration, and the log says so. A restart inside the window (counters back to 0) \
            is taken into account. drbook sends nothing: it only reads the counters.
            """)

    let environment: ActionEnvironment

    static let defaultIntegration = "webhook"

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let route = AlertPathInputs.route(environment)
        guard let receiver = inputs.string("receiver") ?? route?.receiver else {
            throw ActionError("the receiver is unknown: the platform's heartbeat is not an Alertmanager route", fix: "give receiver")
        }
        let integration = inputs.string("integration") ?? Self.defaultIntegration
        let window: TimeInterval
        if let given = inputs.duration("window") {
            window = given.seconds
        } else if let route {
            window = HeartbeatCadence(groupInterval: PrometheusDuration(seconds: Double(route.groupInterval.seconds)),
                                      repeatInterval: PrometheusDuration(seconds: Double(route.repeatInterval.seconds))).longestHealthyGap().seconds
        } else {
            throw ActionError("the window is unknown: the platform's heartbeat is not an Alertmanager route", fix: "give window")
        }
        let minimum = inputs.int("minimumSent") ?? 1
        let endpoint = try AlertPathInputs.endpoint(inputs, environment, system: "Alertmanager") { $0.alertmanagerService }
        let client = AlertmanagerClient(endpoint: endpoint, http: environment.http)
        let before = try await counters(client, integration: integration, receiver: receiver)
        if !before.perReceiver {
            context.log("note: Alertmanager does not label its counters by receiver; they cover every \(integration) receiver")
        }
        let started = context.now()
        context.log("watching \(integration) notifications for \(Int(window)) s (sent \(Int(before.attempted - before.failed)), failed \(Int(before.failed)) so far)")
        while true {
            let waited = context.now().timeIntervalSince(started)
            guard waited < window else { break }
            context.progress(ActionProgress(fraction: waited / window, message: "watching Alertmanager's notification counters (\(Int(waited)) of \(Int(window)) s)"))
            try await context.sleep(for: .milliseconds(Int(min(1, window - waited) * 1000)))
        }
        let after = try await counters(client, integration: integration, receiver: receiver)
        let result: (sent: Int, failed: Int)
        do {
            result = try HeartbeatJudgement.notificationsHealthy(before: before, after: after, window: window, integration: integration,
                                                                 receiver: receiver, minimumSent: minimum)
        } catch {
            throw ActionError(error)
        }
        context.log("\(result.sent) \(integration) notification(s) succeeded in \(Int(window)) s, none failed")
        return ["sent": .int(result.sent), "failed": .int(result.failed)]
    }

    private func counters(_ client: AlertmanagerClient, integration: String, receiver: String) async throws(ActionError) -> NotificationCounters {
        do {
            return try await client.metrics().notifications(integration: integration, receiver: receiver)
        } catch {
            throw ActionError.alerting(error)
        }
    }
}
