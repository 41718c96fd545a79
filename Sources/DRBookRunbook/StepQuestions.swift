import Foundation

/// The questions a run asks before a step, and the answers given in advance by flags: a
/// destructive step's confirmation, a crash's unfinished step, and work by hand or a yes/no
/// question (`manual`, `confirm`). Every answer is journaled as a decision.
extension RunLoop {
    func decide(_ request: ConfirmationRequest, _ answer: JournalEvent.Decision.Answer, by source: JournalEvent.Decision.Source) {
        recorder.record(.decision(.init(
            stepID: request.stepID, answer: answer, by: source, reason: request.explanation, touches: request.touches)))
    }

    func confirm(_ request: ConfirmationRequest, _ prepared: PreparedStep) async -> Preparation {
        let reason = request.explanation
        if configuration.assumeYes {
            decide(request, .confirmed, by: .assumeYes)
            return .ready(prepared)
        }
        guard configuration.prompt.isInteractive else {
            decide(request, .unanswered, by: .nobody)
            return .stopped(.needsConfirmation, "stopped before step '\(request.stepID)': \(reason) and needs confirmation, but there is no terminal to ask on; run it from a terminal, or add --yes to accept it")
        }
        let accepted = await configuration.prompt.confirm(request)
        if Task.isCancelled {
            return .stopped(.interrupted, "interrupted while waiting for confirmation of step '\(request.stepID)'")
        }
        decide(request, accepted ? .confirmed : .denied, by: .operator)
        guard accepted else {
            return .stopped(.stopped, "the operator declined step '\(request.stepID)'; nothing after it ran. `drbook resume` continues from there")
        }
        return .ready(prepared)
    }

    /// A mutating step that started before the run stopped and never finished: only a person can
    /// tell whether its change happened, so it is run again or skipped only on their word.
    func decideUnfinished(_ request: ConfirmationRequest, _ prepared: PreparedStep) async -> Preparation {
        let id = request.stepID
        let answer: UnfinishedStepAnswer
        switch configuration.unfinishedSteps {
        case .rerun:
            decide(request, .rerun, by: .rerunUnfinished)
            answer = .rerun
        case .skip:
            decide(request, .done, by: .skipUnfinished)
            answer = .skip
        case .ask:
            guard configuration.prompt.isInteractive else {
                decide(request, .unanswered, by: .nobody)
                return .stopped(.needsConfirmation, "stopped before step '\(id)': \(request.explanation). Only a person can tell whether it completed: check what it touches, then resume from a terminal to answer, or resume with --skip-unfinished if it completed or --rerun-unfinished if it did not")
            }
            answer = await configuration.prompt.decideUnfinished(request)
            if Task.isCancelled {
                return .stopped(.interrupted, "interrupted while waiting for the operator's answer about step '\(id)'")
            }
            decide(request, answer == .rerun ? .rerun : answer == .skip ? .done : .denied, by: .operator)
        }
        switch answer {
        case .rerun:
            return .ready(prepared)
        case .skip:
            let who = configuration.unfinishedSteps == .skip ? "--skip-unfinished" : "the operator"
            return .skippedAsDone("\(who) said it completed before the run stopped; not run again")
        case .stop:
            return .stopped(.stopped, "the operator stopped before the unfinished step '\(id)'; nothing after it ran. `drbook resume` asks again")
        }
    }

    /// A step only a person can complete: the answer comes from a flag, or from the operator on
    /// the terminal. With neither, the action runs unanswered and fails with "needs an operator".
    func askOperator(_ operatorStep: OperatorStep, _ request: ConfirmationRequest, _ prepared: PreparedStep) async -> Preparation {
        var prepared = prepared
        let byHand = operatorStep.kind == .workByHand
        let yes: JournalEvent.Decision.Answer = byHand ? .done : .confirmed
        if byHand ? configuration.assumeManualDone : configuration.assumeYes {
            decide(request, yes, by: byHand ? .assumeManualDone : .assumeYes)
            prepared.operatorAnswer = .assumed(flag: byHand ? "--assume-manual-done" : "--yes")
            return .ready(prepared)
        }
        guard configuration.prompt.isInteractive else { return .ready(prepared) }
        let accepted = await configuration.prompt.confirm(request)
        if Task.isCancelled {
            return .stopped(.interrupted, "interrupted while waiting for the operator at step '\(request.stepID)'")
        }
        decide(request, accepted ? yes : .denied, by: .operator)
        guard accepted else {
            let what = byHand ? "did not say the work of step '\(request.stepID)' is done" : "answered no at step '\(request.stepID)'"
            return .stopped(.stopped, "the operator \(what); nothing after it ran. `drbook resume` continues from there")
        }
        prepared.operatorAnswer = .givenByOperator
        return .ready(prepared)
    }
}
