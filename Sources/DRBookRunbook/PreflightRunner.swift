import Foundation

/// How a step's preflight ended.
enum PreflightOutcome: Sendable {
    /// No blocking finding (warnings may have been shown).
    case passed([PreflightFinding])
    /// At least one blocking finding: the step must not run. `failure` is what its step-end says.
    case blocked([PreflightFinding], Failure)
    /// Cancelled (Ctrl-C) before it could tell.
    case interrupted
}

/// Runs one step's preflight under the step's timeout and journals it: a preflight-start, what
/// the checks log, and a preflight-end with the findings.
struct PreflightRunner: Sendable {
    let recorder: EventRecorder
    let clock: RunClock
    let dryRun: Bool
    let grace: Duration

    func run(_ step: Step, _ descriptor: ActionDescriptor, _ preflight: Preflight) async -> PreflightOutcome {
        let id = step.id.value
        let started = ContinuousClock.now
        recorder.record(.preflightStart(.init(stepID: id, title: step.title, action: descriptor.name, checks: preflight.checks)))
        let gate = ReportGate()
        let recorder = self.recorder
        let context = ActionContext(stepID: id, attempt: 1, dryRun: dryRun, clock: clock) { report in
            guard gate.isOpen else { return }
            switch report {
            case let .log(line): recorder.record(.stepLog(.init(stepID: id, line: line)))
            case let .progress(progress): recorder.progress(progress, of: id)
            // A preflight measures nothing the report wants; its metrics would read as the step's.
            case .metric, .result: break
            case let .secret(value): recorder.redactor.add(value)
            }
        }
        let work = preflight.run
        let outcome = await Deadline.run(timeout: step.timeout, grace: grace, clock: clock) { try await work(context) }
        gate.close()
        recorder.flushProgress(of: id)

        let findings: [PreflightFinding]
        switch outcome {
        case let .finished(.success(found)):
            findings = found
        case let .finished(.failure(error)):
            if error is CancellationError, Task.isCancelled { return interrupted(id, started) }
            let failure = Failure(error)
            let subject = (error as? ActionError)?.subject
            let message = (error as? ActionError)?.message ?? failure.message
            findings = [.blocking(message, subject: subject, fix: failure.fix)]
        case .timedOut, .abandoned(timedOut: true):
            let limit = step.timeout.map(RunbookDuration.format) ?? "?"
            findings = [.blocking(
                "the preflight of \(descriptor.name) did not finish within the step's timeout of \(limit)",
                fix: "find out why the check is slow, or raise timeout: of step '\(id)'")]
        case .cancelled, .abandoned(timedOut: false):
            return interrupted(id, started)
        }
        let blocking = findings.filter { $0.severity == .blocking }
        recorder.record(.preflightEnd(.init(
            stepID: id, passed: blocking.isEmpty, durationSeconds: seconds(since: started), findings: findings)))
        guard !blocking.isEmpty else { return .passed(findings) }
        let fixes = blocking.compactMap(\.fix)
        let failure = Failure(
            message: blocking.map(\.description).joined(separator: "; "),
            fix: fixes.isEmpty ? nil : fixes.joined(separator: "; "))
        return .blocked(findings, failure)
    }

    private func interrupted(_ id: String, _ started: ContinuousClock.Instant) -> PreflightOutcome {
        recorder.record(.preflightEnd(.init(
            stepID: id, passed: false, durationSeconds: seconds(since: started), findings: [], interrupted: true)))
        return .interrupted
    }
}
