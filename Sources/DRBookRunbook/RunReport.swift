import DRBookDigest
import Foundation

/// What happened in one run, rebuilt from its journal: the input of `drbook report`.
///
/// Everything here comes from the journal, whose strings were redacted before they were written;
/// secret params are forced to `[redacted]` once more in case an older journal slipped.
/// The runbook, when given, only contributes doc links (and titles of steps that never started).
public struct RunReport: Sendable, Equatable, Codable {
    public static let interruptedNote = "interrupted or still running"

    public var runID: String?
    public var runbook: String
    public var runbookFile: String?
    public var runbookSHA256: String?
    /// nil when the journal has no run-end: the run crashed, was killed, or is still running.
    public var verdict: RunVerdict?
    public var exitCode: Int32?
    public var message: String?
    public var startedAt: Date?
    public var endedAt: Date?
    public var durationSeconds: Double
    public var user: String?
    public var host: String?
    public var environment: String?
    public var kubeContext: String?
    /// Sorted by name; secret values are `[redacted]`.
    public var params: [Param]
    public var resumes: [Resume]
    public var steps: [StepRow]
    public var metrics: [Metric]
    public var decisions: [DecisionRow]
    /// Set when the journal has no run-end: what to tell the operator.
    public var incomplete: String?
    /// The unreadable last journal line a crash left, if any (shown only as a note: its length).
    public var tornTailBytes: Int?
    /// Why doc links are missing, when they are.
    public var docLinksNote: String?

    /// "passed", "failed", …, or "incomplete" when the run has no end.
    public var verdictText: String { verdict?.rawValue ?? "incomplete" }
    public var isComplete: Bool { verdict != nil }

    public struct Param: Sendable, Equatable, Codable {
        public var name: String
        public var value: String
        public var secret: Bool
    }

    public struct Resume: Sendable, Equatable, Codable {
        public var at: Date
        public var user: String
        public var host: String
        public var restored: [String]
        public var rerun: [String]
    }

    public struct StepRow: Sendable, Equatable, Codable {
        public enum Status: String, Sendable, Codable, CaseIterable {
            case passed, failed, skipped, aborted
            /// Started but has no step-end: the run died or is still in it.
            case unfinished
            /// In the runbook but never reached.
            case notRun = "not-run"
        }

        public var id: String
        public var title: String
        public var action: String?
        public var mutates: Bool?
        public var status: Status
        public var startedAt: Date?
        public var durationSeconds: Double?
        public var attempts: Int?
        public var error: String?
        public var fix: String?
        public var reason: String?
        /// Relative to docs/, e.g. `dr/restore.md#restore-from-backup`.
        public var doc: String?
        /// True for a step of the runbook's `cleanup:` list.
        public var cleanup: Bool? = nil
        /// The step's last preflight, if it has one and it ran.
        public var preflight: PreflightRow? = nil
        /// The typed results it recorded (its last attempt's, after a resume), in order.
        public var results: [StepResult]? = nil
    }

    /// What a step's preflight checked and found (its last run, when a resume ran it again).
    public struct PreflightRow: Sendable, Equatable, Codable {
        public var checks: [String]
        /// nil: it started and has no end (the run died during it).
        public var passed: Bool?
        public var interrupted: Bool?
        public var durationSeconds: Double?
        public var findings: [PreflightFinding]
    }

    public struct Metric: Sendable, Equatable, Codable {
        public var stepID: String
        public var name: String
        public var value: Double
        public var unit: String
        public var target: Double?
        /// value <= target; nil without a target.
        public var met: Bool?
    }

    public struct DecisionRow: Sendable, Equatable, Codable {
        public var at: Date
        public var stepID: String
        public var answer: JournalEvent.Decision.Answer
        public var by: JournalEvent.Decision.Source
        public var reason: String
        public var touches: [String]
    }

    /// Builds the report from a journal's events (in journal order). `runbook` supplies doc links; pass nil
    /// (with `docLinksNote` saying why) when the runbook file is gone or changed since the run.
    public init(events: [JournalEvent], runbook: Runbook?, tornTail: String? = nil, docLinksNote: String? = nil) {
        var start: JournalEvent.RunStart?
        var startTime: Date?
        var end: JournalEvent.RunEnd?
        var endTime: Date?
        var resumes: [Resume] = []
        var order: [String] = []
        var starts: [String: (JournalEvent.StepStart, Date)] = [:]
        var ends: [String: (JournalEvent.StepEnd, Date)] = [:]
        var metrics: [Metric] = []
        var decisions: [DecisionRow] = []
        var preflights: [String: PreflightRow] = [:]
        var results: [String: [StepResult]] = [:]
        var cleanupIDs = Set(runbook?.cleanup.map(\.id.value) ?? [])

        func see(_ id: String) { if !order.contains(id) { order.append(id) } }

        for event in events {
            switch event.kind {
            case let .runStart(payload):
                if start == nil {
                    start = payload
                    startTime = event.time
                }
            case let .runResume(payload):
                resumes.append(Resume(at: event.time, user: payload.user, host: payload.host, restored: payload.restored, rerun: payload.rerun))
                // A resumed run is running again until a later run-end says otherwise.
                end = nil
                endTime = nil
            case let .stepStart(payload):
                see(payload.stepID)
                starts[payload.stepID] = (payload, event.time)
                // A step started again after a resume has not ended yet, and its results are its own.
                ends[payload.stepID] = nil
                results[payload.stepID] = nil
            case let .stepEnd(payload):
                see(payload.stepID)
                ends[payload.stepID] = (payload, event.time)
            case let .stepResult(payload):
                results[payload.stepID, default: []].append(payload.result)
            case let .stepMetric(payload):
                let metric = payload.metric
                metrics.append(Metric(
                    stepID: payload.stepID, name: metric.name, value: metric.value, unit: metric.unit, target: metric.target,
                    met: metric.target.map { metric.value <= $0 }))
            case let .decision(payload):
                decisions.append(DecisionRow(
                    at: event.time, stepID: payload.stepID, answer: payload.answer, by: payload.by,
                    reason: payload.reason, touches: payload.touches))
            case let .runEnd(payload):
                end = payload
                endTime = event.time
            case let .preflightStart(payload):
                see(payload.stepID)
                preflights[payload.stepID] = PreflightRow(checks: payload.checks, passed: nil, interrupted: nil, durationSeconds: nil, findings: [])
            case let .preflightEnd(payload):
                see(payload.stepID)
                var row = preflights[payload.stepID] ?? PreflightRow(checks: [], passed: nil, interrupted: nil, durationSeconds: nil, findings: [])
                row.passed = payload.passed
                row.interrupted = payload.interrupted
                row.durationSeconds = payload.durationSeconds
                row.findings = payload.findings
                preflights[payload.stepID] = row
            case let .cleanupStart(payload):
                cleanupIDs.formUnion(payload.steps)
            case .stepLog, .stepProgress, .stepOutput:
                break
            }
        }

        let runbookSteps = runbook?.allSteps ?? []
        let byID = Dictionary(runbookSteps.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
        // Journal order first; then runbook steps the run never reached.
        for step in runbookSteps where !order.contains(step.id.value) { order.append(step.id.value) }
        // Cleanup runs last, however far the steps got: so it is listed.
        order = order.filter { !cleanupIDs.contains($0) } + order.filter { cleanupIDs.contains($0) }

        steps = order.map { id in
            let started = starts[id]
            let ended = ends[id]
            let step = byID[id]
            let status: StepRow.Status
            if let (payload, _) = ended {
                switch payload.status {
                case .passed: status = .passed
                case .failed: status = .failed
                case .skipped: status = .skipped
                case .aborted: status = .aborted
                }
            } else {
                status = started == nil ? .notRun : .unfinished
            }
            var duration = ended?.0.durationSeconds
            if duration == nil, let (_, at) = started, end == nil, let last = events.last?.time {
                duration = max(0, last.timeIntervalSince(at))
            }
            let title = started?.0.title ?? step.map { $0.title.isEmpty ? id : $0.title } ?? id
            return StepRow(
                id: id, title: title.isEmpty ? id : title, action: started?.0.action ?? step?.uses.value,
                mutates: started?.0.mutates, status: status, startedAt: started?.1, durationSeconds: duration,
                attempts: ended?.0.attempts, error: ended?.0.error, fix: ended?.0.fix,
                reason: ended?.0.reason ?? (status == .notRun && end == nil ? "not reached: the run did not finish" : nil),
                doc: step?.doc?.value.description, cleanup: cleanupIDs.contains(id) ? true : nil, preflight: preflights[id],
                results: results[id])
        }

        let secret = Set(start?.secretParams ?? [])
        params = (start?.params ?? [:]).map { name, value in
            Param(name: name, value: secret.contains(name) ? Redactor.replacement : value.description, secret: secret.contains(name))
        }.sorted { $0.name < $1.name }

        runID = start?.runID.rawValue
        self.runbook = start?.runbook ?? runbook?.metadata.name ?? "unknown"
        runbookFile = start?.runbookFile
        runbookSHA256 = start?.runbookSHA256
        verdict = end?.verdict
        exitCode = end?.exitCode
        message = end?.message
        startedAt = startTime ?? events.first?.time
        endedAt = endTime ?? events.last?.time
        if let end {
            durationSeconds = end.durationSeconds
        } else if let from = startedAt, let to = endedAt {
            durationSeconds = max(0, to.timeIntervalSince(from))
        } else {
            durationSeconds = 0
        }
        user = start?.user
        host = start?.host
        environment = start?.environment
        kubeContext = start?.kubeContext
        self.resumes = resumes
        self.metrics = metrics
        self.decisions = decisions
        if end == nil {
            let resume = runID.map { "`drbook resume \($0)`" } ?? "`drbook resume <id>`"
            incomplete = "\(Self.interruptedNote); \(resume)"
        } else {
            incomplete = nil
        }
        tornTailBytes = tornTail.map { $0.utf8.count }
        if runbook == nil {
            self.docLinksNote = docLinksNote ?? "doc links omitted: the runbook was not available"
        } else {
            self.docLinksNote = docLinksNote
        }
    }

    /// Reads run `runID` from `store` and, when its runbook file still exists unchanged (same SHA-256), its doc links.
    public static func load(_ runID: RunID, store: RunStore) throws(JournalError) -> RunReport {
        let contents = try JournalReader.read(store.journal(of: runID))
        let (runbook, note) = runbook(for: contents.events)
        return RunReport(events: contents.events, runbook: runbook, tornTail: contents.tornTail, docLinksNote: note)
    }

    /// The runbook a journal's run used, if its file still exists with the recorded SHA-256; otherwise why not.
    public static func runbook(for events: [JournalEvent]) -> (Runbook?, note: String?) {
        let start = events.lazy.compactMap { event -> JournalEvent.RunStart? in
            if case let .runStart(payload) = event.kind { return payload } else { return nil }
        }.first
        guard let start else { return (nil, "doc links omitted: the journal has no run-start event") }
        guard let source = try? String(contentsOfFile: start.runbookFile, encoding: .utf8) else {
            return (nil, "doc links omitted: runbook \(start.runbookFile) no longer exists or cannot be read")
        }
        guard SHA256Digest.hex(of: source) == start.runbookSHA256 else {
            return (nil, "doc links omitted: runbook \(start.runbookFile) has changed since the run (SHA-256 differs)")
        }
        do {
            return (try RunbookLoader.load(yaml: source, file: start.runbookFile), nil)
        } catch {
            return (nil, "doc links omitted: runbook \(start.runbookFile) no longer loads")
        }
    }

    public var failedSteps: [StepRow] { steps.filter { $0.status == .failed } }
}
