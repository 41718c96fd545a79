import DRBookAlerting
import DRBookPlatform
import DRBookRunbook
import Foundation

/// `alertmanager.heartbeatCadence`: how often heartbeats really go out, against the monitor.
struct AlertmanagerHeartbeatCadenceAction: Action {
    static let descriptor = ActionDescriptor(
        name: "alertmanager.heartbeatCadence",
        summary: "Work out the interval heartbeats really go out at (repeats happen only on group_interval ticks) and check it against the monitor's period and grace, and against the pings the monitor saw.",
        inputs: AlertPathInputs.alertmanagerEndpoint + [
            InputSpec("groupInterval", .duration, description: "The heartbeat route's group_interval. Without it and repeatInterval: read from the configuration Alertmanager loaded."),
            InputSpec("repeatInterval", .duration, description: "The heartbeat route's repeat_interval."),
            InputSpec("receiver", .string, description: "The heartbeat receiver whose route is read. Default: the platform profile's heartbeat receiver."),
            InputSpec("monitorPeriod", .duration, description: "The monitor check's period. Default: the platform profile's."),
            InputSpec("monitorGrace", .duration, description: "The monitor check's grace. Default: the platform profile's."),
            InputSpec("observePings", .bool, description: "Also judge the intervals between the pings the monitor recorded (needs a read-write key). Default: false."),
        ] + AlertPathInputs.monitor,
        outputs: [
            OutputSpec("periodSeconds", .int, description: "The real interval between heartbeats, in seconds."),
            OutputSpec("longestHealthyGapSeconds", .int, description: "The longest gap that is still healthy: period + one group_interval + 10 s of send retries."),
            OutputSpec("observedLongestSeconds", .int, description: "The longest interval between the monitor's pings (0 when not observed)."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Alertmanager checks repeat_interval only on group_interval ticks, and only once \
            strictly more than repeat_interval has passed since the last send was logged, so \
            the real period is ceil(RI/GI)·GI — or RI + GI when RI is an exact multiple of GI \
            (30s / 50s gives 60 s, not 50 s). The timings are the inputs', or else those of the \
            first route to the heartbeat receiver in the configuration Alertmanager loaded \
            (inherited from parent routes), compared with the platform profile's. The step \
            fails when the longest healthy gap (period + one group_interval + 10 s of retries) \
            reaches the monitor's period + grace. With `observePings`, it reads the check's \
            pings through the monitor's Management API (never pinging) and fails when the \
            longest interval reached period + grace, when pings come much more often than the \
            route sends (a second source pings the check), or when the typical interval is \
            longer than the longest healthy gap (sends are lost).
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let route = AlertPathInputs.route(environment)
        let cadence = try await self.cadence(inputs, route: route, context: context)
        let (period, grace) = try AlertPathInputs.monitorTimes(inputs, environment)
        let gap = cadence.longestHealthyGap()
        context.log("group_interval \(cadence.groupInterval), repeat_interval \(cadence.repeatInterval): a heartbeat every \(cadence.period)"
                    + (cadence.mayFireOneTickEarly ? " (Alertmanager 0.25 may send one tick early: repeat_interval is a multiple of group_interval)" : ""))
        do {
            try HeartbeatJudgement.cadenceFits(cadence, monitorPeriod: period, monitorGrace: grace, subject: "the heartbeat route")
        } catch {
            throw ActionError(error)
        }
        context.log("longest healthy gap \(gap); the monitor calls the check down after \(PrometheusDuration(seconds: period + grace)) (period \(PrometheusDuration(seconds: period)) + grace \(PrometheusDuration(seconds: grace)))")
        var observedLongest = 0.0
        if inputs.bool("observePings") == true {
            observedLongest = try await observe(inputs, context, cadence: cadence, down: period + grace)
        }
        return ["periodSeconds": .int(Int(cadence.period.seconds)), "longestHealthyGapSeconds": .int(Int(gap.seconds)),
                "observedLongestSeconds": .int(Int(observedLongest.rounded()))]
    }

    /// The inputs' timings, else the loaded configuration's (logged beside the profile's).
    private func cadence(_ inputs: ActionInputs, route: PlatformProfile.AlertmanagerRoute?, context: ActionContext) async throws -> HeartbeatCadence {
        if let group = inputs.duration("groupInterval"), let repeatInterval = inputs.duration("repeatInterval") {
            return HeartbeatCadence(groupInterval: PrometheusDuration(seconds: group.seconds), repeatInterval: PrometheusDuration(seconds: repeatInterval.seconds))
        }
        guard let receiver = inputs.string("receiver") ?? route?.receiver else {
            throw ActionError("the receiver is unknown: the platform's heartbeat is not an Alertmanager route", fix: "give receiver, or groupInterval and repeatInterval")
        }
        let endpoint = try AlertPathInputs.endpoint(inputs, environment, system: "Alertmanager") { $0.alertmanagerService }
        let loaded: HeartbeatCadence?
        do {
            let status = try await AlertmanagerClient(endpoint: endpoint, http: environment.http).status()
            loaded = try AlertmanagerConfig(yaml: status.config.original, source: "Alertmanager's loaded config").cadence(toReceiver: receiver)
        } catch {
            throw ActionError.alerting(error)
        }
        guard let loaded else {
            throw ActionError("no route of Alertmanager's loaded config delivers to receiver \(receiver)", subject: "Alertmanager (\(endpoint))",
                              fix: "route the heartbeat alert to \(receiver)")
        }
        if let route, route.groupInterval.seconds != Int(loaded.groupInterval.seconds) || route.repeatInterval.seconds != Int(loaded.repeatInterval.seconds) {
            context.log("note: the loaded config has \(loaded.groupInterval) / \(loaded.repeatInterval); the platform profile says \(route.groupInterval) / \(route.repeatInterval)")
        }
        return loaded
    }

    private func observe(_ inputs: ActionInputs, _ context: ActionContext, cadence: HeartbeatCadence, down: TimeInterval) async throws -> TimeInterval {
        let (client, pingURL) = try await AlertPathInputs.monitor(inputs, environment, context)
        let intervals: [TimeInterval]
        do {
            let check = try await client.check(pingedBy: pingURL)
            guard let uuid = check.uuid else {
                throw ActionError("the key is read-only: the monitor shows pings only to a read-write key", subject: "healthchecks", fix: "give the project's read-write key (hcw_…)")
            }
            intervals = HeartbeatJudgement.observedIntervals(try await client.pings(uuid: uuid))
        } catch let error as ActionError {
            throw error
        } catch {
            throw ActionError.alerting(error)
        }
        guard let longest = intervals.max() else {
            throw ActionError("the monitor has fewer than two success pings of the check: no interval to judge", subject: "check \(pingURL)",
                              fix: "wait for heartbeats to arrive (healthchecks.waitForPing), then retry")
        }
        let median = intervals.sorted()[intervals.count / 2]
        context.log("the monitor saw \(intervals.count) interval(s) between pings: typically \(PrometheusDuration(seconds: median)), at most \(PrometheusDuration(seconds: longest)) (expected \(cadence.period))")
        let subject = "the pings of check \(pingURL)"
        if longest >= down {
            throw ActionError("came up to \(PrometheusDuration(seconds: longest)) apart: the monitor called the check down in between", subject: subject,
                              fix: "find what stopped the heartbeat then (Alertmanager restarts, failed notifications: alertmanager.notificationsHealthy)")
        }
        if median < cadence.period.seconds - cadence.groupInterval.seconds {
            throw ActionError("come typically every \(PrometheusDuration(seconds: median)), more often than the route sends (\(cadence.period)): something else pings the check too", subject: subject,
                              fix: "give each heartbeat source a check of its own")
        }
        if median > cadence.longestHealthyGap().seconds {
            throw ActionError("come typically every \(PrometheusDuration(seconds: median)), less often than the route sends (\(cadence.period)): heartbeats are lost", subject: subject,
                              fix: "check the failed notifications with alertmanager.notificationsHealthy and Alertmanager's log")
        }
        return longest
    }
}
