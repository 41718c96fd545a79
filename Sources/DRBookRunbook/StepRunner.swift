import Foundation

/// A step ready to run: its action found, inputs evaluated and typed, confirmation given.
struct PreparedStep: Sendable {
    var step: Step
    var action: any Action
    var descriptor: ActionDescriptor
    var inputs: ActionInputs
    /// For an operator step: who answered before it ran (nil: nobody could).
    var operatorAnswer: OperatorAnswer? = nil

    var id: String { step.id.value }
}

/// How one step ended.
struct StepCompletion: Sendable {
    var stepID: String
    var status: StepStatus
    var outputs: [String: Value]
    var error: String?
    /// Cancelled from outside (Ctrl-C): the run ends as interrupted.
    var interrupted: Bool
    /// Failed because only a person could answer and nobody was asked: the run needs confirmation.
    var needsOperator: Bool = false
}

/// Runs one prepared step: attempts with retry and backoff, each under the step's timeout;
/// journals its start, what the action reports, its outputs and its end.
struct StepRunner: Sendable {
    let recorder: EventRecorder
    let clock: RunClock
    let dryRun: Bool
    /// How long a cancelled or timed-out action gets to stop before the run moves on without it.
    let grace: Duration

    func run(_ prepared: PreparedStep) async -> StepCompletion {
        let step = prepared.step
        let descriptor = prepared.descriptor
        let started = ContinuousClock.now
        var shownInputs: [String: Value] = [:]
        for (name, value) in prepared.inputs.values {
            shownInputs[name] = descriptor.input(named: name)?.secret == true ? .string(Redactor.replacement) : value
        }
        recorder.record(.stepStart(.init(
            stepID: prepared.id, title: step.title, action: descriptor.name, mutates: descriptor.mutates, inputs: shownInputs)))

        let attempts = max(step.retry?.attempts ?? 1, 1)
        // Repeating a half-done change is what resume guards against; retry must not do it behind the operator's back.
        let mayRetry = !descriptor.mutates || descriptor.idempotent
        var attempt = 1
        while true {
            if Task.isCancelled { return interrupted(prepared, started: started, attempts: attempt) }
            let failure: Failure
            switch await attemptOnce(prepared, attempt: attempt) {
            case let .finished(.success(outputs)):
                switch accept(outputs, of: prepared) {
                case let .success(values):
                    return end(prepared, .passed, started: started, attempts: attempt, outputs: values)
                case let .failure(problem):
                    return end(prepared, .failed, started: started, attempts: attempt, failure: problem)
                }
            case let .finished(.failure(error)):
                if error is CancellationError, Task.isCancelled { return interrupted(prepared, started: started, attempts: attempt) }
                failure = Failure(error)
            case .timedOut:
                failure = timedOut(prepared)
            case .cancelled:
                return interrupted(prepared, started: started, attempts: attempt)
            case let .abandoned(timedOut):
                log(prepared, "\(descriptor.name) did not stop within \(RunbookDuration.format(grace)) of being cancelled; it may still be running")
                if !timedOut { return interrupted(prepared, started: started, attempts: attempt) }
                failure = self.timedOut(prepared)
            }
            guard attempt < attempts, !failure.needsOperator else {
                return end(prepared, .failed, started: started, attempts: attempt, failure: failure)
            }
            guard mayRetry else {
                log(prepared, "not retried: \(descriptor.name) changes things and is not idempotent")
                return end(prepared, .failed, started: started, attempts: attempt, failure: failure)
            }
            let backoff = step.retry?.backoff ?? .zero
            log(prepared, "attempt \(attempt) of \(attempts) failed: \(failure.message); retrying in \(RunbookDuration.format(backoff))")
            do {
                if backoff > .zero { try await clock.sleep(backoff) }
            } catch {
                return interrupted(prepared, started: started, attempts: attempt)
            }
            attempt += 1
        }
    }

    private func attemptOnce(_ prepared: PreparedStep, attempt: Int) async -> Deadline.Outcome<ActionOutputs> {
        let gate = ReportGate()
        let recorder = self.recorder
        let stepID = prepared.id
        let context = ActionContext(
            stepID: stepID, attempt: attempt, dryRun: dryRun, clock: clock, operatorAnswer: prepared.operatorAnswer
        ) { report in
            // An action abandoned after a timeout may keep reporting; its step has ended, so that is dropped.
            guard gate.isOpen else { return }
            switch report {
            case let .log(line): recorder.record(.stepLog(.init(stepID: stepID, line: line)))
            case let .progress(progress): recorder.progress(progress, of: stepID)
            case let .metric(metric): recorder.record(.stepMetric(.init(stepID: stepID, metric: metric)))
            case let .secret(value): recorder.redactor.add(value)
            case let .result(result): recorder.record(.stepResult(.init(stepID: stepID, result: result)))
            }
        }
        let action = prepared.action
        let inputs = prepared.inputs
        let outcome = await Deadline.run(timeout: prepared.step.timeout, grace: grace, clock: clock) {
            try await action.run(inputs, context)
        }
        gate.close()
        return outcome
    }

    /// The declared outputs converted to their declared types; secret ones registered with the redactor before anything is written.
    private func accept(_ outputs: ActionOutputs, of prepared: PreparedStep) -> Result<[String: Value], Failure> {
        let descriptor = prepared.descriptor
        var accepted: [String: Value] = [:]
        for spec in descriptor.outputs where spec.secret {
            if let value = outputs[spec.name] { recorder.redactor.add(value) }
        }
        for name in outputs.values.keys.sorted() {
            let value = outputs.values[name]!
            guard let spec = descriptor.output(named: name) else {
                log(prepared, "ignored output '\(name)', which \(descriptor.name) does not declare")
                continue
            }
            switch ValueConversion.convert(value, to: spec.type) {
            case let .success(converted): accepted[name] = converted
            case let .failure(problem):
                let shown = spec.secret ? "\(value.type.withArticle) value; expected \(spec.type.withArticle)" : problem.message
                return .failure(Failure(
                    message: "\(descriptor.name) returned output '\(name)' as \(shown)",
                    fix: "this is a bug in the action \(descriptor.name); report it"))
            }
        }
        for name in accepted.keys.sorted() {
            let secret = descriptor.output(named: name)?.secret == true
            recorder.record(.stepOutput(.init(stepID: prepared.id, name: name, value: accepted[name]!, secret: secret)))
        }
        return .success(accepted)
    }

    private func timedOut(_ prepared: PreparedStep) -> Failure {
        let limit = prepared.step.timeout.map(RunbookDuration.format) ?? "?"
        return Failure(
            message: "timed out after \(limit)",
            fix: "raise timeout: of step '\(prepared.id)' if \(prepared.descriptor.name) needs longer, or find out why it is slow")
    }

    private func log(_ prepared: PreparedStep, _ line: String) {
        recorder.record(.stepLog(.init(stepID: prepared.id, line: line)))
    }

    private func interrupted(_ prepared: PreparedStep, started: ContinuousClock.Instant, attempts: Int) -> StepCompletion {
        recorder.flushProgress(of: prepared.id)
        recorder.record(.stepEnd(.init(
            stepID: prepared.id, status: .aborted, durationSeconds: seconds(since: started), attempts: attempts,
            error: nil, fix: nil, reason: "interrupted", started: true)))
        return StepCompletion(stepID: prepared.id, status: .aborted, outputs: [:], error: "interrupted", interrupted: true)
    }

    private func end(
        _ prepared: PreparedStep, _ status: StepStatus, started: ContinuousClock.Instant, attempts: Int,
        outputs: [String: Value] = [:], failure: Failure? = nil
    ) -> StepCompletion {
        recorder.flushProgress(of: prepared.id)
        recorder.record(.stepEnd(.init(
            stepID: prepared.id, status: status, durationSeconds: seconds(since: started), attempts: attempts,
            error: failure?.message, fix: failure?.fix, reason: nil, started: true)))
        let error = failure.map { recorder.redactor.redact($0.message) }
        return StepCompletion(stepID: prepared.id, status: status, outputs: outputs, error: error, interrupted: false,
                              needsOperator: failure?.needsOperator ?? false)
    }
}

/// A step failure's message and fix, from an `ActionError` or any other error.
struct Failure: Error, Sendable {
    var message: String
    var fix: String?
    var needsOperator = false

    init(message: String, fix: String?, needsOperator: Bool = false) {
        self.message = message
        self.fix = fix
        self.needsOperator = needsOperator
    }

    init(_ error: any Error) {
        if let actionError = error as? ActionError {
            self.init(message: actionError.description, fix: actionError.fix, needsOperator: actionError.needsOperator)
        } else {
            self.init(message: String(describing: error), fix: nil)
        }
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Open while an attempt runs; closed when it ends, after which the action's reports are dropped.
final class ReportGate: @unchecked Sendable {
    private let lock = NSLock()
    private var open = true

    var isOpen: Bool {
        lock.lock()
        defer { lock.unlock() }
        return open
    }

    func close() {
        lock.lock()
        open = false
        lock.unlock()
    }
}
