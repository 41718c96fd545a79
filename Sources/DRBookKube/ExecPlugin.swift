import DRBookProcess
import DRBookText
import Foundation

/// How exec plugins are run: the parent environment, whether standard input is a
/// terminal, how long a plugin may take, and where "still waiting" is told.
public struct ExecPluginRunOptions: Sendable {
    /// The parent environment the plugin inherits (its PATH also finds the command).
    public var environment: [String: String]
    public var standardInputIsTerminal: Bool
    /// kubectl has no limit; drbook stops a plugin that hangs.
    public var timeout: Duration
    /// How long a plugin runs before `progress` is told that drbook is waiting for it.
    public var progressDelay: Duration
    /// Gets one line when the plugin is still running after `progressDelay`.
    public var progress: @Sendable (String) -> Void

    /// The timeout when none is given: `timeoutVariable` in seconds, else 60 s — a login
    /// that needs longer than a minute is done by hand first.
    public static let defaultTimeout = Duration.seconds(60)
    /// The environment variable that sets the timeout, in whole seconds.
    public static let timeoutVariable = "DRBOOK_EXEC_PLUGIN_TIMEOUT"

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                standardInputIsTerminal: Bool = isatty(STDIN_FILENO) != 0,
                timeout: Duration? = nil,
                progressDelay: Duration = .seconds(2),
                progress: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data("\($0)\n".utf8)) }) {
        self.environment = environment
        self.standardInputIsTerminal = standardInputIsTerminal
        let configured = environment[Self.timeoutVariable].flatMap(Int.init).flatMap { $0 > 0 ? Duration.seconds($0) : nil }
        self.timeout = timeout ?? configured ?? Self.defaultTimeout
        self.progressDelay = progressDelay
        self.progress = progress
    }
}

/// One exec credential plugin (client-go `plugin/pkg/client/auth/exec`): runs it when a
/// credential is needed, caches what it returns until `expirationTimestamp` (for the
/// life of the process without one), and runs it again after `invalidate`.
/// Concurrent callers share one run.
public actor ExecCredentialPlugin {
    public let configuration: ExecPluginConfiguration
    private let options: ExecPluginRunOptions
    private let clock: KubeClock
    private var cached: ExecCredential?
    private var inFlight: Task<(credential: ExecCredential, generation: Int), Error>?
    /// Increases with every credential the plugin produced.
    public private(set) var generation = 0
    /// How many times the plugin was started.
    public private(set) var runs = 0

    public init(_ configuration: ExecPluginConfiguration, options: ExecPluginRunOptions = ExecPluginRunOptions(),
                clock: KubeClock = .system) {
        self.configuration = configuration
        self.options = options
        self.clock = clock
    }

    /// A valid credential and its generation, from the cache or a fresh run.
    public func credential() async throws -> (credential: ExecCredential, generation: Int) {
        if let cached, isValid(cached) { return (cached, generation) }
        if let inFlight { return try await inFlight.value }
        let task = Task { try await self.runAndStore() }
        inFlight = task
        return try await task.value
    }

    private func runAndStore() async throws -> (credential: ExecCredential, generation: Int) {
        defer { inFlight = nil }
        let fresh = try await runPlugin()
        cached = fresh
        generation += 1
        return (fresh, generation)
    }

    /// Drops the cached credential so the next request runs the plugin again. With a
    /// generation, only when the cache still holds that one (a 401 answered to an older
    /// credential must not discard a newer one).
    public func invalidate(generation used: Int? = nil) {
        if let used, used != generation { return }
        cached = nil
    }

    private func isValid(_ credential: ExecCredential) -> Bool {
        guard let expiry = credential.expirationTimestamp else { return true }
        return clock.now() < expiry
    }

    private func runPlugin() async throws -> ExecCredential {
        runs += 1
        let plugin = configuration
        let interactive: Bool
        switch plugin.interactiveMode {
        case .never: interactive = false
        case .ifAvailable: interactive = options.standardInputIsTerminal
        case .always:
            guard options.standardInputIsTerminal else {
                throw KubeconfigError.pluginNeedsTerminal(plugin.position, user: plugin.userName)
            }
            interactive = true
        }
        let executable = try plugin.executable(environment: options.environment)
        var environment = options.environment
        for variable in plugin.env { environment[variable.name] = variable.value }
        environment["KUBERNETES_EXEC_INFO"] = ExecCredentialJSON.execInfo(plugin, interactive: interactive)

        // Captured whole: a credential is small, and a truncated one would only fail to parse.
        let process = ChildProcess(arguments: [executable] + plugin.args, executable: executable, environment: environment,
                                   timeout: options.timeout, captureLimit: 16 << 20,
                                   standardInput: interactive ? .inherit : .null, forwardStandardError: interactive)
        // A plugin that waits on a network or a login would otherwise leave the terminal silent.
        let notice = Task { [options] in
            try await Task.sleep(for: options.progressDelay)
            options.progress("waiting for the credential plugin \(plugin.command) of user \"\(plugin.userName)\" "
                + "(stopped after \(DurationText.format(options.timeout)))")
        }
        defer { notice.cancel() }
        let output: ChildProcess.Result
        do {
            output = try await process.run()
        } catch {
            throw KubeconfigError.pluginCannotStart(plugin.position, user: plugin.userName, command: plugin.command,
                                                    reason: (error as? ChildProcess.SpawnFailed)?.reason ?? "\(error)")
        }
        if output.ending == .cancelled { throw CancellationError() }
        if output.ending == .timedOut {
            throw KubeconfigError.pluginTimedOut(plugin.position, user: plugin.userName, command: plugin.command,
                                                 after: options.timeout)
        }
        guard output.exitCode == 0 else {
            throw KubeconfigError.pluginFailed(plugin.position, user: plugin.userName, command: plugin.command,
                                               status: Int32(output.exitCode), stderr: Self.excerpt(output.stderr.kept))
        }
        do {
            return try ExecCredentialJSON.parse(output.stdout.kept, expecting: plugin.apiVersion)
        } catch {
            throw KubeconfigError.pluginBadOutput(plugin.position, user: plugin.userName, command: plugin.command, error.text)
        }
    }

    /// The end of the plugin's standard error, trimmed, for an error message.
    private static func excerpt(_ stderr: Data, limit: Int = 2000) -> String {
        let text = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.count > limit ? "…" + String(text.suffix(limit)) : text
    }
}

extension KubeconfigError {
    static func pluginNotExecutable(_ at: KubeconfigPosition, user: String, command: String, path: String) -> KubeconfigError {
        at.error(.execPlugin, field: "users[\"\(user)\"].user.exec.command",
                 "the exec plugin \"\(command)\" of user \"\(user)\" is not executable (\(path))",
                 fix: "Make it executable: chmod +x \(path)")
    }
}

extension ExecPluginConfiguration {
    /// Where the plugin's command is: an absolute command as is, a bare name on `environment`'s
    /// PATH, like Go's `exec.LookPath`. A file that is there but not executable is told apart,
    /// since "not found" would send the reader looking for a file they can see. Reads the file
    /// system only, so a run can check its plugin before it starts.
    public func executable(environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeconfigError) -> String {
        let candidates: [String]
        if command.contains("/") {
            candidates = [command]
        } else {
            let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            candidates = path.split(separator: ":").map { "\($0)/\(command)" }
        }
        var notExecutable: String?
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            notExecutable = notExecutable ?? candidate
        }
        if let notExecutable {
            throw KubeconfigError.pluginNotExecutable(position, user: userName, command: command, path: notExecutable)
        }
        throw KubeconfigError.pluginNotFound(position, user: userName, command: command, installHint: installHint)
    }
}

extension KubeEndpoint {
    /// Throws when the endpoint's exec credential plugin cannot be started (not found, not
    /// executable); nothing is run. Endpoints without a plugin pass.
    public func checkCredentialPlugin(environment: [String: String] = ProcessInfo.processInfo.environment) throws(KubeconfigError) {
        if case let .exec(plugin) = credential { _ = try plugin.executable(environment: environment) }
    }
}
