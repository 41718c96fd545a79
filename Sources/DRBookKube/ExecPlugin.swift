import DRBookProcess
import Foundation

/// How exec plugins are run: the parent environment, whether standard input is a
/// terminal, and how long a plugin may take.
public struct ExecPluginRunOptions: Sendable {
    /// The parent environment the plugin inherits (its PATH also finds the command).
    public var environment: [String: String]
    public var standardInputIsTerminal: Bool
    /// kubectl has no limit; drbook stops a plugin that hangs.
    public var timeout: Duration

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                standardInputIsTerminal: Bool = isatty(STDIN_FILENO) != 0,
                timeout: Duration = .seconds(60)) {
        self.environment = environment
        self.standardInputIsTerminal = standardInputIsTerminal
        self.timeout = timeout
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
        guard let executable = locate(plugin.command) else {
            throw KubeconfigError.pluginNotFound(plugin.position, user: plugin.userName, command: plugin.command,
                                                 installHint: plugin.installHint)
        }
        var environment = options.environment
        for variable in plugin.env { environment[variable.name] = variable.value }
        environment["KUBERNETES_EXEC_INFO"] = ExecCredentialJSON.execInfo(plugin, interactive: interactive)

        // Captured whole: a credential is small, and a truncated one would only fail to parse.
        let process = ChildProcess(arguments: [executable] + plugin.args, executable: executable, environment: environment,
                                   timeout: options.timeout, captureLimit: 16 << 20,
                                   standardInput: interactive ? .inherit : .null, forwardStandardError: interactive)
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

    /// An absolute command as is; a bare name on the parent's PATH, like Go's `exec.LookPath`.
    private func locate(_ command: String) -> String? {
        if command.contains("/") {
            return FileManager.default.isExecutableFile(atPath: command) ? command : nil
        }
        let path = options.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    /// The end of the plugin's standard error, trimmed, for an error message.
    private static func excerpt(_ stderr: Data, limit: Int = 2000) -> String {
        let text = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.count > limit ? "…" + String(text.suffix(limit)) : text
    }
}
