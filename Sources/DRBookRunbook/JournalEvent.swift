import Foundation

/// One line of `journal.jsonl`: the schema version, when it happened, and what happened.
///
///     {"schemaVersion":1,"time":"2026-11-25T11:49:00.123Z","type":"step-end","stepID":"restore","status":"passed",…}
///
/// Every string in an event has been through the run's `Redactor` before it is written or shown.
public struct JournalEvent: Sendable, Equatable, Codable {
    /// Bumped when a field changes meaning; readers refuse journals newer than they understand.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var time: Date
    public var kind: Kind

    public init(_ kind: Kind, at time: Date, schemaVersion: Int = JournalEvent.currentSchemaVersion) {
        self.schemaVersion = schemaVersion
        self.time = time
        self.kind = kind
    }

    public enum Kind: Sendable, Equatable {
        case runStart(RunStart)
        case runResume(RunResume)
        case stepStart(StepStart)
        case stepLog(StepLog)
        case stepProgress(StepProgress)
        case stepMetric(StepMetric)
        case stepResult(StepResultEvent)
        case stepOutput(StepOutput)
        case stepEnd(StepEnd)
        case decision(Decision)
        case preflightStart(PreflightStart)
        case preflightEnd(PreflightEnd)
        case cleanupStart(CleanupStart)
        case runEnd(RunEnd)

        /// The `type` written in the journal.
        public var type: String {
            switch self {
            case .runStart: return "run-start"
            case .runResume: return "run-resume"
            case .stepStart: return "step-start"
            case .stepLog: return "step-log"
            case .stepProgress: return "step-progress"
            case .stepMetric: return "step-metric"
            case .stepResult: return "step-result"
            case .stepOutput: return "step-output"
            case .stepEnd: return "step-end"
            case .decision: return "decision"
            case .preflightStart: return "preflight-start"
            case .preflightEnd: return "preflight-end"
            case .cleanupStart: return "cleanup-start"
            case .runEnd: return "run-end"
            }
        }

        /// The step the event is about, if any.
        public var stepID: String? {
            switch self {
            case .runStart, .runResume, .runEnd, .cleanupStart: return nil
            case let .stepStart(event): return event.stepID
            case let .stepLog(event): return event.stepID
            case let .stepProgress(event): return event.stepID
            case let .stepMetric(event): return event.stepID
            case let .stepResult(event): return event.stepID
            case let .stepOutput(event): return event.stepID
            case let .stepEnd(event): return event.stepID
            case let .decision(event): return event.stepID
            case let .preflightStart(event): return event.stepID
            case let .preflightEnd(event): return event.stepID
            }
        }
    }

    public struct RunStart: Sendable, Equatable, Codable {
        public var runID: RunID
        public var runbook: String
        public var runbookFile: String
        public var runbookSHA256: String
        /// Secret params appear as `[redacted]`.
        public var params: [String: Value]
        public var secretParams: [String]
        /// The `--env` the params came from, so `drbook resume` can use it again.
        public var environment: String?
        public var user: String
        public var host: String
        public var kubeContext: String?
    }

    public struct RunResume: Sendable, Equatable, Codable {
        public var user: String
        public var host: String
        /// Steps that had finished and are not run again.
        public var restored: [String]
        /// Finished steps run again: read-only ones whose secret outputs later steps need (never journaled), and
        /// steps a cleanup that already ran undid, with that cleanup step (see `Step.undoes`).
        public var rerun: [String]
    }

    public struct StepStart: Sendable, Equatable, Codable {
        public var stepID: String
        public var title: String
        public var action: String
        public var mutates: Bool
        /// As evaluated; secret inputs appear as `[redacted]`.
        public var inputs: [String: Value]
    }

    public struct StepLog: Sendable, Equatable, Codable {
        public var stepID: String
        public var line: String
    }

    public struct StepProgress: Sendable, Equatable, Codable {
        public var stepID: String
        public var progress: ActionProgress
    }

    public struct StepMetric: Sendable, Equatable, Codable {
        public var stepID: String
        public var metric: ActionMetric
    }

    public struct StepResultEvent: Sendable, Equatable, Codable {
        public var stepID: String
        public var result: StepResult
    }

    public struct StepOutput: Sendable, Equatable, Codable {
        public var stepID: String
        public var name: String
        /// `[redacted]` when `secret`.
        public var value: Value
        public var secret: Bool
    }

    public struct StepEnd: Sendable, Equatable, Codable {
        public var stepID: String
        public var status: StepStatus
        public var durationSeconds: Double
        public var attempts: Int
        public var error: String?
        public var fix: String?
        /// Why a step was skipped or aborted ("when was false", "step 'x' failed", "interrupted").
        public var reason: String?
        /// Whether the action had started when the step ended (false for steps aborted before they ran).
        public var started: Bool
        /// For a step that never started (no step-start carries its title): what the console shows.
        public var title: String? = nil
    }

    public struct Decision: Sendable, Equatable, Codable {
        public enum Answer: String, Sendable, Codable {
            case confirmed, denied
            /// Nobody could answer: no terminal and no flag answering in advance.
            case unanswered
            /// An unfinished step is run again.
            case rerun
            /// The work is done: an unfinished step completed before the run stopped (not run again),
            /// or a `manual` step's work by hand.
            case done
        }

        public enum Source: String, Sendable, Codable {
            case `operator`
            /// --yes
            case assumeYes
            /// --rerun-unfinished
            case rerunUnfinished
            /// --skip-unfinished
            case skipUnfinished
            /// --assume-manual-done
            case assumeManualDone
            case nobody
        }

        public var stepID: String
        public var answer: Answer
        public var by: Source
        /// Why it was asked: a destructive step, one that started and did not finish before a resume, work by hand, a question.
        public var reason: String
        /// What the step will touch, from the action's plan.
        public var touches: [String]
    }

    /// A step's preflight began: its read-only checks, before any question about the step.
    public struct PreflightStart: Sendable, Equatable, Codable {
        public var stepID: String
        public var title: String
        public var action: String
        /// What it checks, from the action.
        public var checks: [String]
    }

    /// A step's preflight ended. Not passed: a blocking finding, or it was interrupted.
    public struct PreflightEnd: Sendable, Equatable, Codable {
        public var stepID: String
        public var passed: Bool
        public var durationSeconds: Double
        public var findings: [PreflightFinding]
        /// Cancelled (Ctrl-C) before it could tell.
        public var interrupted: Bool? = nil
    }

    /// The runbook's `cleanup:` steps begin, on whatever path the run is ending.
    public struct CleanupStart: Sendable, Equatable, Codable {
        /// Why the run is ending ("the run passed", "step 'restore' failed: …", "interrupted").
        public var reason: String
        /// The cleanup steps still to run, in order; those a resume restored are not listed.
        public var steps: [String]
    }

    public struct RunEnd: Sendable, Equatable, Codable {
        public var verdict: RunVerdict
        public var exitCode: Int32
        public var durationSeconds: Double
        public var message: String?
    }
}

/// How a step ended.
public enum StepStatus: String, Sendable, Codable, CaseIterable {
    case passed, failed
    /// Its `when` was false.
    case skipped
    /// It did not run or did not finish: an earlier step failed, the operator stopped the run, or it was interrupted.
    case aborted
}

/// How a run ended, and the exit status it maps to (design.md, "Command line").
public enum RunVerdict: String, Sendable, Codable, CaseIterable {
    case passed
    case failed
    /// The operator denied a destructive step.
    case stopped
    /// A destructive step needed a confirmation nobody could give (no terminal, no --yes).
    case needsConfirmation = "needs-confirmation"
    /// Cancelled (Ctrl-C); `drbook resume` continues it.
    case interrupted

    public var exitCode: Int32 {
        switch self {
        case .passed: return 0
        case .failed: return 1
        case .stopped, .needsConfirmation: return 3
        case .interrupted: return 4
        }
    }
}

extension JournalEvent {
    private enum EnvelopeKey: String, CodingKey {
        case schemaVersion, time, type
    }

    public init(from decoder: any Decoder) throws {
        let envelope = try decoder.container(keyedBy: EnvelopeKey.self)
        schemaVersion = try envelope.decode(Int.self, forKey: .schemaVersion)
        guard schemaVersion <= Self.currentSchemaVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .schemaVersion, in: envelope,
                debugDescription: "schemaVersion \(schemaVersion) is newer than this drbook reads (\(Self.currentSchemaVersion)); upgrade drbook")
        }
        let timeText = try envelope.decode(String.self, forKey: .time)
        guard let time = JournalTime.parse(timeText) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: envelope, debugDescription: "'\(timeText)' is not an RFC 3339 time")
        }
        self.time = time
        let type = try envelope.decode(String.self, forKey: .type)
        switch type {
        case "run-start": kind = .runStart(try RunStart(from: decoder))
        case "run-resume": kind = .runResume(try RunResume(from: decoder))
        case "step-start": kind = .stepStart(try StepStart(from: decoder))
        case "step-log": kind = .stepLog(try StepLog(from: decoder))
        case "step-progress": kind = .stepProgress(try StepProgress(from: decoder))
        case "step-metric": kind = .stepMetric(try StepMetric(from: decoder))
        case "step-result": kind = .stepResult(try StepResultEvent(from: decoder))
        case "step-output": kind = .stepOutput(try StepOutput(from: decoder))
        case "step-end": kind = .stepEnd(try StepEnd(from: decoder))
        case "decision": kind = .decision(try Decision(from: decoder))
        case "preflight-start": kind = .preflightStart(try PreflightStart(from: decoder))
        case "preflight-end": kind = .preflightEnd(try PreflightEnd(from: decoder))
        case "cleanup-start": kind = .cleanupStart(try CleanupStart(from: decoder))
        case "run-end": kind = .runEnd(try RunEnd(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: envelope, debugDescription: "unknown event type '\(type)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var envelope = encoder.container(keyedBy: EnvelopeKey.self)
        try envelope.encode(schemaVersion, forKey: .schemaVersion)
        try envelope.encode(JournalTime.format(time), forKey: .time)
        try envelope.encode(kind.type, forKey: .type)
        switch kind {
        case let .runStart(payload): try payload.encode(to: encoder)
        case let .runResume(payload): try payload.encode(to: encoder)
        case let .stepStart(payload): try payload.encode(to: encoder)
        case let .stepLog(payload): try payload.encode(to: encoder)
        case let .stepProgress(payload): try payload.encode(to: encoder)
        case let .stepMetric(payload): try payload.encode(to: encoder)
        case let .stepResult(payload): try payload.encode(to: encoder)
        case let .stepOutput(payload): try payload.encode(to: encoder)
        case let .stepEnd(payload): try payload.encode(to: encoder)
        case let .decision(payload): try payload.encode(to: encoder)
        case let .preflightStart(payload): try payload.encode(to: encoder)
        case let .preflightEnd(payload): try payload.encode(to: encoder)
        case let .cleanupStart(payload): try payload.encode(to: encoder)
        case let .runEnd(payload): try payload.encode(to: encoder)
        }
    }

    /// One journal line (without the newline).
    public func jsonLine() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The event with every free-text string passed through `redactor`.
    public func redacted(by redactor: Redactor) -> JournalEvent {
        var copy = self
        switch kind {
        case var .runStart(payload):
            payload.params = payload.params.mapValues { redactor.redact($0) }
            payload.runbookFile = redactor.redact(payload.runbookFile)
            payload.kubeContext = payload.kubeContext.map { redactor.redact($0) }
            copy.kind = .runStart(payload)
        case .runResume:
            break
        case var .stepStart(payload):
            payload.title = redactor.redact(payload.title)
            payload.inputs = payload.inputs.mapValues { redactor.redact($0) }
            copy.kind = .stepStart(payload)
        case var .stepLog(payload):
            payload.line = redactor.redact(payload.line)
            copy.kind = .stepLog(payload)
        case var .stepProgress(payload):
            payload.progress.message = payload.progress.message.map { redactor.redact($0) }
            copy.kind = .stepProgress(payload)
        case .stepMetric:
            break
        case var .stepResult(payload):
            payload.result.document = payload.result.document.redacted(by: redactor)
            copy.kind = .stepResult(payload)
        case var .stepOutput(payload):
            payload.value = payload.secret ? .string(Redactor.replacement) : redactor.redact(payload.value)
            copy.kind = .stepOutput(payload)
        case var .stepEnd(payload):
            payload.error = payload.error.map { redactor.redact($0) }
            payload.fix = payload.fix.map { redactor.redact($0) }
            payload.reason = payload.reason.map { redactor.redact($0) }
            payload.title = payload.title.map { redactor.redact($0) }
            copy.kind = .stepEnd(payload)
        case var .decision(payload):
            payload.reason = redactor.redact(payload.reason)
            payload.touches = payload.touches.map { redactor.redact($0) }
            copy.kind = .decision(payload)
        case var .preflightStart(payload):
            payload.title = redactor.redact(payload.title)
            payload.checks = payload.checks.map { redactor.redact($0) }
            copy.kind = .preflightStart(payload)
        case var .preflightEnd(payload):
            payload.findings = payload.findings.map { finding in
                var copy = finding
                copy.message = redactor.redact(finding.message)
                copy.subject = finding.subject.map { redactor.redact($0) }
                copy.fix = finding.fix.map { redactor.redact($0) }
                return copy
            }
            copy.kind = .preflightEnd(payload)
        case var .cleanupStart(payload):
            payload.reason = redactor.redact(payload.reason)
            copy.kind = .cleanupStart(payload)
        case var .runEnd(payload):
            payload.message = payload.message.map { redactor.redact($0) }
            copy.kind = .runEnd(payload)
        }
        return copy
    }
}
