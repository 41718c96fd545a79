import DRBookActions
import DRBookPlatform
import DRBookRunbook
import DRBookTestSupport
import Foundation
import Testing

/// One run of a runbook through the engine, as `drbook run` makes it, with its journal read back.
struct RunbookRun {
    let outcome: RunOutcome
    let events: [JournalEvent]

    func status(_ step: String) -> StepStatus? { outcome.status(of: step) }

    private var ends: [JournalEvent.StepEnd] { events.compactMap { if case let .stepEnd(end) = $0.kind { end } else { nil } } }
    func error(_ step: String) -> String? { ends.last { $0.stepID == step }?.error }
    func fix(_ step: String) -> String? { ends.last { $0.stepID == step }?.fix }

    func output(_ step: String, _ name: String) -> Value? {
        events.compactMap { if case let .stepOutput(output) = $0.kind, output.stepID == step, output.name == name { output.value } else { nil } }.last
    }

    func lines(_ step: String) -> [String] {
        events.compactMap { if case let .stepLog(log) = $0.kind, log.stepID == step { log.line } else { nil } }
    }

    func metrics(_ step: String) -> [ActionMetric] {
        events.compactMap { if case let .stepMetric(metric) = $0.kind, metric.stepID == step { metric.metric } else { nil } }
    }

    /// Everything the journal holds, as text: secrets must appear nowhere in it.
    let journalText: String
}

/// Lints `yaml` against the built-in actions and the default platform profile, then runs it
/// with `env` as drbook's environment (`secret` names are redacted as secret env values are).
func runRunbook(_ yaml: String, environment: ActionEnvironment, platform profile: PlatformProfile = .default, params: [String] = [],
                env: [String: String] = [:], secret: Set<String> = [],
                sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> RunbookRun {
    let directory = try TemporaryDirectory()
    let registry = BuiltinActions.registry(environment)
    let runbook = try RunbookLoader.load(yaml: yaml, file: directory.path("alert-path.yaml"))
    let platform = profile.runbookValue
    let diagnostics = RunbookLinter(catalog: registry.catalog, docsRoot: nil, platforms: [(profile.name, platform)]).lint(runbook)
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.description))", sourceLocation: sourceLocation)
    let store = RunStore(root: directory.url.appendingPathComponent("runs"))
    let executor = Executor(ExecutorConfiguration(registry: registry, store: store, assumeYes: true, environment: env,
                                                  secretEnvironmentNames: secret, user: "tester", host: "testhost", platform: platform))
    let outcome = try await executor.run(RunRequest(runbook: runbook, source: yaml, paramFlags: params))
    let journal = store.journal(of: outcome.runID)
    let events = try JournalReader.read(journal).events
    let text = (try? String(contentsOf: journal, encoding: .utf8)) ?? ""
    return RunbookRun(outcome: outcome, events: events, journalText: text)
}
