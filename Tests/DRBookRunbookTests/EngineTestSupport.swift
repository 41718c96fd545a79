import Foundation
import Testing
@testable import DRBookRunbook

// Test actions for the executor: each records what it was called with, so
// tests can prove what ran, how often, and with which inputs.

/// Every call of every test action, in order.
final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [(action: String, step: String, inputs: ActionInputs)] = []

    func add(_ action: String, _ step: String, _ inputs: ActionInputs) {
        lock.lock()
        calls.append((action, step, inputs))
        lock.unlock()
    }

    var steps: [String] {
        lock.lock()
        defer { lock.unlock() }
        return calls.map(\.step)
    }

    func count(_ step: String) -> Int { steps.filter { $0 == step }.count }

    func inputs(of step: String) -> [ActionInputs] {
        lock.lock()
        defer { lock.unlock() }
        return calls.filter { $0.step == step }.map(\.inputs)
    }
}

/// Read-only; returns its text and a secret output, and (carelessly) logs its secret input in
/// every common encoding, so redaction has something to catch.
struct EchoAction: Action {
    static let descriptor = ActionDescriptor(
        name: "test.echo", summary: "Echoes its input.",
        inputs: [InputSpec("text", .string), InputSpec("token", .string, secret: true), InputSpec("number", .int)],
        outputs: [OutputSpec("text", .string), OutputSpec("secret", .string, secret: true), OutputSpec("number", .int)])

    let log: CallLog
    var secretOutput = "output-secret-Zq9#x/y+w=v"

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        log.add("test.echo", context.stepID, inputs)
        context.log("echo \(inputs.string("text") ?? "")")
        if let token = inputs.string("token") {
            context.log("token \(token)")
            context.log("base64 \(Data(token.utf8).base64EncodedString())")
            context.log("url https://hc.example/ping?key=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            let json = String(data: try JSONEncoder().encode(["token": token]), encoding: .utf8)!
            context.log("json \(json)")
        }
        var outputs: ActionOutputs = ["text": .string(inputs.string("text") ?? ""), "secret": .string(secretOutput)]
        if let number = inputs.int("number") { outputs["number"] = .int(number) }
        return outputs
    }
}

/// Mutating and not idempotent: appends one line to a file, the side effect tests count.
struct CountAction: Action {
    static let descriptor = ActionDescriptor(
        name: "test.count", summary: "Appends a line to a file.",
        inputs: [InputSpec("file", .string, required: true), InputSpec("label", .string), InputSpec("token", .string, secret: true)],
        outputs: [OutputSpec("line", .string)],
        mutates: true, idempotent: false)

    let log: CallLog

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        log.add("test.count", context.stepID, inputs)
        let line = inputs.string("label") ?? context.stepID
        try appendLine(line, to: try inputs.requiredString("file"))
        return ["line": .string(line)]
    }

    func plan(_ inputs: ActionInputs) -> [String] {
        var lines = ["append '\(inputs.string("label") ?? "?")' to \(inputs.string("file") ?? "?")"]
        if let token = inputs.string("token") { lines.append("authenticate with \(token)") }
        return lines
    }
}

func appendLine(_ line: String, to path: String) throws {
    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data((line + "\n").utf8))
    try handle.close()
}

/// Like test.count, but declares that repeating it is harmless.
struct IdempotentCountAction: Action {
    static let descriptor = ActionDescriptor(
        name: "test.ensure", summary: "Appends a line to a file (declared idempotent).",
        inputs: [InputSpec("file", .string, required: true)],
        mutates: true, idempotent: true)

    let log: CallLog

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        log.add("test.ensure", context.stepID, inputs)
        try appendLine(context.stepID, to: try inputs.requiredString("file"))
        return [:]
    }

    func plan(_ inputs: ActionInputs) -> [String] { ["ensure a line in \(inputs.string("file") ?? "?")"] }
}

/// Mutating and not idempotent, like test.count, with a preflight: `allow: false` is a blocking
/// finding, `warn: true` a warning, `fail: true` a check that cannot be made (it throws).
/// `hang: true` makes the preflight wait (cancellably) after fulfilling `preflightStarted`.
/// Both its preflight and its run are logged, as `preflight:<step>` and `<step>`.
struct GuardedCountAction: Action {
    static let descriptor = ActionDescriptor(
        name: "test.guarded", summary: "Appends a line to a file, once its preflight allows it.",
        inputs: [
            InputSpec("file", .string, required: true), InputSpec("allow", .bool), InputSpec("warn", .bool),
            InputSpec("fail", .bool), InputSpec("subject", .string), InputSpec("hang", .bool),
        ],
        mutates: true, idempotent: false)

    let log: CallLog
    let preflightStarted: OneShot<Void>

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        log.add("test.guarded", context.stepID, inputs)
        try appendLine(context.stepID, to: try inputs.requiredString("file"))
        return [:]
    }

    func plan(_ inputs: ActionInputs) -> [String] { ["append a line to \(inputs.string("file") ?? "?")"] }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        let subject = inputs.string("subject") ?? "PVC monitoring/prometheus-db-0"
        return Preflight(checks: ["no pod mounts \(subject)"]) { context in
            log.add("test.guarded", "preflight:\(context.stepID)", inputs)
            context.log("looked at \(subject)")
            if inputs.bool("hang") == true {
                preflightStarted.fulfill(())
                try await Task.sleep(for: .seconds(60))
            }
            if inputs.bool("fail") == true {
                throw ActionError("cannot list pods: connection refused", subject: "https://cluster.example", fix: "check the kubeconfig")
            }
            var findings: [PreflightFinding] = []
            if inputs.bool("warn") == true {
                findings.append(.warning("the volume is larger than the backup", subject: subject))
            }
            if inputs.bool("allow") == false {
                findings.append(.blocking("is mounted by running pod prometheus-0", subject: subject, fix: "scale statefulset prometheus to 0 first"))
            }
            return findings
        }
    }
}

/// Answers like `ScriptedPrompt`, and notes for each question which preflights had ended by then.
final class PreflightWatchingPrompt: ConfirmationPrompt, @unchecked Sendable {
    let isInteractive = true
    let observer: RecordingObserver
    private let lock = NSLock()
    private var asked: [(stepID: String, preflightsDone: [String])] = []

    init(observer: RecordingObserver) {
        self.observer = observer
    }

    func confirm(_ request: ConfirmationRequest) async -> Bool {
        let done = observer.events.compactMap { event -> String? in
            if case let .preflightEnd(end) = event.kind, end.passed { return end.stepID } else { return nil }
        }
        lock.withLock { asked.append((request.stepID, done)) }
        return true
    }

    func decideUnfinished(_ request: ConfirmationRequest) async -> UnfinishedStepAnswer { .stop }

    var questions: [(stepID: String, preflightsDone: [String])] { lock.withLock { asked } }
}

/// Work by hand, like `manual`: passes only when someone (or a flag) answered before it ran.
struct ByHandAction: Action {
    static let descriptor = ActionDescriptor(
        name: "test.byHand", summary: "Work by hand.",
        inputs: [InputSpec("instructions", .string, required: true), InputSpec("assumeDone", .bool)],
        operatorStep: OperatorStep(.workByHand, answeredByInput: "assumeDone"))

    let log: CallLog

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        log.add("test.byHand", context.stepID, inputs)
        guard context.operatorAnswer != nil || inputs.bool("assumeDone") == true else { throw ActionError("needs an operator") }
        return [:]
    }

    func plan(_ inputs: ActionInputs) -> [String] { [inputs.string("instructions") ?? ""] }
}

/// Fails its first `times` calls (per step), then succeeds.
struct FailAction: Action {
    static let descriptor = ActionDescriptor(
        name: "test.fail", summary: "Fails N times, then succeeds.",
        inputs: [InputSpec("times", .int, required: true)],
        outputs: [OutputSpec("attempts", .int)])

    let log: CallLog

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        log.add("test.fail", context.stepID, inputs)
        let calls = log.count(context.stepID)
        if calls <= inputs.int("times") ?? 0 {
            throw ActionError("planned failure \(calls)", subject: "test object", fix: "wait for attempt \(calls + 1)")
        }
        return ["attempts": .int(calls)]
    }
}

/// Counts how many sleeps run at once.
final class Gauge: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var maximum = 0

    func enter() {
        lock.lock()
        current += 1
        maximum = max(maximum, current)
        lock.unlock()
    }

    func leave() {
        lock.lock()
        current -= 1
        lock.unlock()
    }

    var peak: Int {
        lock.lock()
        defer { lock.unlock() }
        return maximum
    }
}

/// Sleeps for its duration (cancellably), reporting progress; fails at the end if told to.
struct SleepAction: Action {
    static let descriptor = ActionDescriptor(
        name: "test.sleep", summary: "Sleeps.",
        inputs: [InputSpec("duration", .duration, required: true), InputSpec("fail", .bool)])

    let log: CallLog
    let gauge: Gauge

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        log.add("test.sleep", context.stepID, inputs)
        gauge.enter()
        defer { gauge.leave() }
        try await Task.sleep(for: inputs.duration("duration") ?? .zero)
        if inputs.bool("fail") == true { throw ActionError("told to fail") }
        return [:]
    }
}

/// Reports many progress updates in quick succession, and a metric.
struct ProgressAction: Action {
    static let descriptor = ActionDescriptor(name: "test.progress", summary: "Reports progress.")

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        for done in 1...200 { context.progress(.bytes(Int64(done), of: 200)) }
        context.metric("rto_seconds", 12.5, unit: "s", target: 14400)
        return [:]
    }
}

/// Blocks (cancellably) the first time each step runs it, signalling that it has started; returns at once later.
struct BlockAction: Action {
    static let descriptor = ActionDescriptor(name: "test.block", summary: "Blocks until cancelled, the first time.")

    let log: CallLog
    let started: OneShot<Void>

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        log.add("test.block", context.stepID, inputs)
        guard log.count(context.stepID) == 1 else { return [:] }
        started.fulfill(())
        try await Task.sleep(for: .seconds(60))
        return [:]
    }
}

/// Collects everything the executor reports, plus the JSON lines of it, to scan for secrets.
final class RecordingObserver: ExecutionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [JournalEvent] = []
    private var plans: [DryRunPlan] = []

    func record(_ event: JournalEvent) {
        lock.lock()
        recorded.append(event)
        lock.unlock()
    }

    func planned(_ plan: DryRunPlan) {
        lock.lock()
        plans.append(plan)
        lock.unlock()
    }

    var events: [JournalEvent] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    var plan: DryRunPlan? {
        lock.lock()
        defer { lock.unlock() }
        return plans.last
    }

    /// All of it as text: every event as JSON and every plan line.
    var text: String {
        let lines = events.map { String(decoding: try! $0.jsonLine(), as: UTF8.self) } + (plan?.lines ?? [])
        return lines.joined(separator: "\n")
    }

    func kinds(of stepID: String) -> [String] {
        events.filter { $0.kind.stepID == stepID }.map(\.kind.type)
    }
}

/// Answers confirmations from a script and remembers what it was asked.
final class ScriptedPrompt: ConfirmationPrompt, @unchecked Sendable {
    let isInteractive: Bool
    private let lock = NSLock()
    private var answers: [Bool]
    private var unfinishedAnswers: [UnfinishedStepAnswer]
    private var asked: [ConfirmationRequest] = []

    init(interactive: Bool = true, answers: [Bool] = [], unfinished: [UnfinishedStepAnswer] = []) {
        self.isInteractive = interactive
        self.answers = answers
        self.unfinishedAnswers = unfinished
    }

    func decideUnfinished(_ request: ConfirmationRequest) async -> UnfinishedStepAnswer {
        lock.withLock {
            asked.append(request)
            return unfinishedAnswers.isEmpty ? .stop : unfinishedAnswers.removeFirst()
        }
    }

    func confirm(_ request: ConfirmationRequest) async -> Bool {
        lock.withLock {
            asked.append(request)
            return answers.isEmpty ? false : answers.removeFirst()
        }
    }

    var requests: [ConfirmationRequest] {
        lock.lock()
        defer { lock.unlock() }
        return asked
    }
}

/// A scratch run store, a call log and the test actions, wired into executors.
final class EngineFixture: @unchecked Sendable {
    let directory: String
    let log = CallLog()
    let gauge = Gauge()
    let blockStarted = OneShot<Void>()
    let preflightStarted = OneShot<Void>()
    let observer = RecordingObserver()

    init() throws {
        directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("drbook-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var store: RunStore { RunStore(root: URL(fileURLWithPath: directory).appendingPathComponent("runs")) }

    /// The side-effect file test.count appends to.
    var countFile: String { (directory as NSString).appendingPathComponent("count.txt") }

    var countLines: [String] {
        ((try? String(contentsOfFile: countFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    var registry: ActionRegistry {
        ActionRegistry([
            EchoAction(log: log), CountAction(log: log), IdempotentCountAction(log: log), FailAction(log: log),
            SleepAction(log: log, gauge: gauge), ProgressAction(), BlockAction(log: log, started: blockStarted),
            ByHandAction(log: log), GuardedCountAction(log: log, preflightStarted: preflightStarted),
        ])
    }

    func executor(
        prompt: any ConfirmationPrompt = NoTerminalPrompt(), assumeYes: Bool = false, assumeManualDone: Bool = false,
        unfinishedSteps: UnfinishedStepPolicy = .ask, dryRun: Bool = false,
        environment: [String: String] = [:], secretEnvironmentNames: Set<String> = []
    ) -> Executor {
        Executor(ExecutorConfiguration(
            registry: registry, store: store, prompt: prompt, observer: observer, assumeYes: assumeYes,
            assumeManualDone: assumeManualDone, unfinishedSteps: unfinishedSteps, dryRun: dryRun,
            environment: environment, secretEnvironmentNames: secretEnvironmentNames,
            cancellationGrace: .milliseconds(500), user: "tester", host: "testhost"))
    }

    /// Loads `yaml` (with `COUNT` replaced by the side-effect file) and checks it lints clean against the test actions.
    func request(_ yaml: String, params: [String] = []) throws -> RunRequest {
        let source = yaml.replacingOccurrences(of: "COUNT", with: countFile)
        let file = (directory as NSString).appendingPathComponent("runbook.yaml")
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let runbook = try RunbookLoader.load(yaml: source, file: file)
        let problems = RunbookLinter(catalog: registry.catalog, docsRoot: nil).lint(runbook).errors
        #expect(problems.isEmpty, "test runbook does not lint: \(problems.rendered())")
        return RunRequest(runbook: runbook, source: source, paramFlags: params)
    }

    func journal(_ outcome: RunOutcome) throws -> [JournalEvent] {
        try JournalReader.read(store.journal(of: outcome.runID)).events
    }

    func journalText(_ outcome: RunOutcome) throws -> String {
        try String(contentsOf: store.journal(of: outcome.runID), encoding: .utf8)
    }
}

/// A runbook header with a name, for test YAML.
func runbookYAML(_ steps: String, params: String = "", cleanup: String = "") -> String {
    var text = """
        apiVersion: drbook/v1
        kind: Runbook
        metadata:
          name: engine-test
          title: Engine test

        """
    if !params.isEmpty { text += "params:\n" + params + "\n" }
    text += "steps:\n" + steps
    if !cleanup.isEmpty { text += (text.hasSuffix("\n") ? "" : "\n") + "cleanup:\n" + cleanup }
    return text
}

extension Array where Element == JournalEvent {
    func stepEnd(_ stepID: String) -> JournalEvent.StepEnd? {
        compactMap { if case let .stepEnd(end) = $0.kind, end.stepID == stepID { return end } else { return nil } }.last
    }

    var runEnd: JournalEvent.RunEnd? {
        compactMap { if case let .runEnd(end) = $0.kind { return end } else { return nil } }.last
    }

    var preflightEnds: [JournalEvent.PreflightEnd] {
        compactMap { if case let .preflightEnd(end) = $0.kind { return end } else { return nil } }
    }

    var cleanupStarts: [JournalEvent.CleanupStart] {
        compactMap { if case let .cleanupStart(start) = $0.kind { return start } else { return nil } }
    }

    var decisions: [JournalEvent.Decision] {
        compactMap { if case let .decision(decision) = $0.kind { return decision } else { return nil } }
    }

    var types: [String] { map(\.kind.type) }
}
