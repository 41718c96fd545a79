/// Receives what happens during a run, as it happens, so the CLI can draw a console or stream JSON.
///
/// Events are exactly those written to the journal (already redacted), in the
/// same order; calls come from whichever task produced the event, one at a time.
public protocol ExecutionObserver: Sendable {
    func record(_ event: JournalEvent)

    /// The plan of a --dry-run, once complete.
    func planned(_ plan: DryRunPlan)
}

extension ExecutionObserver {
    public func planned(_ plan: DryRunPlan) {}
}

/// An observer that ignores everything.
public struct SilentObserver: ExecutionObserver {
    public init() {}

    public func record(_ event: JournalEvent) {}
}

/// How a run ended: the verdict, the exit status it maps to, and each step's status.
public struct RunOutcome: Sendable, Equatable {
    public var runID: RunID
    public var verdict: RunVerdict
    /// Why the run stopped early, or which step failed; redacted.
    public var message: String?
    /// Every step of the runbook in order with how it ended; steps restored by a resume keep their journaled status.
    public var steps: [StepResultSummary]
    /// Set for --dry-run, which writes no journal.
    public var plan: DryRunPlan?
    /// The journal written, nil for --dry-run.
    public var journal: String?

    /// 0 passed, 1 a step failed, 3 stopped by the operator, 4 interrupted and resumable.
    public var exitCode: Int32 { verdict.exitCode }

    public func status(of stepID: String) -> StepStatus? {
        steps.first { $0.stepID == stepID }?.status
    }
}

public struct StepResultSummary: Sendable, Equatable {
    public var stepID: String
    /// Nil for a step that never got as far as an outcome (the run stopped before it).
    public var status: StepStatus?
    public var error: String?
}
