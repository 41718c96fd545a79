import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a running `drbook sandbox start` leaves in its directory (`sandbox.json`) so that
/// `drbook sandbox status` and `stop`, run from another shell, find it: its process, its
/// ports and files. Written once every server answers; removed when it stops.
public struct SandboxRecord: Codable, Sendable, Equatable {
    public var pid: Int32
    /// The kernel's start time of that process (`/proc/<pid>/stat`), so a pid reused by
    /// another process after a crash is not taken for the sandbox.
    public var processStart: String?
    public var startedAt: Date
    /// What kubectl talks to (nginx with TLS, or the API server itself).
    public var serverURL: String
    /// The simulated API server's own plain-HTTP port (behind nginx with TLS).
    public var apiServerPort: Int
    public var tls: Bool
    public var kubeconfig: String
    public var contexts: [String]
    /// The seed it was started from; nil for a bare sandbox.
    public var seed: String?
    /// Where the simulated Velero writes (`--store` for drbook); nil for a bare sandbox.
    public var store: String?
    public var heartbeatURL: String?

    public init(pid: Int32 = getpid(), startedAt: Date = Date(), serverURL: String, apiServerPort: Int, tls: Bool, kubeconfig: String,
                contexts: [String], seed: String?, store: String?, heartbeatURL: String?) {
        self.pid = pid
        self.processStart = SandboxProcess.startTime(of: pid)
        self.startedAt = startedAt
        self.serverURL = serverURL
        self.apiServerPort = apiServerPort
        self.tls = tls
        self.kubeconfig = kubeconfig
        self.contexts = contexts
        self.seed = seed
        self.store = store
        self.heartbeatURL = heartbeatURL
    }

    public static let fileName = "sandbox.json"

    public static func file(in directory: URL) -> URL { directory.appendingPathComponent(fileName) }

    public func write(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(to: Self.file(in: directory), options: .atomic)
    }

    /// The record in `directory`, or nil when no sandbox has left one there.
    public static func read(in directory: URL) throws -> SandboxRecord? {
        let file = file(in: directory)
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(SandboxRecord.self, from: data)
        } catch {
            throw SandboxError.record("\(file.path) is not a sandbox record (\(error)); remove it if no sandbox runs there")
        }
    }

    public static func remove(in directory: URL) {
        try? FileManager.default.removeItem(at: file(in: directory))
    }

    /// Whether the recorded process is still the sandbox that wrote the record.
    public var isRunning: Bool {
        guard SandboxProcess.exists(pid) else { return false }
        guard let processStart else { return true }
        return SandboxProcess.startTime(of: pid).map { $0 == processStart } ?? true
    }
}

/// What `stop` did.
public enum SandboxStopOutcome: Sendable, Equatable {
    /// The sandbox ended within the wait.
    case stopped(pid: Int32)
    /// No sandbox ran any more (it crashed or was killed); its record and nginx were cleaned up.
    case wasNotRunning(pid: Int32)
}

extension SandboxRecord {
    /// Asks the recorded sandbox to stop (SIGTERM, as Ctrl-C), waits until it is gone, then
    /// makes sure its nginx is gone too and removes the record. `progress` is called about
    /// every two seconds while it waits.
    public static func stop(in directory: URL, timeout: Duration = .seconds(30),
                            progress: @Sendable (Duration) -> Void = { _ in }) async throws -> SandboxStopOutcome? {
        guard let record = try read(in: directory) else {
            // No record, but perhaps an nginx of a sandbox that was killed before it wrote one.
            stopNginx(in: directory)
            return nil
        }
        var outcome = SandboxStopOutcome.wasNotRunning(pid: record.pid)
        if record.isRunning {
            kill(record.pid, SIGTERM)
            let started = ContinuousClock.now
            var told = Duration.zero
            while record.isRunning {
                let waited = ContinuousClock.now - started
                guard waited < timeout else {
                    throw SandboxError.record("the sandbox (pid \(record.pid)) did not stop within \(timeout) of SIGTERM; kill it with: kill -9 \(record.pid)")
                }
                if waited - told >= .seconds(2) {
                    told = waited
                    progress(waited)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            outcome = .stopped(pid: record.pid)
        }
        stopNginx(in: directory)
        remove(in: directory)
        return outcome
    }

    /// Ends the nginx whose pid file is in `directory`, if it still runs and is nginx.
    static func stopNginx(in directory: URL) {
        let pidFile = directory.appendingPathComponent(TLSTerminator.pidFileName)
        defer { try? FileManager.default.removeItem(at: pidFile) }
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), SandboxProcess.exists(pid),
              SandboxProcess.name(of: pid) == "nginx" else { return }
        kill(pid, SIGTERM)
        for _ in 0..<100 where SandboxProcess.exists(pid) { usleep(20_000) }
        if SandboxProcess.exists(pid) { kill(pid, SIGKILL) }
    }
}

/// Processes by pid, through Linux's /proc where it tells more.
enum SandboxProcess {
    static func exists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno != EPERM { return false }
        // A zombie has exited; its parent just has not reaped it yet.
        return state(of: pid) != "Z"
    }

    /// Field 22 of `/proc/<pid>/stat`: when the process started, in clock ticks since boot.
    static func startTime(of pid: Int32) -> String? { statFields(of: pid).flatMap { $0.count > 19 ? $0[19] : nil } }

    private static func state(of pid: Int32) -> String? { statFields(of: pid)?.first }

    /// The fields after the command name, which may itself hold spaces and parentheses.
    private static func statFields(of pid: Int32) -> [String]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ").map(String.init)
    }

    static func name(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
