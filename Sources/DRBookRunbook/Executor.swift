import DRBookDigest
import Foundation

/// How runs are carried out: the actions, where journals go, who confirms, who watches.
public struct ExecutorConfiguration: Sendable {
    public var registry: ActionRegistry
    public var store: RunStore
    public var prompt: any ConfirmationPrompt
    public var observer: any ExecutionObserver
    /// --yes: destructive steps run without asking, and `confirm` questions are answered yes.
    /// It does not answer for a step a crash left unfinished: that needs `unfinishedSteps`.
    public var assumeYes: Bool
    /// --assume-manual-done: `manual` steps count as done without asking.
    public var assumeManualDone: Bool
    /// --rerun-unfinished / --skip-unfinished: what a resume does with a mutating step that started and never finished.
    public var unfinishedSteps: UnfinishedStepPolicy
    /// --dry-run: see `DryRunPlan` for what runs.
    public var dryRun: Bool
    /// What `env.X` reads.
    public var environment: [String: String]
    /// Environment variables whose values are secrets (tokens, webhook URLs); they are redacted everywhere.
    public var secretEnvironmentNames: Set<String>
    public var clock: RunClock
    /// Parallel groups without `maxConcurrency` run at most this many steps at once.
    public var maxConcurrency: Int
    /// How long a cancelled or timed-out action gets to stop before the run goes on without it.
    public var cancellationGrace: Duration
    public var user: String
    public var host: String
    /// Keeps a second process from running or resuming the same run at the same time.
    public var runLock: any RunLocking
    /// What params' `${{ platform.… }}` defaults read: the platform profile as data.
    public var platform: Value = .map([:])
    /// Secrets known by their shape (a Slack webhook, a ping URL), hidden wherever they appear
    /// even when no param marks them; a URL's user-info is always hidden.
    public var secretShapes: [SecretShape] = []

    public init(
        registry: ActionRegistry,
        store: RunStore = RunStore(),
        prompt: any ConfirmationPrompt = NoTerminalPrompt(),
        observer: any ExecutionObserver = SilentObserver(),
        assumeYes: Bool = false,
        assumeManualDone: Bool = false,
        unfinishedSteps: UnfinishedStepPolicy = .ask,
        dryRun: Bool = false,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        secretEnvironmentNames: Set<String> = [],
        clock: RunClock = .system,
        maxConcurrency: Int = 4,
        cancellationGrace: Duration = .seconds(5),
        user: String? = nil,
        host: String? = nil,
        runLock: any RunLocking = NoRunLock(),
        platform: Value = .map([:])
    ) {
        self.registry = registry
        self.store = store
        self.prompt = prompt
        self.observer = observer
        self.assumeYes = assumeYes
        self.assumeManualDone = assumeManualDone
        self.unfinishedSteps = unfinishedSteps
        self.dryRun = dryRun
        self.environment = environment
        self.secretEnvironmentNames = secretEnvironmentNames
        self.clock = clock
        self.maxConcurrency = max(maxConcurrency, 1)
        self.cancellationGrace = cancellationGrace
        self.user = user ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        self.host = host ?? ProcessInfo.processInfo.hostName
        self.runLock = runLock
        self.platform = platform
    }
}

/// One runbook to run, with where its params come from.
public struct RunRequest: Sendable {
    public var runbook: Runbook
    /// The runbook file's text, whose SHA-256 the journal records (and resume checks).
    public var source: String
    /// `--param name=value`, as typed.
    public var paramFlags: [String]
    public var profile: Profile?
    /// `--env`; on resume, defaults to the environment the run started with.
    public var environment: String?
    public var kubeContext: String?

    public init(runbook: Runbook, source: String, paramFlags: [String] = [], profile: Profile? = nil, environment: String? = nil, kubeContext: String? = nil) {
        self.runbook = runbook
        self.source = source
        self.paramFlags = paramFlags
        self.profile = profile
        self.environment = environment
        self.kubeContext = kubeContext
    }
}

/// Why a run could not start at all (nothing was run).
public enum ExecutorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Params that do not resolve: exit 2.
    case badInput(RunbookError)
    /// The journal cannot be created, read or appended to.
    case journal(JournalError)
    /// `resume` refused: unknown run, changed runbook, nothing left to do. Exit 2.
    case cannotResume(String)
    /// Another process is running or resuming the run. Exit 2: nothing was done.
    case locked(RunLockError)

    public var exitCode: Int32 {
        switch self {
        case .badInput, .cannotResume, .locked: return 2
        case .journal: return 1
        }
    }

    public var description: String {
        switch self {
        case let .badInput(error): return error.description
        case let .journal(error): return error.description
        case let .cannotResume(message): return message
        case let .locked(error): return error.description
        }
    }
}

/// Runs runbooks and resumes interrupted runs.
///
/// Cancel the task that calls `run` or `resume` (as Ctrl-C does) and the run
/// ends cleanly: the running steps are cancelled, the journal gets a run-end
/// with verdict `interrupted`, and the outcome's exit code is 4.
public struct Executor: Sendable {
    public var configuration: ExecutorConfiguration

    public init(_ configuration: ExecutorConfiguration) {
        self.configuration = configuration
    }

    public func run(_ request: RunRequest) async throws(ExecutorError) -> RunOutcome {
        let params: ResolvedParams
        do {
            params = try ParamResolver.resolve(request.runbook, flags: request.paramFlags, profile: request.profile, environment: request.environment,
                                               platform: configuration.platform)
        } catch {
            throw .badInput(Self.redactingSecretFlags(error, request))
        }
        let redactor = makeRedactor(request.runbook, params)
        let runID = configuration.store.newRunID(at: configuration.clock.now())
        var journal: Journal?
        var lease: (any RunLease)?
        defer { lease?.release() }
        if !configuration.dryRun {
            let url = configuration.store.journal(of: runID)
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw .journal(JournalError(url: url, "cannot create the run folder: \(error.localizedDescription)"))
            }
            lease = try lock(runID, command: "run")
            do {
                journal = try Journal.create(at: url)
            } catch {
                throw .journal(error)
            }
        }
        let recorder = EventRecorder(journal: journal, redactor: redactor, observer: configuration.observer, clock: configuration.clock)
        recorder.record(.runStart(.init(
            runID: runID,
            runbook: request.runbook.metadata.name,
            runbookFile: request.runbook.file,
            runbookSHA256: SHA256Digest.hex(of: request.source),
            params: journaledParams(request.runbook, params),
            secretParams: request.runbook.params.filter(\.secret).map(\.name),
            environment: request.environment,
            user: configuration.user,
            host: configuration.host,
            kubeContext: request.kubeContext)))
        let loop = RunLoop(
            runbook: request.runbook, configuration: configuration, recorder: recorder,
            params: params.values, resume: .fresh)
        return await loop.execute(runID: runID, journal: journal?.url.path)
    }

    /// Continues run `runID`, loading its runbook from the path in the journal.
    public func resume(runID: RunID, paramFlags: [String] = [], profile: Profile? = nil, environment: String? = nil) async throws(ExecutorError) -> RunOutcome {
        let start = try ResumeAnalysis.runStart(of: runID, in: configuration.store)
        let source: String
        do {
            source = try String(contentsOfFile: start.runbookFile, encoding: .utf8)
        } catch {
            throw .cannotResume("cannot read runbook \(start.runbookFile), which run \(runID) used: \(error.localizedDescription)")
        }
        let runbook: Runbook
        do {
            runbook = try RunbookLoader.load(yaml: source, file: start.runbookFile)
        } catch {
            throw .badInput(error)
        }
        return try await resume(runID: runID, RunRequest(runbook: runbook, source: source, paramFlags: paramFlags, profile: profile, environment: environment))
    }

    /// Continues run `runID` with `request`'s runbook, which must be the very file the run started with.
    ///
    /// Finished steps are not run again (their non-secret outputs come from the
    /// journal); read-only steps whose secret outputs later steps need are run
    /// again; a mutating step that started and never finished is run again or
    /// skipped as completed only as the operator says (on the terminal, or
    /// with `unfinishedSteps`), unless its action is idempotent.
    /// Non-secret params keep the values the run started with; secret ones,
    /// never journaled, must be given again.
    public func resume(runID: RunID, _ request: RunRequest) async throws(ExecutorError) -> RunOutcome {
        let url = configuration.store.journal(of: runID)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .cannotResume("there is no run \(runID) in \(configuration.store.root.path); `drbook runs` lists the runs")
        }
        // Held from before the journal is read until the resume ends: a second resume must not see the same unfinished steps.
        let lease = try lock(runID, command: "resume")
        defer { lease.release() }
        let contents: JournalReader.Contents
        do {
            contents = try JournalReader.read(url)
        } catch {
            throw .journal(error)
        }
        let analysis = try ResumeAnalysis(events: contents.events, runID: runID, request: request, registry: configuration.registry)
        if let changed = analysis.changedParam(request.runbook, flags: request.paramFlags) { throw .cannotResume(changed) }
        let params: ResolvedParams
        do {
            params = try ParamResolver.resolve(
                request.runbook, flags: request.paramFlags + analysis.journaledParamFlags(request.runbook),
                profile: request.profile, environment: request.environment ?? analysis.start.environment, platform: configuration.platform)
        } catch {
            throw .badInput(Self.redactingSecretFlags(error, request))
        }
        let journal: Journal
        do {
            journal = try Journal.openForAppending(at: url)
        } catch {
            throw .journal(error)
        }
        let redactor = makeRedactor(request.runbook, params)
        let recorder = EventRecorder(journal: journal, redactor: redactor, observer: configuration.observer, clock: configuration.clock)
        recorder.record(.runResume(.init(
            user: configuration.user, host: configuration.host,
            restored: analysis.state.restoredInOrder(request.runbook), rerun: analysis.rerun.sorted())))
        let loop = RunLoop(
            runbook: request.runbook, configuration: configuration, recorder: recorder,
            params: params.values, resume: analysis.state)
        return await loop.execute(runID: runID, journal: url.path)
    }

    private func lock(_ runID: RunID, command: String) throws(ExecutorError) -> any RunLease {
        let holder = RunLockHolder(
            pid: ProcessInfo.processInfo.processIdentifier, host: configuration.host, user: configuration.user,
            command: command, since: configuration.clock.now())
        do {
            return try configuration.runLock.acquire(runID, directory: configuration.store.directory(of: runID), holder: holder)
        } catch {
            throw .locked(error)
        }
    }

    /// Param problems quote the values given; those of secret params must not reach the terminal.
    private static func redactingSecretFlags(_ error: RunbookError, _ request: RunRequest) -> RunbookError {
        let redactor = Redactor()
        for flag in request.paramFlags {
            guard let equals = flag.firstIndex(of: "="), request.runbook.param(named: String(flag[..<equals]))?.secret == true else { continue }
            redactor.add(String(flag[flag.index(after: equals)...]))
        }
        // Always: a URL's user-info is hidden even when no secret param was given.
        return RunbookError(error.diagnostics.map { diagnostic in
            var copy = diagnostic
            copy.message = redactor.redact(diagnostic.message)
            copy.fix = diagnostic.fix.map { redactor.redact($0) }
            return copy
        })
    }

    private func makeRedactor(_ runbook: Runbook, _ params: ResolvedParams) -> Redactor {
        let redactor = Redactor(shapes: configuration.secretShapes)
        for param in runbook.params where param.secret {
            if let value = params[param.name], value != .null { redactor.add(value) }
        }
        for name in configuration.secretEnvironmentNames {
            if let value = configuration.environment[name] { redactor.add(value) }
        }
        return redactor
    }

    private func journaledParams(_ runbook: Runbook, _ params: ResolvedParams) -> [String: Value] {
        var shown = params.values
        for param in runbook.params where param.secret && params[param.name] != .null {
            shown[param.name] = .string(Redactor.replacement)
        }
        return shown
    }
}
