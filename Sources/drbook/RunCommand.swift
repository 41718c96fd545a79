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

    @Option(name: [.short, .long], help: "Console output: text, or json (one journal event per line).")
    var output: OutputFormat = .text

    @Flag(help: "No colour (also when NO_COLOR is set or output is not a terminal).")
    var noColor = false

    /// Where the journal is and the command to type next: `drbook resume ID` when the run can
    /// go on, else `drbook report ID`. To stderr with `-o json`, so stdout stays JSON.
    func tellNext(_ outcome: RunOutcome, journal: String, _ workspace: WorkspaceOptions) {
        let resumable: Set<RunVerdict> = [.interrupted, .needsConfirmation, .stopped]
        let runsDir = workspace.runsDir == RunStore.defaultRoot ? "" : " --runs-dir \(workspace.runsDir)"
        let next = (resumable.contains(outcome.verdict) ? "drbook resume \(outcome.runID)" : "drbook report \(outcome.runID)") + runsDir
        let lines = "Journal: \(journal)\nNext: \(next)\n"
        if output == .json {
            FileHandle.standardError.write(Data(lines.utf8))
        } else {
            print(lines, terminator: "")
        }
    }

    func executor(_ workspace: WorkspaceOptions, dryRun: Bool = false, unfinishedSteps: UnfinishedStepPolicy = .ask) throws -> Executor {
        let observer = ConsoleObserver(mode: output == .json ? .json : .text, color: useColor(noColor), live: liveStatus())
        let environment = ProcessInfo.processInfo.environment
        return Executor(ExecutorConfiguration(registry: workspace.registry, store: workspace.store, prompt: TerminalPrompt(),
                                              observer: observer, assumeYes: yes, assumeManualDone: assumeManualDone,
                                              unfinishedSteps: unfinishedSteps, dryRun: dryRun, environment: environment,
                                              secretEnvironmentNames: Set(environment.keys.filter(isSecretName)),
                                              user: environment["USER"] ?? environment["LOGNAME"] ?? userName(),
                                              runLock: FileRunLock(), platform: try workspace.platformValue()))
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

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var execution: ExecutionOptions

    @Argument(help: ArgumentHelp("The runbook (name under runbooks/ or a path).", valueName: "runbook"))
    var name: String

    @Option(help: ArgumentHelp("Environment from drbook.yaml whose params apply.", valueName: "name"))
    var env: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("A param value, k=v; repeatable; beats the profile and defaults.", valueName: "k=v"))
    var params: [String] = []

    @Flag(help: "Show the plan and run only read-only steps; change nothing.")
    var dryRun = false

    func run() async throws {
        let path = try workspace.runbookPath(name)
        let diagnostics = workspace.linter.lint(path: path)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else {
            throw BadInput(errors.map(\.description).joined(separator: "\n") + "\nThe runbook has errors; fix them (drbook lint \(name)) before running it.")
        }
        let source: String
        do { source = try String(contentsOfFile: path, encoding: .utf8) } catch { throw BadInput("cannot read \(path): \(error.localizedDescription)") }
        let runbook: Runbook
        do { runbook = try RunbookLoader.load(path: path) } catch { throw BadInput(String(describing: error)) }
        let request = RunRequest(runbook: runbook, source: source, paramFlags: params, profile: try workspace.profile(), environment: env,
                                 kubeContext: workspace.kubeContextName)
        let executor = try execution.executor(workspace, dryRun: dryRun)
        let outcome = try await cancellingOnInterrupt { () async throws -> RunOutcome in
            do { return try await executor.run(request) } catch { throw RunFailure(error) }
        }
        if let journal = outcome.journal, !dryRun { execution.tellNext(outcome, journal: journal, workspace) }
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

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var execution: ExecutionOptions

    @Argument(help: ArgumentHelp("The run id (see drbook runs).", valueName: "run-id"))
    var runID: String

    @Option(name: .customLong("param"), help: ArgumentHelp("Secret params must be given again (they were never journaled).", valueName: "k=v"))
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
        guard let id = RunID(runID) else { throw BadInput("'\(runID)' is not a run id; see drbook runs.") }
        let executor = try execution.executor(workspace, unfinishedSteps: skipUnfinished ? .skip : rerunUnfinished ? .rerun : .ask)
        let params = self.params
        let profile = try workspace.profile()
        let outcome = try await cancellingOnInterrupt { () async throws -> RunOutcome in
            do { return try await executor.resume(runID: id, paramFlags: params, profile: profile) } catch { throw RunFailure(error) }
        }
        if let journal = outcome.journal { execution.tellNext(outcome, journal: journal, workspace) }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "Past runs with their verdicts, newest first.")

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let store = workspace.store
        var rows: [[String]] = []
        for id in store.runs().reversed() {
            guard let contents = try? JournalReader.read(store.journal(of: id)) else {
                rows.append([id.rawValue, "?", "?", "-", "unreadable journal"])
                continue
            }
            var runbook = "?", started = "-", verdict = "", duration = "-"
            for event in contents.events {
                switch event.kind {
                case let .runStart(start):
                    runbook = start.runbook
                    started = BackupRow.timestamp(event.time)
                case let .runEnd(end):
                    verdict = end.verdict.rawValue
                    duration = String(format: "%.1f s", end.durationSeconds)
                case .runResume:
                    // A resume after the last run-end: that verdict no longer stands.
                    duration = "-"
                default: break
                }
            }
            if duration == "-" {
                // No run-end (yet): a live process holds the run's lock; otherwise the run died.
                verdict = FileRunLock.currentHolder(of: store.directory(of: id)).map { "running: drbook \($0.command), pid \($0.pid) on \($0.host)" }
                    ?? "crashed or killed (resumable)"
            }
            rows.append([id.rawValue, runbook, started, duration, verdict])
        }
        if rows.isEmpty { print("No runs in \(workspace.runsDir)/.") } else {
            print(TextTable(["RUN", "RUNBOOK", "STARTED", "DURATION", "VERDICT"], rows).render())
        }
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

    enum Format: String, ExpressibleByArgument, CaseIterable { case md, json, junit }

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: ArgumentHelp("The run id (see drbook runs).", valueName: "run-id"))
    var runID: String

    @Option(help: "md (Markdown), json, or junit (JUnit XML for CI systems).")
    var format: Format = .md

    func run() throws {
        guard let id = RunID(runID) else { throw BadInput("'\(runID)' is not a run id; see drbook runs.") }
        guard FileManager.default.fileExists(atPath: workspace.store.journal(of: id).path) else {
            throw BadInput("no run \(runID) in \(workspace.runsDir)/; see drbook runs.")
        }
        let report: RunReport
        do { report = try RunReport.load(id, store: workspace.store) } catch { throw RunFailure(error) }
        switch format {
        case .md: print(report.markdown(renderers: BuiltinActions.resultRenderers), terminator: "")
        case .json: print(try report.json())
        case .junit: print(report.junitXML(), terminator: "")
        }
    }
}
