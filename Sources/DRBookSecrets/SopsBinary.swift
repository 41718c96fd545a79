import DRBookProcess
import Foundation

/// The real `sops` program, run through `DRBookProcess.ChildProcess` (posix_spawn, own process
/// group, both pipes drained, timeout). swift-subprocess would do the same job; drbook already
/// has ChildProcess for exec steps and kubeconfig plugins, so sops goes through it too.
///
/// Plaintext only ever travels through sops's standard output into memory: nothing is written
/// to disk, and the value is never in sops's argv.
public struct SopsBinary: Sendable {
    public var executable: String
    /// sops's environment: drbook's own (the age key variables, HOME) plus `SOPS_DISABLE_VERSION_CHECK=1`,
    /// so sops never reaches out to GitHub.
    public var environment: [String: String]
    public var timeout: Duration

    /// Finds `sops` on the environment's PATH (or at `explicitPath`).
    public static func locate(environment: [String: String], explicitPath: String? = nil,
                              timeout: Duration = .seconds(60)) throws(SopsError) -> SopsBinary {
        var environment = environment
        environment["SOPS_DISABLE_VERSION_CHECK"] = "1"
        // An empty key variable means "not set" to a person, but sops 3.11 panics on an empty
        // SOPS_AGE_SSH_PRIVATE_KEY_FILE (slice bounds out of range): pass only real values.
        for (name, value) in environment where name.hasPrefix("SOPS_AGE_") && value.isEmpty {
            environment[name] = nil
        }
        let name = explicitPath ?? "sops"
        guard let executable = ChildProcess.locate(name, path: environment["PATH"]) ,
              FileManager.default.isExecutableFile(atPath: executable) else {
            let searched = explicitPath.map { "at \($0)" } ?? "on PATH (\(environment["PATH"] ?? "unset"))"
            throw SopsError(.notInstalled, "the sops program was not found \(searched)", subject: "sops", fix: SopsError.installHint)
        }
        return SopsBinary(executable: executable, environment: environment, timeout: timeout)
    }

    public init(executable: String, environment: [String: String], timeout: Duration = .seconds(60)) {
        self.executable = executable
        self.environment = environment
        self.timeout = timeout
    }

    /// `sops --version`: `sops 3.11.0` (followed by a notice on some versions).
    public func version() async throws(SopsError) -> SopsVersion {
        let result = try await run(["--version"], subject: "sops")
        guard result.exitCode == 0, let version = SopsVersion(parsing: result.stdout.text) else {
            throw SopsError(.failed, "sops --version did not print a version (exit \(result.exitCode))", subject: executable,
                            fix: SopsError.installHint, exitCode: result.exitCode)
        }
        return version
    }

    /// One value, decrypted with `sops decrypt --extract '["a"]["b"]' FILE` into memory.
    public func decrypt(file: String, key path: SopsKeyPath, recipients: [String] = []) async throws(SopsError) -> SecretValue {
        let subject = "\(file) \(path)"
        let result = try await run(["decrypt", "--extract", path.sopsIndex, file], subject: subject)
        guard result.exitCode == 0 else {
            throw SopsFailure.classify(exitCode: result.exitCode, stderr: result.stderr.text, file: file, key: path,
                                       recipients: recipients, keySources: AgeKeySources.detect(environment: environment))
        }
        // --extract prints a string without a trailing newline; numbers and booleans as text.
        return SecretValue(String(decoding: result.stdout.kept, as: UTF8.self))
    }

    func run(_ arguments: [String], subject: String, input: ChildProcess.StandardInput = .null) async throws(SopsError) -> ChildProcess.Result {
        let process = ChildProcess(arguments: ["sops"] + arguments, executable: executable, environment: environment,
                                   timeout: timeout, standardInput: input)
        let result: ChildProcess.Result
        do {
            result = try await process.run()
        } catch let error as ChildProcess.SpawnFailed {
            throw SopsError(.notInstalled, "sops at \(executable) could not be started (\(error.reason))", subject: subject, fix: SopsError.installHint)
        } catch {
            throw SopsError(.failed, "sops could not be started (\(error))", subject: subject, fix: SopsError.installHint)
        }
        switch result.ending {
        case .exited: return result
        case .timedOut:
            throw SopsError(.timedOut, "sops did not finish within \(timeout)", subject: subject,
                            fix: "check SOPS_AGE_KEY_CMD or a key service that may hang; run the same sops command by hand")
        case .cancelled:
            throw SopsError(.failed, "sops was stopped (the step was cancelled)", subject: subject, fix: "run the check again")
        }
    }
}

/// A sops version, compared to choose between `sops set --value-stdin` (3.11+) and older forms.
public struct SopsVersion: Sendable, Comparable, CustomStringConvertible, Codable {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Reads the first `X.Y.Z` in sops's `--version` text (`sops 3.11.0 (latest)`).
    public init?(parsing text: String) {
        guard let match = text.firstMatch(of: /(\d+)\.(\d+)\.(\d+)/),
              let major = Int(match.1), let minor = Int(match.2), let patch = Int(match.3) else { return nil }
        self.init(major, minor, patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: SopsVersion, rhs: SopsVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}
