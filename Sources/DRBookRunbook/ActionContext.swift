import Foundation

/// What a running action can do besides its work: log, report progress, emit metrics, check for
/// cancellation and read the clock. Everything it reports reaches the journal and the console
/// through the run's redactor.
public struct ActionContext: Sendable {
    public let stepID: String
    /// 1 for the first attempt, 2 for the first retry, …
    public let attempt: Int
    /// True during --dry-run; only actions that change nothing run then.
    public let dryRun: Bool
    public let clock: RunClock
    /// For an operator step (`ActionDescriptor.operatorStep`): who gave its answer before it ran,
    /// nil when nobody did (no terminal, no flag) and the action must fail with "needs an operator".
    public let operatorAnswer: OperatorAnswer?
    private let report: @Sendable (ActionReport) -> Void

    /// `report` receives every line, progress update and metric; tests of single actions pass their own.
    public init(
        stepID: String,
        attempt: Int = 1,
        dryRun: Bool = false,
        clock: RunClock = .system,
        operatorAnswer: OperatorAnswer? = nil,
        report: @escaping @Sendable (ActionReport) -> Void
    ) {
        self.stepID = stepID
        self.attempt = attempt
        self.dryRun = dryRun
        self.clock = clock
        self.operatorAnswer = operatorAnswer
        self.report = report
    }

    /// One line for the console and the journal.
    public func log(_ line: String) { report(.log(line)) }

    public func progress(_ progress: ActionProgress) { report(.progress(progress)) }

    /// A typed result for the journal and the reports (`StepResult`).
    public func result(_ result: StepResult) { report(.result(result)) }

    /// A measurement for the report, e.g. `rto_seconds`, with the target the runbook gives for it.
    public func metric(_ name: String, _ value: Double, unit: String, target: Double? = nil) {
        report(.metric(ActionMetric(name: name, value: value, unit: unit, target: target)))
    }

    /// A value the action learned that must never be shown (a token it fetched, a decrypted key).
    /// Secret outputs are registered by the engine; this is for anything else.
    public func treatAsSecret(_ value: String) { report(.secret(value)) }

    public var isCancelled: Bool { Task.isCancelled }

    /// Throws `CancellationError` when the step was cancelled (timeout or Ctrl-C).
    public func checkCancellation() throws { try Task.checkCancellation() }

    public func now() -> Date { clock.now() }

    /// Sleeps on the run's clock; throws when the step is cancelled.
    public func sleep(for duration: Duration) async throws { try await clock.sleep(duration) }
}

/// Who answered an operator step, so the action's log can say so truthfully.
public enum OperatorAnswer: Sendable, Equatable {
    /// The operator, on the terminal.
    case givenByOperator
    /// A flag answered in advance (`--assume-manual-done`, `--yes`); nobody was asked.
    case assumed(flag: String)
}

/// Everything an action reports while it runs.
public enum ActionReport: Sendable, Equatable {
    case log(String)
    case progress(ActionProgress)
    case metric(ActionMetric)
    case secret(String)
    case result(StepResult)
}

/// How far an action has got: a fraction, counts, or bytes — whichever it knows.
public struct ActionProgress: Sendable, Equatable, Codable {
    public enum Unit: String, Sendable, Codable { case items, bytes }

    /// 0…1, when known.
    public var fraction: Double?
    public var completed: Int64?
    public var total: Int64?
    public var unit: Unit?
    public var message: String?

    public init(fraction: Double? = nil, completed: Int64? = nil, total: Int64? = nil, unit: Unit? = nil, message: String? = nil) {
        self.fraction = fraction
        self.completed = completed
        self.total = total
        self.unit = unit
        self.message = message
    }

    public static func items(_ completed: Int64, of total: Int64?, _ message: String? = nil) -> ActionProgress {
        ActionProgress(completed: completed, total: total, unit: .items, message: message)
    }

    public static func bytes(_ completed: Int64, of total: Int64?, _ message: String? = nil) -> ActionProgress {
        ActionProgress(completed: completed, total: total, unit: .bytes, message: message)
    }
}

/// A measurement an action emits, such as `rto_seconds`.
public struct ActionMetric: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double
    public var unit: String
    public var target: Double?

    public init(name: String, value: Double, unit: String, target: Double? = nil) {
        self.name = name
        self.value = value
        self.unit = unit
        self.target = target
    }
}

/// The run's wall clock and its sleep, injectable so tests control time.
public struct RunClock: Sendable {
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let system = RunClock(now: { Date() }, sleep: { try await Task.sleep(for: $0) })
}
