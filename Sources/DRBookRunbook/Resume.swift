import DRBookDigest
import Foundation

/// What a run carries over from its journal when it resumes.
struct ResumeState: Sendable {
    struct Restored: Sendable {
        var status: StepStatus
        /// Non-secret outputs as journaled; secret ones were never written.
        var outputs: [String: Value]
    }

    /// Steps that finished (passed, or skipped by `when`) and are not run again.
    var restored: [String: Restored]
    /// Steps that started and never finished (killed, or interrupted mid-action), with when they last started.
    var unfinished: [String: Date]
    /// Whether any step started before the resume: then the run has something to clean up.
    var anyStepStarted = false

    static let fresh = ResumeState(restored: [:], unfinished: [:])

    func restoredInOrder(_ runbook: Runbook) -> [String] {
        runbook.allSteps.map(\.id.value).filter { restored[$0] != nil }
    }
}

/// Rebuilds a run's state from its journal and decides what a resume runs.
struct ResumeAnalysis {
    let start: JournalEvent.RunStart
    var state: ResumeState
    /// Finished read-only steps to run again because later steps need their secret outputs.
    var rerun: Set<String>

    /// The run-start of run `runID`, to find the runbook it used.
    static func runStart(of runID: RunID, in store: RunStore) throws(ExecutorError) -> JournalEvent.RunStart {
        let url = store.journal(of: runID)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .cannotResume("there is no run \(runID) in \(store.root.path); `drbook runs` lists the runs")
        }
        do {
            return try firstRunStart(JournalReader.read(url).events, runID: runID)
        } catch let error as ExecutorError {
            throw error
        } catch let error as JournalError {
            throw .journal(error)
        } catch {
            throw .cannotResume("\(error)")
        }
    }

    private static func firstRunStart(_ events: [JournalEvent], runID: RunID) throws(ExecutorError) -> JournalEvent.RunStart {
        guard case let .runStart(start)? = events.first?.kind else {
            throw .cannotResume("the journal of run \(runID) does not begin with a run-start event; it cannot be resumed")
        }
        guard start.runID == runID else {
            throw .cannotResume("the journal in the folder of run \(runID) belongs to run \(start.runID); it cannot be resumed")
        }
        return start
    }

    init(events: [JournalEvent], runID: RunID, request: RunRequest, registry: ActionRegistry) throws(ExecutorError) {
        start = try Self.firstRunStart(events, runID: runID)
        let runbook = request.runbook
        guard start.runbook == runbook.metadata.name else {
            throw .cannotResume("run \(runID) ran runbook \(start.runbook), not \(runbook.metadata.name)")
        }
        let hash = SHA256Digest.hex(of: request.source)
        guard start.runbookSHA256 == hash else {
            throw .cannotResume("runbook \(start.runbookFile) has changed since run \(runID) started (SHA-256 \(start.runbookSHA256.prefix(12))…, now \(hash.prefix(12))…); resuming against different steps is unsafe: restore the file or start a new run")
        }

        var history = JournalHistory()
        for event in events { history.apply(event) }
        if case .passed? = history.lastVerdict {
            throw .cannotResume("run \(runID) passed; there is nothing to resume")
        }

        var restored: [String: ResumeState.Restored] = [:]
        for step in runbook.allSteps {
            let id = step.id.value
            guard let status = history.status[id], status == .passed || status == .skipped else { continue }
            // A cleanup step skipped by its when may hold once the resumed steps have run (its
            // when can read outputs of steps that had not run then); it is decided again. Only one
            // that ran, or that the operator said completed, is done for good.
            if status == .skipped, runbook.isCleanup(id), !history.saidDone.contains(id) { continue }
            restored[id] = .init(status: status, outputs: status == .passed ? history.outputs[id, default: [:]] : [:])
        }
        rerun = try Self.stepsToRunAgain(runbook, restored: restored, registry: registry)
        rerun.formUnion(Self.undoneSteps(runbook, restored: restored))
        for id in rerun { restored[id] = nil }
        state = ResumeState(restored: restored, unfinished: history.unfinished, anyStepStarted: history.anyStepStarted)
    }

    /// The params the run started with, as `--param` flags; secret ones were never journaled and must be given again.
    func journaledParamFlags(_ runbook: Runbook) -> [String] {
        start.params.keys.sorted().compactMap { name in
            guard !start.secretParams.contains(name), let value = start.params[name], value != .null,
                runbook.param(named: name) != nil
            else { return nil }
            return "\(name)=\(value.description)"
        }
    }

    /// A `--param` given to resume with another value than the run started with. A resume keeps
    /// the run's inputs: steps that finished used the old value, and a journal that mixes two
    /// stories proves neither. Secret params are given again, so they are not compared.
    func changedParam(_ runbook: Runbook, flags: [String]) -> String? {
        for flag in flags {
            guard let equals = flag.firstIndex(of: "=") else { continue }
            let name = String(flag[..<equals])
            guard let param = runbook.param(named: name), !param.secret, !start.secretParams.contains(name),
                  case let .success(given) = param.convert(.string(String(flag[flag.index(after: equals)...])))
            else { continue }
            let started = start.params[name] ?? .null
            if given != started {
                let how = started == .null ? "without it" : "with another value"
                return "--param \(name): run \(start.runID) started \(how), and a resume keeps the run's inputs (its finished steps used them). "
                    + "Resume without --param \(name), or start a new run with the new value: drbook run \(runbook.metadata.name) --param \(name)=VALUE"
            }
        }
        return nil
    }

    /// When steps remain to run, each cleanup step that already ran and undoes steps (Flux
    /// resumed after Ctrl-C) runs again at the end, and the steps it undid run again first: the
    /// rest of the run must not work on the state the cleanup put back.
    private static func undoneSteps(_ runbook: Runbook, restored: [String: ResumeState.Restored]) -> Set<String> {
        guard runbook.mainSteps.contains(where: { restored[$0.id.value] == nil }) else { return [] }
        var again: Set<String> = []
        for step in runbook.cleanup where !step.undoes.isEmpty && restored[step.id.value]?.status == .passed {
            again.insert(step.id.value)
            again.formUnion(step.undoes.map(\.value).filter { restored[$0]?.status == .passed })
        }
        return again
    }

    /// Passed steps whose secret outputs a step still to run needs, directly or through another such step.
    private static func stepsToRunAgain(_ runbook: Runbook, restored: [String: ResumeState.Restored], registry: ActionRegistry) throws(ExecutorError) -> Set<String> {
        let steps = Dictionary(runbook.allSteps.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
        var rerun: Set<String> = []
        var work = runbook.allSteps.filter { restored[$0.id.value] == nil }
        while let step = work.popLast() {
            let expressions = step.with.flatMap(\.value.expressions) + (step.when.map { [$0] } ?? [])
            for reference in expressions.flatMap(\.references) {
                guard case let .success(.stepOutput(producerID, output)) = reference.target,
                    restored[producerID]?.status == .passed, !rerun.contains(producerID),
                    let producer = steps[producerID],
                    let descriptor = registry.descriptor(of: producer.uses.value),
                    descriptor.output(named: output)?.secret == true
                else { continue }
                guard !descriptor.mutates else {
                    throw .cannotResume("step '\(step.id.value)' needs the secret output '\(output)' of step '\(producerID)', which was never journaled; '\(producerID)' changes things and is not repeated on resume, so start a new run")
                }
                rerun.insert(producerID)
                work.append(producer)
            }
        }
        return rerun
    }
}

/// The journal folded into per-step state, event by event.
private struct JournalHistory {
    var status: [String: StepStatus] = [:]
    var outputs: [String: [String: Value]] = [:]
    var unfinished: [String: Date] = [:]
    /// The verdict of the last run-end, unless a resume came after it.
    var lastVerdict: RunVerdict?
    var anyStepStarted = false
    /// Steps whose last decision says their work is done (an unfinished step that completed, work by hand).
    var saidDone: Set<String> = []

    mutating func apply(_ event: JournalEvent) {
        switch event.kind {
        case let .stepStart(start):
            anyStepStarted = true
            unfinished[start.stepID] = event.time
            status[start.stepID] = nil
            outputs[start.stepID] = [:]
        case let .stepOutput(output) where !output.secret:
            outputs[output.stepID, default: [:]][output.name] = output.value
        case let .stepEnd(end):
            status[end.stepID] = end.status
            // A step aborted before its action ran leaves any earlier unfinished attempt unfinished;
            // one interrupted mid-action stays unfinished (its start time is already recorded).
            if (end.started || end.status == .skipped) && end.status != .aborted {
                unfinished[end.stepID] = nil
            }
        case let .runEnd(end):
            lastVerdict = end.verdict
        case .runResume:
            lastVerdict = nil
        case let .decision(decision):
            if decision.answer == .done { saidDone.insert(decision.stepID) } else { saidDone.remove(decision.stepID) }
        case .runStart, .stepLog, .stepProgress, .stepMetric, .stepResult, .stepOutput, .preflightStart, .preflightEnd, .cleanupStart:
            break
        }
    }
}
