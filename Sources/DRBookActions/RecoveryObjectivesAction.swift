import DRBookKube
import DRBookRunbook
import Foundation

/// `recovery.objectives`: the recovery point and time a restore achieved, against their targets.
struct RecoveryObjectivesAction: Action {
    static let descriptor = ActionDescriptor(
        name: "recovery.objectives",
        summary: "Measure RPO and RTO of a restore or drill, emit both as metrics against their targets, and fail when one is missed.",
        inputs: [
            InputSpec("startedAt", .time, required: true, description: "When the incident or drill started (the data after it is what was lost)."),
            InputSpec("backupAt", .time, required: true, description: "When the chosen backup completed, e.g. velero.latestBackup's output."),
            InputSpec("restoreStartedAt", .time, required: true, description: "When the restore started, e.g. ${{ steps.restore.outputs.startedAt }}."),
            InputSpec("recoveredAt", .time, description: "When the service was back: the heartbeat resumed (${{ steps.heartbeat.outputs.pingAt }}), or, with no monitor, when pods were Ready and the data proven. Default: when this step starts."),
            InputSpec("rpoTarget", .duration, description: "The recovery point objective. Default: 24h."),
            InputSpec("rtoTarget", .duration, description: "The recovery time objective. Default: 4h."),
        ],
        outputs: [
            OutputSpec("rpo", .duration, description: "startedAt minus backupAt: the data lost."),
            OutputSpec("rto", .duration, description: "restoreStartedAt to recoveredAt: how long the recovery took."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Computes RPO = `startedAt` − `backupAt` (what the newest usable backup lost) and \
            RTO = `restoreStartedAt` → `recoveredAt` (how long the service was being brought \
            back), logs both, and emits them as the metrics `rpo_seconds` and `rto_seconds` with \
            their targets, so the run's report shows each as met or missed. It fails, after \
            emitting both, when either exceeds its target. A backup that completed after \
            `startedAt` lost nothing: its RPO is 0. A `recoveredAt` before `restoreStartedAt` is \
            a mistake in the inputs and fails the step. Read-only.
            """)

    static let defaultRPO = Duration.seconds(24 * 3600)
    static let defaultRTO = Duration.seconds(4 * 3600)

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        guard let started = inputs.time("startedAt"), let backup = inputs.time("backupAt"), let restoreStarted = inputs.time("restoreStartedAt") else {
            throw ActionError("inputs 'startedAt', 'backupAt' and 'restoreStartedAt' are required", fix: "give each as a time, e.g. from an earlier step's outputs")
        }
        let recovered = inputs.time("recoveredAt") ?? context.now()
        guard recovered >= restoreStarted else {
            throw ActionError("recoveredAt (\(KubeJSON.formatTime(recovered))) is before restoreStartedAt (\(KubeJSON.formatTime(restoreStarted)))",
                              fix: "give recoveredAt the time the service was back after the restore, e.g. healthchecks.waitForPing's pingAt")
        }
        let rpoTarget = inputs.duration("rpoTarget", default: Self.defaultRPO)
        let rtoTarget = inputs.duration("rtoTarget", default: Self.defaultRTO)
        let rpo = max(0, started.timeIntervalSince(backup))
        let rto = recovered.timeIntervalSince(restoreStarted)
        context.metric("rpo_seconds", rpo, unit: "s", target: rpoTarget.seconds)
        context.metric("rto_seconds", rto, unit: "s", target: rtoTarget.seconds)
        let rpoMet = rpo <= rpoTarget.seconds
        let rtoMet = rto <= rtoTarget.seconds
        let rpoLine = "RPO \(Self.shown(rpo)) (backup at \(KubeJSON.formatTime(backup)), start at \(KubeJSON.formatTime(started))), target \(RunbookDuration.format(rpoTarget)): \(rpoMet ? "met" : "missed")"
        let rtoLine = "RTO \(Self.shown(rto)) (restore at \(KubeJSON.formatTime(restoreStarted)), recovered at \(KubeJSON.formatTime(recovered))), target \(RunbookDuration.format(rtoTarget)): \(rtoMet ? "met" : "missed")"
        context.log(rpoLine)
        context.log(rtoLine)
        guard rpoMet && rtoMet else {
            let missed = [rpoMet ? nil : rpoLine, rtoMet ? nil : rtoLine].compactMap { $0 }
            throw ActionError(missed.joined(separator: "; "), subject: "recovery objectives",
                              fix: rpoMet ? "find what made the recovery slow in the steps' durations (drbook report), and fix it or revise the target"
                                  : "back up more often (the Velero schedule) or revise the target; a backup older than the RPO means the schedule failed: check velero.scheduleCovers")
        }
        return ["rpo": .duration(Self.duration(rpo)), "rto": .duration(Self.duration(rto))]
    }

    static func duration(_ seconds: TimeInterval) -> Duration { .milliseconds(Int64((seconds * 1000).rounded())) }

    static func shown(_ seconds: TimeInterval) -> String { RunbookDuration.format(.seconds(Int64(seconds.rounded()))) }
}
