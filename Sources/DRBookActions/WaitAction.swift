import DRBookRunbook
import Foundation

/// `wait`: lets a fixed time pass, e.g. for a heartbeat monitor's check period.
struct WaitAction: Action {
    static let descriptor = ActionDescriptor(
        name: "wait",
        summary: "Wait a fixed time, saying why.",
        inputs: [
            InputSpec("duration", .duration, required: true, description: "How long to wait, e.g. 90s or 10m."),
            InputSpec("reason", .string, description: "Why, shown while waiting (\"the heartbeat monitor checks every 5 minutes\")."),
        ],
        outputs: [
            OutputSpec("finishedAt", .time, description: "When the wait ended, for later steps that need a point in time (e.g. a ping newer than it)."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Waits for `duration` and then passes, reporting progress as it goes. Ctrl-C or the \
            step's `timeout` ends the wait at once. Under `--dry-run` it does not wait.

            `wait` waits for a fixed time only. To wait *until* something holds, poll with the \
            check itself: give the checking step (an `http.probe`, an `exec`, a Velero or \
            heartbeat check) a `retry:` with `attempts` and `backoff`, so it is tried again \
            until it passes or the attempts run out. (A step's inputs are evaluated once per \
            step, so an expression given to `wait` could not change while it waits.)
            """)

    /// Progress is reported at least this often.
    static let slice = Duration.seconds(5)

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let total = inputs.duration("duration") ?? .zero
        guard total >= .zero else {
            throw ActionError("input 'duration' is negative (\(RunbookDuration.format(total)))", fix: "give a positive duration such as 5m")
        }
        let reason = inputs.string("reason").map { ": \($0)" } ?? ""
        guard !context.dryRun else {
            context.log("would wait \(RunbookDuration.format(total))\(reason)")
            return ["finishedAt": .time(context.now())]
        }
        context.log("waiting \(RunbookDuration.format(total))\(reason)")
        var waited = Duration.zero
        while waited < total {
            let step = min(Self.slice, total - waited)
            try await context.sleep(for: step)
            waited += step
            context.progress(ActionProgress(fraction: waited.seconds / total.seconds,
                                            message: "\(RunbookDuration.format(total - waited)) left"))
        }
        return ["finishedAt": .time(context.now())]
    }
}
