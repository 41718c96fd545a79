import ArgumentParser
import DRBookActions
import DRBookRunbook
import DRBookText
import Foundation

/// Options shared by `run` and `resume`.
struct ExecutionOptions: ParsableArguments {
    @Flag(help: "Confirm every destructive step and answer yes to every `confirm` question in advance. Does not answer for a step a crash left unfinished (see resume).")
    var yes = false

    @Flag(help: "Count every `manual` step as done without asking (do the work beforehand); journaled as a decision. Without it and without a terminal, a manual step fails with \"needs an operator\".")
    var assumeManualDone = false

    @Option(name: [.short, .long], help: "Console output: text, or json (one journal event per line; with --dry-run, the plan as one document).")
    var output: OutputFormat = .text

    func validate() throws {
        if output == .yaml {
            throw ValidationError("-o yaml: a run's events stream as JSON lines; use -o json, or drbook report RUN-ID -o yaml for the finished run.")
        }
    }

    @Flag(help: "No colour (also when NO_COLOR is set or output is not a terminal).")
    var noColor = false

    /// Where the journal is and the command to type next: `drbook resume ID` when the run can
    /// go on, else `drbook report ID`. To stderr with `-o json`, so stdout stays JSON.
    func tellNext(_ outcome: RunOutcome, journal: String, _ runs: RunsOptions) {
        let resumable: Set<RunVerdict> = [.interrupted, .needsConfirmation, .stopped]
        let next = (resumable.contains(outcome.verdict) ? "drbook resume \(outcome.runID)" : "drbook report \(outcome.runID)") + runs.flagForNextCommand
        printHuman("Journal: \(journal)\nNext: \(next)", output)
    }

    func executor(_ cluster: ClusterOptions, _ runs: RunsOptions, dryRun: Bool = false, unfinishedSteps: UnfinishedStepPolicy = .ask) throws -> Executor {
        let observer = ConsoleObserver(mode: output == .json ? .json : .text, color: useColor(noColor), live: liveStatus() && output == .text, dryRun: dryRun)
        let environment = ProcessInfo.processInfo.environment
        var configuration = ExecutorConfiguration(registry: cluster.registry, store: runs.store, prompt: TerminalPrompt(),
                                              observer: observer, assumeYes: yes, assumeManualDone: assumeManualDone,
                                              unfinishedSteps: unfinishedSteps, dryRun: dryRun, environment: environment,
                                              secretEnvironmentNames: Set(environment.keys.filter(isSecretName)),
                                              user: environment["USER"] ?? environment["LOGNAME"] ?? userName(),
                                              runLock: FileRunLock(), platform: try platformValue())
        configuration.secretShapes = knownSecretShapes
        return Executor(configuration)
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a runbook: every step logged to .drbook/runs/<id>/journal.jsonl, every destructive step confirmed.",
        discussion: """
        Exit status: 0 all steps passed, 1 a step failed, 2 bad input, 3 stopped by the operator \
        (or a destructive step with no terminal and no --yes), 4 interrupted and resumable with \
        `drbook resume <run-id>`.
        """
    )

    @OptionGroup var runbooks: RunbookOptions
    @OptionGroup var runs: RunsOptions
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var execution: ExecutionOptions

    @Argument(help: ArgumentHelp("The runbook (its name, as drbook list shows it, or a path).", valueName: "runbook"), completion: .custom(completeRunbookNames))
    var name: String

    @Option(help: ArgumentHelp("Environment from drbook.yaml whose params apply.", valueName: "name"))
    var env: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("A param value, k=v; repeatable; beats the profile and defaults.", valueName: "k=v"),
            completion: .custom(completeParamNames))
    var params: [String] = []

    @Flag(help: "Show the plan and run only read-only steps; change nothing.")
    var dryRun = false

    func run() async throws {
        try cluster.checkFlags()
        // Journaled absolute, so `drbook resume` finds it from any working directory.
        let path = URL(fileURLWithPath: try runbooks.runbookPath(name)).standardizedFileURL.path
        let diagnostics = runbooks.linter(requireDocs: false).lint(path: path)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else {
            throw BadInput(errors.map(\.description).joined(separator: "\n") + "\nThe runbook has errors; fix them (drbook lint \(name)) before running it.")
        }
        let source: String
        do { source = try String(contentsOfFile: path, encoding: .utf8) } catch { throw BadInput("cannot read \(path): \(error.localizedDescription)") }
        let runbook: Runbook
        do { runbook = try RunbookLoader.load(path: path) } catch { throw BadInput(String(describing: error)) }
        let request = RunRequest(runbook: runbook, source: source, paramFlags: params, profile: try loadProfile(), environment: env,
                                 kubeContext: cluster.kubeContextName)
        let executor = try execution.executor(cluster, runs, dryRun: dryRun)
        let outcome = try await cancellingOnInterrupt { () async throws -> RunOutcome in
            do { return try await executor.run(request) } catch { throw RunFailure(error) }
        }
        if let journal = outcome.journal, !dryRun { execution.tellNext(outcome, journal: journal, runs) }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue an interrupted or failed run; completed steps are not repeated, unfinished mutating steps are asked about.",
        discussion: """
        A mutating step that started before the run stopped and never finished may have done \
        all, part or none of its work; only a person can tell. On a terminal drbook names the \
        step, what it touches and when it started, and asks: it completed (skip it), it did not \
        (run it again), or stop. Without a terminal the resume stops before the step (exit 3) \
        unless --skip-unfinished or --rerun-unfinished answers in advance; --yes does not. \
        The answer is journaled as a decision. Steps whose action is idempotent are simply \
        run again. Only one process may run or resume a run at a time.
        """
    )

    @OptionGroup var runs: RunsOptions
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var execution: ExecutionOptions

    @Argument(help: ArgumentHelp("The run id (see drbook runs).", valueName: "run-id"), completion: .custom(completeRunIDs))
    var runID: String

    @Option(name: .customLong("param"), help: ArgumentHelp("Secret params must be given again (they were never journaled); other params keep the run's values, and another value is refused.", valueName: "k=v"))
    var params: [String] = []

    @Flag(help: "Unfinished mutating steps completed before the run stopped: do not run them again (they count as skipped). Answers for every unfinished step; on a terminal, without it, each is asked about.")
    var skipUnfinished = false

    @Flag(help: "Unfinished mutating steps did not complete: run them again. Answers for every unfinished step.")
    var rerunUnfinished = false

    func validate() throws {
        if skipUnfinished && rerunUnfinished {
            throw ValidationError("--skip-unfinished and --rerun-unfinished contradict each other; give the one that says what happened to the unfinished step.")
        }
    }

    func run() async throws {
        let id = try runs.existingRun(runID)
        try cluster.checkFlags()
        let executor = try execution.executor(cluster, runs, unfinishedSteps: skipUnfinished ? .skip : rerunUnfinished ? .rerun : .ask)
        let params = self.params
        let profile = try loadProfile()
        let outcome = try await cancellingOnInterrupt { () async throws -> RunOutcome in
            do { return try await executor.resume(runID: id, paramFlags: params, profile: profile) } catch { throw RunFailure(error) }
        }
        if let journal = outcome.journal { execution.tellNext(outcome, journal: journal, runs) }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "Past runs with their verdicts, newest first.")

    @OptionGroup var runs: RunsOptions

    @Option(name: [.short, .long], help: "Output format: text, json or yaml.")
    var output: OutputFormat = .text

    /// One run as `runs` lists it; in documents the duration is seconds.
    struct Row: Encodable {
        var id: String
        var runbook: String?
        var started: Date?
        var durationSeconds: Double?
        /// The verdict of its last run-end, or nil while it runs or after it died.
        var verdict: String?
        /// What the run is now: its verdict, running (by whom), crashed, or an unreadable journal.
        var state: String
    }

    func run() throws {
        let store = runs.store
        var rows: [Row] = []
        for id in store.runs().reversed() {
            guard let contents = try? JournalReader.read(store.journal(of: id)) else {
                rows.append(Row(id: id.rawValue, state: "unreadable journal"))
                continue
            }
            var row = Row(id: id.rawValue, state: "")
            for event in contents.events {
                switch event.kind {
                case let .runStart(start):
                    row.runbook = start.runbook
                    row.started = event.time
                case let .runEnd(end):
                    row.verdict = end.verdict.rawValue
                    row.durationSeconds = (end.durationSeconds * 10).rounded() / 10
                case .runResume:
                    // A resume after the last run-end: that verdict no longer stands.
                    row.verdict = nil
                    row.durationSeconds = nil
                default: break
                }
            }
            // No run-end (yet): a live process holds the run's lock; otherwise the run died.
            row.state = row.verdict ?? FileRunLock.currentHolder(of: store.directory(of: id)).map { "running: drbook \($0.command), pid \($0.pid) on \($0.host)" }
                ?? "crashed or killed (resumable)"
            rows.append(row)
        }
        if output.isDocument { return try printDocument(output, rows) }
        if rows.isEmpty { return print("No runs in \(runs.runsDir)/.") }
        print(TextTable(["RUN", "RUNBOOK", "STARTED", "DURATION", "VERDICT"], rows.map { row in
            [row.id, row.runbook ?? "?", row.started.map(BackupRow.timestamp) ?? "-",
             row.durationSeconds.map { String(format: "%.1f s", $0) } ?? "-", row.state]
        }).render())
    }
}

/// An engine error before or around a run, with the exit status the engine assigns.
struct RunFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32
    init(_ error: Error) {
        if let error = error as? ExecutorError {
            description = error.description
            exitCode = error.exitCode
        } else {
            description = String(describing: error)
            exitCode = 1
        }
    }
}

/// Environment variables whose values the redactor must hide wherever they appear:
/// credentials by the usual naming conventions (AWS_SECRET_ACCESS_KEY, *_TOKEN, SOPS_AGE_KEY…).
func isSecretName(_ name: String) -> Bool {
    let upper = name.uppercased()
    if upper.hasSuffix("_KEY_ID") || upper.hasSuffix("_KEY_FILE") { return false }
    return ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "WEBHOOK", "PRIVATE"].contains { upper.contains($0) }
        || upper.hasSuffix("_KEY") || upper.hasSuffix("_URL") && upper.contains("PING")
}

/// The login name from the password database, when USER and LOGNAME are unset (a Job's container).
func userName() -> String? {
    guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return nil }
    return String(cString: name)
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A run's report, rendered from its journal: verdict, steps with doc links, failures with their fix, metrics against targets."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case md, json, yaml, junit }

    @OptionGroup var runs: RunsOptions

    @Argument(help: ArgumentHelp("The run id (see drbook runs).", valueName: "run-id"), completion: .custom(completeRunIDs))
    var runID: String

    @Option(name: [.customShort("o"), .customLong("output"), .customLong("format")], help: "md (Markdown), json, yaml, or junit (JUnit XML for CI systems). --format is the same option.")
    var format: Format = .md

    func run() throws {
        let id = try runs.existingRun(runID)
        let report: RunReport
        do { report = try RunReport.load(id, store: runs.store) } catch { throw RunFailure(error) }
        switch format {
        case .md: print(report.markdown(renderers: BuiltinActions.resultRenderers), terminator: "")
        case .json: try printDocument(.json, json: Data(report.json().utf8))
        case .yaml: try printDocument(.yaml, json: Data(report.json().utf8))
        case .junit: print(report.junitXML(), terminator: "")
        }
    }
}
