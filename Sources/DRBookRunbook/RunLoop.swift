import Foundation

/// Walks a runbook's steps in order — parallel groups with bounded concurrency — for one run or
/// resume, then its cleanup steps.
///
/// Before the first step, every preflight whose inputs are already known runs (`preflightAtStart`),
/// so a run that must not go ahead stops before it changes or asks anything. Each node of the step
/// list is then handled in two phases: first every step of it is prepared one at a time (its
/// `when` and inputs evaluated, its preflight run if it has not yet, and the operator asked about
/// destructive ones, never two questions at once), then the prepared steps run, concurrently for a
/// group. Whatever ended the steps, the cleanup steps then run one at a time, shielded from the
/// cancellation that may have ended them (`runCleanup`).
struct RunLoop: Sendable {
    let runbook: Runbook
    let configuration: ExecutorConfiguration
    let recorder: EventRecorder
    let params: [String: Value]
    let resume: ResumeState

    private var redactor: Redactor { recorder.redactor }
    private var dryRun: Bool { configuration.dryRun }

    /// Mutable state of one pass over the steps.
    struct Progress: Sendable {
        var outputs: [String: [String: Value]] = [:]
        var summaries: [String: StepResultSummary] = [:]
        /// Set when the run stops early: how it ends and why.
        var stop: (verdict: RunVerdict, message: String)?
        /// What each later step that will not run says, in short (`not run: step 'x' failed`): the
        /// failed step itself told the whole reason once, so its Fix line stands out.
        var notRunReason: String?
        var firstFailure: String?
        /// Dry run: steps whose outputs are unknown (mutating, failed or unresolved).
        var unknownOutputs: Set<String> = []
        var plan: [String: DryRunPlan.Entry] = [:]
        /// Steps whose preflight passed in this pass; it is not run twice.
        var preflighted: Set<String> = []
        /// Whether any step of the run has started, in this process or before a resume: a run
        /// that did nothing has nothing to clean up.
        var anyStepStarted = false
    }

    /// How preparing a step ended; `StepQuestions.swift` produces some of these.
    enum Preparation {
        case ready(PreparedStep)
        case skipped
        case failed(String)
        case stopped(RunVerdict, String)
        /// Dry run: not run, and listed in the plan.
        case notRun
        /// An unfinished step the operator (or --skip-unfinished) says completed before the run stopped.
        case skippedAsDone(String)
        /// Its preflight found a reason not to run it; the run stops.
        case blocked(Failure)
    }

    func execute(runID: RunID, journal: String?) async -> RunOutcome {
        let started = ContinuousClock.now
        var state = Progress()
        for (id, restored) in resume.restored {
            state.outputs[id] = restored.outputs
            state.summaries[id] = StepResultSummary(stepID: id, status: restored.status, error: nil)
        }
        state.anyStepStarted = resume.anyStepStarted

        if !dryRun, !Task.isCancelled { await preflightAtStart(&state) }
        for node in runbook.steps {
            let (steps, group) = members(of: node)
            await runNode(steps, group: group, &state)
        }
        state = await runCleanup(state)

        let verdict = state.stop?.verdict ?? (state.firstFailure == nil ? .passed : .failed)
        let message = state.stop?.message ?? state.firstFailure
        let plan = dryRun ? DryRunPlan(runbook: runbook.metadata.name, entries: runbook.allSteps.compactMap { state.plan[$0.id.value] }) : nil
        if let plan { configuration.observer.planned(plan) }
        recorder.record(.runEnd(.init(
            verdict: verdict, exitCode: verdict.exitCode, durationSeconds: seconds(since: started), message: message)))
        return RunOutcome(
            runID: runID, verdict: verdict, message: message.map(redactor.redact),
            steps: runbook.allSteps.map { state.summaries[$0.id.value] ?? StepResultSummary(stepID: $0.id.value, status: nil, error: nil) },
            plan: plan, journal: journal)
    }

    /// Prepares and runs one node's steps that have not ended yet (restored by a resume, or
    /// failed by a preflight at the start); once the run has stopped, journals them as aborted.
    private func runNode(_ steps: [Step], group: ParallelGroup?, _ state: inout Progress) async {
        let pending = steps.filter { state.summaries[$0.id.value] == nil }
        guard !pending.isEmpty else { return }
        if state.stop == nil, Task.isCancelled {
            state.stop = (.interrupted, "interrupted before step '\(pending[0].id.value)'")
        }
        if state.stop == nil, let error = recorder.journalError {
            state.stop = (.failed, "cannot write the journal: \(error)")
        }

        var ready: [PreparedStep] = []
        for step in pending {
            if let stop = state.stop {
                abort(step, because: state.notRunReason ?? stop.message, &state)
                continue
            }
            switch await prepare(step, group: group, &state) {
            case let .ready(prepared):
                ready.append(prepared)
            case .skipped:
                state.outputs[step.id.value] = [:]
                state.summaries[step.id.value] = StepResultSummary(stepID: step.id.value, status: .skipped, error: nil)
            case let .failed(message):
                fail(step, message, &state)
            case let .stopped(verdict, message):
                state.stop = (verdict, message)
                abort(step, because: message, &state)
            case .notRun:
                state.unknownOutputs.insert(step.id.value)
            case let .skippedAsDone(reason):
                recorder.record(.stepEnd(.init(
                    stepID: step.id.value, status: .skipped, durationSeconds: 0, attempts: 0, error: nil, fix: nil,
                    reason: reason, started: false, title: step.title)))
                state.outputs[step.id.value] = [:]
                state.summaries[step.id.value] = StepResultSummary(stepID: step.id.value, status: .skipped, error: nil)
            case let .blocked(failure):
                block(step, failure, &state)
            }
        }
        if let stop = state.stop {
            for prepared in ready { abort(prepared.step, because: state.notRunReason ?? stop.message, &state) }
            return
        }
        let limit = group.flatMap { $0.maxConcurrency } ?? configuration.maxConcurrency
        for result in await runAll(ready, maxConcurrency: limit, &state) {
            record(result, &state)
        }
    }

    private func members(of node: StepNode) -> ([Step], ParallelGroup?) {
        switch node {
        case let .step(step): return ([step], nil)
        case let .parallel(group): return (group.steps, group)
        }
    }

    // MARK: - Preparing a step

    private func prepare(_ step: Step, group: ParallelGroup?, _ state: inout Progress) async -> Preparation {
        let id = step.id.value
        guard let action = configuration.registry[step.uses.value] else {
            return .failed("step '\(id)' uses unknown action '\(step.uses.value)'; run drbook lint on the runbook")
        }
        let descriptor = type(of: action).descriptor
        if dryRun, let missing = referencedUnknownStep(step, state) {
            plan(step, descriptor, group, .unresolved, inputs: ActionInputs(), note: "needs outputs of step '\(missing)', which a dry run does not have", &state)
            return .notRun
        }
        let evaluator = evaluator(state)

        if let condition = step.when {
            switch evaluateWhen(condition, of: step, evaluator) {
            case let .failure(problem): return .failed(problem.message)
            case .success(true): break
            case .success(false):
                recorder.record(.stepEnd(.init(
                    stepID: id, status: .skipped, durationSeconds: 0, attempts: 0, error: nil, fix: nil,
                    reason: "its when condition is false", started: false, title: step.title)))
                plan(step, descriptor, group, .skipped, inputs: ActionInputs(), note: "its when condition is false", &state)
                return .skipped
            }
        }

        let inputs: ActionInputs
        switch evaluateInputs(of: step, descriptor, evaluator) {
        case let .success(values): inputs = values
        case let .failure(problem): return .failed(problem.message)
        }
        let prepared = PreparedStep(step: step, action: action, descriptor: descriptor, inputs: inputs)

        // Before any question about the step: nobody is asked to approve what its checks would refuse.
        var preflightShown: DryRunPlan.Entry.PreflightResult?
        if !state.preflighted.contains(id), willRun(step, descriptor), let preflight = action.preflight(inputs) {
            switch await preflights.run(step, descriptor, preflight) {
            case let .passed(findings):
                state.preflighted.insert(id)
                preflightShown = .init(checks: preflight.checks.map(redactor.redact), passed: true, findings: findings.map(redacted))
            case let .blocked(findings, failure):
                guard dryRun else { return .blocked(failure) }
                plan(step, descriptor, group, .blocked, inputs: inputs, touches: descriptor.mutates ? action.plan(inputs) : [], note: nil, &state)
                state.plan[id]?.preflight = .init(checks: preflight.checks.map(redactor.redact), passed: false, findings: findings.map(redacted))
                state.firstFailure = state.firstFailure ?? "step '\(id)' failed its preflight: \(redactor.redact(failure.message))"
                return .notRun
            case .interrupted:
                return .stopped(.interrupted, "interrupted during the preflight of step '\(id)'")
            }
        }

        if dryRun {
            guard descriptor.mutates else {
                plan(step, descriptor, group, .checked, inputs: inputs, note: nil, &state)
                state.plan[id]?.preflight = preflightShown
                return .ready(prepared)
            }
            plan(step, descriptor, group, .wouldChange, inputs: inputs, touches: action.plan(inputs), note: nil, &state)
            state.plan[id]?.preflight = preflightShown
            return .notRun
        }

        let touches = action.plan(inputs).map(redactor.redact)
        func request(_ reason: ConfirmationRequest.Reason, startedAt: Date? = nil) -> ConfirmationRequest {
            ConfirmationRequest(
                stepID: id, title: redactor.redact(step.title), action: descriptor.name, reason: reason,
                touches: touches, startedAt: startedAt)
        }
        // An idempotent action is simply run again: repeating it is harmless by its own declaration.
        if let startedAt = resume.unfinished[id], descriptor.mutates, !descriptor.idempotent {
            return await decideUnfinished(request(.unfinishedBeforeResume, startedAt: startedAt), prepared)
        }
        if step.destructive || descriptor.mutates {
            return await confirm(request(.destructive), prepared)
        }
        if let operatorStep = descriptor.operatorStep, inputs.bool(operatorStep.answeredByInput) != true {
            return await askOperator(operatorStep, request(operatorStep.kind == .workByHand ? .workByHand : .question), prepared)
        }
        return .ready(prepared)
    }

    private var preflights: PreflightRunner {
        PreflightRunner(recorder: recorder, clock: configuration.clock, dryRun: dryRun, grace: configuration.cancellationGrace)
    }

    private func redacted(_ finding: PreflightFinding) -> PreflightFinding {
        var copy = finding
        copy.message = redactor.redact(finding.message)
        copy.subject = finding.subject.map(redactor.redact)
        copy.fix = finding.fix.map(redactor.redact)
        return copy
    }

    /// False for a step a crash left unfinished that --skip-unfinished says completed: it will
    /// not run, so checking whether it may would only block the resume on the state its own
    /// change left behind.
    private func willRun(_ step: Step, _ descriptor: ActionDescriptor) -> Bool {
        !(resume.unfinished[step.id.value] != nil && descriptor.mutates && !descriptor.idempotent && configuration.unfinishedSteps == .skip)
    }

    private func evaluator(_ state: Progress) -> ExpressionEvaluator {
        ExpressionEvaluator(context: ExpressionContext(
            params: params, env: configuration.environment, stepOutputs: state.outputs, now: configuration.clock.now))
    }

    private struct Problem: Error, Equatable {
        var message: String
    }

    private func evaluateWhen(_ condition: Expression, of step: Step, _ evaluator: ExpressionEvaluator) -> Result<Bool, Problem> {
        let id = step.id.value
        do {
            let value = try evaluator.evaluate(condition)
            guard case let .bool(flag) = value else {
                return .failure(Problem(message: "\(condition.location): when of step '\(id)' is \(value.type) '\(value)'; expected true or false"))
            }
            return .success(flag)
        } catch {
            return .failure(Problem(message: "\(error.location): when of step '\(id)': \(error.message)"))
        }
    }

    /// The step's inputs evaluated and converted to the declared types; secret ones registered with the redactor.
    private func evaluateInputs(of step: Step, _ descriptor: ActionDescriptor, _ evaluator: ExpressionEvaluator) -> Result<ActionInputs, Problem> {
        let id = step.id.value
        var values: [String: Value] = [:]
        for spec in descriptor.inputs {
            guard let input = step.input(named: spec.name) else { continue }
            do {
                let raw = try input.value.evaluate(with: evaluator)
                if spec.secret { redactor.add(raw) }
                switch ValueConversion.convert(raw, to: spec.type) {
                case let .success(value): values[spec.name] = value
                case let .failure(problem):
                    let shown = spec.secret ? "\(raw.type.withArticle) value; expected \(spec.type.withArticle)" : problem.message
                    return .failure(Problem(message: "\(input.value.location): input '\(spec.name)' of step '\(id)' is \(shown)"))
                }
            } catch {
                return .failure(Problem(message: "\(error.location): input '\(spec.name)' of step '\(id)': \(error.message)"))
            }
        }
        return .success(ActionInputs(values))
    }

    // MARK: - Preflights at the start

    /// Runs, before the first step, the preflight of every step still to run whose `when` and
    /// inputs can already be evaluated (they use params, env, and outputs of steps a resume
    /// restored). A blocking finding stops the run before it has changed or asked anything;
    /// the other steps' preflights run later, right before their own confirmation.
    private func preflightAtStart(_ state: inout Progress) async {
        let evaluator = evaluator(state)
        for step in runbook.mainSteps where state.summaries[step.id.value] == nil {
            guard let action = configuration.registry[step.uses.value] else { continue }
            let descriptor = type(of: action).descriptor
            guard willRun(step, descriptor), usesOnlyKnownOutputs(step, state) else { continue }
            // A when that does not hold needs no check; evaluation problems are reported when the
            // step itself is reached, where they belong.
            if let condition = step.when, evaluateWhen(condition, of: step, evaluator) != .success(true) { continue }
            guard case let .success(inputs) = evaluateInputs(of: step, descriptor, evaluator),
                let preflight = action.preflight(inputs)
            else { continue }
            switch await preflights.run(step, descriptor, preflight) {
            case .passed:
                state.preflighted.insert(step.id.value)
            case let .blocked(_, failure):
                block(step, failure, &state)
                return
            case .interrupted:
                state.stop = (.interrupted, "interrupted during the preflight of step '\(step.id.value)'")
                return
            }
        }
    }

    /// Whether every step output the step's `when` and inputs refer to is known now.
    private func usesOnlyKnownOutputs(_ step: Step, _ state: Progress) -> Bool {
        let expressions = step.with.flatMap(\.value.expressions) + (step.when.map { [$0] } ?? [])
        return expressions.flatMap(\.references).allSatisfy { reference in
            guard case let .success(.stepOutput(producer, _)) = reference.target else { return true }
            return state.outputs[producer] != nil
        }
    }

    /// Journals a step its preflight stopped: it failed without running, and the run stops,
    /// whatever its onFailure says — the preflight found that running it would be unsafe.
    private func block(_ step: Step, _ failure: Failure, _ state: inout Progress) {
        let id = step.id.value
        var failure = failure
        if resume.unfinished[id] != nil {
            // Its own half-done change may be what the check now refuses.
            let escape = "if step '\(id)' completed before the run stopped, resume with --skip-unfinished instead"
            failure.fix = failure.fix.map { "\($0); \(escape)" } ?? escape
        }
        recorder.record(.stepEnd(.init(
            stepID: id, status: .failed, durationSeconds: 0, attempts: 0, error: failure.message, fix: failure.fix,
            reason: "its preflight found a reason not to run it", started: false, title: step.title)))
        let shown = redactor.redact(failure.message)
        state.summaries[id] = StepResultSummary(stepID: id, status: .failed, error: shown)
        state.firstFailure = state.firstFailure ?? "step '\(id)' failed its preflight: \(shown)"
        if state.stop == nil {
            let before = state.anyStepStarted ? "it" : "any step ran"
            state.stop = (.failed, "step '\(id)' failed its preflight: \(shown); the run stopped before \(before)")
            state.notRunReason = "not run: step '\(id)' failed its preflight"
        }
    }

    /// In a dry run, the first step whose outputs this step needs but a dry run has not got.
    private func referencedUnknownStep(_ step: Step, _ state: Progress) -> String? {
        let expressions = step.with.flatMap(\.value.expressions) + (step.when.map { [$0] } ?? [])
        for reference in expressions.flatMap(\.references) {
            if case let .success(.stepOutput(producer, _)) = reference.target, state.unknownOutputs.contains(producer) {
                return producer
            }
        }
        return nil
    }

    // MARK: - Running prepared steps

    /// Runs the steps, at most `maxConcurrency` at once, in order of start. After a failure of a
    /// step whose onFailure is abort, steps not yet started are aborted; running ones finish.
    private func runAll(_ steps: [PreparedStep], maxConcurrency: Int, _ state: inout Progress) async -> [StepCompletion] {
        let runner = StepRunner(recorder: recorder, clock: configuration.clock, dryRun: dryRun, grace: configuration.cancellationGrace)
        if steps.count == 1 { return [await runner.run(steps[0])] }
        var results: [StepCompletion] = []
        var halted: String?
        await withTaskGroup(of: StepCompletion.self) { group in
            var next = 0
            func startNext() {
                guard next < steps.count else { return }
                let prepared = steps[next]
                next += 1
                group.addTask { await runner.run(prepared) }
            }
            for _ in 0..<min(max(maxConcurrency, 1), steps.count) { startNext() }
            for await result in group {
                results.append(result)
                let policy = steps.first { $0.id == result.stepID }?.step.onFailure
                if result.interrupted {
                    halted = halted ?? "interrupted"
                } else if result.status == .failed, policy == .abort, !dryRun {
                    halted = halted ?? "step '\(result.stepID)' failed"
                }
                if halted == nil, !Task.isCancelled { startNext() }
            }
            while next < steps.count {
                abort(steps[next].step, because: halted ?? "interrupted", &state)
                next += 1
            }
        }
        let order = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1.id, $0) })
        return results.sorted { order[$0.stepID, default: 0] < order[$1.stepID, default: 0] }
    }

    private func record(_ result: StepCompletion, _ state: inout Progress) {
        let id = result.stepID
        state.anyStepStarted = true
        state.summaries[id] = StepResultSummary(stepID: id, status: result.status, error: result.error)
        guard let step = runbook.allSteps.first(where: { $0.id.value == id }) else { return }
        let descriptor = configuration.registry.descriptor(of: step.uses.value)
        if dryRun, let descriptor {
            let disposition: DryRunPlan.Entry.Disposition = result.status == .passed ? .checked : .failed
            plan(step, descriptor, nil, disposition, inputs: nil, note: result.error, &state)
        }
        switch result.status {
        case .passed:
            state.outputs[id] = result.outputs
        case .failed:
            state.firstFailure = state.firstFailure ?? "step '\(id)' failed: \(result.error ?? "")"
            if dryRun {
                state.unknownOutputs.insert(id)
            } else if step.onFailure == .abort, state.stop == nil, result.needsOperator {
                // Not a failure of the platform: nobody was there to answer. Exit 3; resume asks again.
                state.stop = (.needsConfirmation, "step '\(id)' needs an operator and there is no terminal to ask on; later steps were not run")
                state.notRunReason = "not run: step '\(id)' needs an operator"
            } else if step.onFailure == .abort, state.stop == nil {
                state.stop = (.failed, "step '\(id)' failed: \(result.error ?? ""); later steps were not run")
                state.notRunReason = "not run: step '\(id)' failed"
            }
        case .aborted where result.interrupted:
            if state.stop?.verdict != .interrupted {
                state.stop = (.interrupted, "interrupted during step '\(id)'; `drbook resume` continues the run")
            }
        case .skipped, .aborted:
            break
        }
    }

    /// Journals a step that failed before its action ran (its `when` or an input did not evaluate).
    private func fail(_ step: Step, _ message: String, _ state: inout Progress) {
        let id = step.id.value
        recorder.record(.stepEnd(.init(
            stepID: id, status: .failed, durationSeconds: 0, attempts: 0, error: message,
            fix: "check the step in \(runbook.file); `drbook lint` finds most such problems before a run", reason: nil, started: false,
            title: step.title)))
        let shown = redactor.redact(message)
        state.summaries[id] = StepResultSummary(stepID: id, status: .failed, error: shown)
        state.firstFailure = state.firstFailure ?? "step '\(id)' failed: \(shown)"
        if dryRun {
            state.unknownOutputs.insert(id)
            if let descriptor = configuration.registry.descriptor(of: step.uses.value) {
                plan(step, descriptor, nil, .failed, inputs: ActionInputs(), note: shown, &state)
            }
        } else if step.onFailure == .abort, state.stop == nil {
            state.stop = (.failed, "step '\(id)' failed: \(shown); later steps were not run")
            state.notRunReason = "not run: step '\(id)' failed"
        }
    }

    /// Journals a step that will not run because the run stopped before it.
    private func abort(_ step: Step, because reason: String, _ state: inout Progress) {
        let id = step.id.value
        recorder.record(.stepEnd(.init(
            stepID: id, status: .aborted, durationSeconds: 0, attempts: 0, error: nil, fix: nil, reason: reason, started: false,
            title: step.title)))
        state.summaries[id] = StepResultSummary(stepID: id, status: .aborted, error: nil)
    }

    // MARK: - Cleanup

    /// Runs the cleanup steps not yet done in this run, one at a time, on whatever path the steps
    /// ended. They run in a task of their own: a Ctrl-C cancelled the run's task, and putting
    /// things back must not be cancelled with it (each step is still bounded by its timeout).
    ///
    /// A run in which no step started has changed nothing and has nothing to put back: its
    /// cleanup steps are journaled as aborted, so a resume that does start steps runs them.
    private func runCleanup(_ state: Progress) async -> Progress {
        var state = state
        let pending = runbook.cleanup.filter { state.summaries[$0.id.value] == nil }
        guard !pending.isEmpty else { return state }
        guard state.anyStepStarted || dryRun else {
            for step in pending { abort(step, because: "no step ran, so there was nothing to clean up", &state) }
            return state
        }
        let reason = state.stop?.message ?? state.firstFailure ?? "every step passed"
        recorder.record(.cleanupStart(.init(reason: reason, steps: pending.map(\.id.value))))
        // A step that did not run has no outputs; in cleanup they read as null rather than failing the step.
        for step in runbook.mainSteps where state.outputs[step.id.value] == nil && !state.unknownOutputs.contains(step.id.value) {
            state.outputs[step.id.value] = [:]
        }
        let mainStop = state.stop
        state.stop = nil
        state.notRunReason = nil
        let loop = self
        let shielded = Task { [state] in
            var state = state
            for step in pending { await loop.runNode([step], group: nil, &state) }
            return state
        }
        state = await shielded.value
        let cleanupFailure = pending.lazy.compactMap { step in
            state.summaries[step.id.value].flatMap { $0.status == .failed ? "step '\(step.id.value)' failed: \($0.error ?? "")" : nil }
        }.first
        let cleanupProblem = state.stop?.message ?? cleanupFailure
        if let mainStop {
            state.stop = (mainStop.verdict, mainStop.message + (cleanupProblem.map { "; cleanup: \($0)" } ?? ""))
        }
        return state
    }

    // MARK: - The dry-run plan

    private func plan(
        _ step: Step, _ descriptor: ActionDescriptor, _ group: ParallelGroup?, _ disposition: DryRunPlan.Entry.Disposition,
        inputs: ActionInputs?, touches: [String] = [], note: String?, _ state: inout Progress
    ) {
        let cleanup = runbook.isCleanup(step.id.value)
        guard dryRun else { return }
        let id = step.id.value
        if inputs == nil, var existing = state.plan[id] {
            existing.disposition = disposition
            existing.note = note.map(redactor.redact)
            state.plan[id] = existing
            return
        }
        let shown = (inputs?.values ?? [:]).keys.sorted().map { name -> (name: String, value: String) in
            let secret = descriptor.input(named: name)?.secret == true
            return (name, secret ? Redactor.replacement : redactor.redact(inputs!.values[name]!.description))
        }
        state.plan[id] = DryRunPlan.Entry(
            stepID: id, title: redactor.redact(step.title), action: descriptor.name,
            group: group.map { $0.title ?? "parallel" }, disposition: disposition, inputs: shown,
            touches: touches.map(redactor.redact), note: note.map(redactor.redact), cleanup: cleanup)
    }
}
