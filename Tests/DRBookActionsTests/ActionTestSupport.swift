import DRBookActions
import DRBookHTTP
import DRBookRunbook
import Foundation
import Testing

/// Everything an action reported while it ran, for assertions.
final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [ActionReport] = []

    func add(_ report: ActionReport) { lock.withLock { recorded.append(report) } }

    var all: [ActionReport] { lock.withLock { recorded } }

    var lines: [String] { all.compactMap { if case let .log(line) = $0 { line } else { nil } } }

    var metrics: [ActionMetric] { all.compactMap { if case let .metric(metric) = $0 { metric } else { nil } } }

    var secrets: [String] { all.compactMap { if case let .secret(value) = $0 { value } else { nil } } }

    var progress: [ActionProgress] { all.compactMap { if case let .progress(progress) = $0 { progress } else { nil } } }

    func context(step: String = "step", dryRun: Bool = false, clock: RunClock = .system) -> ActionContext {
        ActionContext(stepID: step, dryRun: dryRun, clock: clock) { self.add($0) }
    }
}

/// One built-in action run directly, as the engine would run it, with the reports kept.
struct ActionRun {
    let registry: ActionRegistry
    let reports = Reports()

    init(environment: ActionEnvironment = ActionEnvironment()) {
        registry = BuiltinActions.registry(environment)
    }

    func callAsFunction(_ name: String, _ inputs: [String: Value], dryRun: Bool = false, clock: RunClock = .system) async throws -> ActionOutputs {
        let action = try #require(registry[name], "no action \(name) in the registry")
        return try await action.run(ActionInputs(inputs), reports.context(dryRun: dryRun, clock: clock))
    }
}

/// Runs `body` expecting it to throw an `ActionError`, and returns that error.
func actionError(_ body: () async throws -> ActionOutputs, sourceLocation: Testing.SourceLocation = #_sourceLocation) async -> ActionError? {
    do {
        let outputs = try await body()
        Issue.record("expected the action to fail; it passed with \(outputs.values)", sourceLocation: sourceLocation)
        return nil
    } catch let error as ActionError {
        return error
    } catch {
        Issue.record("expected an ActionError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

func strings(_ items: String...) -> Value { .list(items.map(Value.string)) }

func ints(_ items: Int...) -> Value { .list(items.map(Value.int)) }

