import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program run to completion with its output captured: `exec` steps and kubeconfig
/// exec credential plugins.
///
/// Spawned with `posix_spawn` rather than Foundation's `Process`: the program gets a
/// process group of its own, so a timeout or a cancelled step ends it *and* whatever it
/// started (SIGTERM, then SIGKILL after a grace period), and an exit is noticed even
/// when a leftover grandchild still holds the output pipes. The blocking work happens on
/// threads of its own; nothing blocks Swift's cooperative pool. Both pipes are drained
/// concurrently, so a program filling one while drbook waits on the other cannot stall.
/// An interactive program (one that reads the terminal) stays in drbook's process group,
/// since a background group may not read the terminal; then only the program itself is
/// signalled.
public struct ChildProcess: Sendable {
    /// The program's standard input: nothing, drbook's own (an interactive login), or bytes
    /// written through a pipe (a secret handed to `sops set --value-stdin`, never in argv).
    public enum StandardInput: Sendable, Equatable { case null, inherit, bytes(Data) }

    /// argv[0] as given (it is what the program sees); `executable` is where it was found.
    public var arguments: [String]
    public var executable: String
    public var environment: [String: String]
    public var directory: String?
    public var timeout: Duration
    /// Bytes kept of each stream; the rest is counted and discarded.
    public var captureLimit: Int
    /// How long SIGTERM gets before SIGKILL.
    public var grace: Duration
    public var standardInput: StandardInput
    /// Also copy the program's standard error to drbook's as it arrives (a login prompt).
    public var forwardStandardError: Bool

    public init(arguments: [String], executable: String, environment: [String: String], directory: String? = nil,
                timeout: Duration, captureLimit: Int = 1 << 20, grace: Duration = .seconds(2),
                standardInput: StandardInput = .null, forwardStandardError: Bool = false) {
        self.arguments = arguments
        self.executable = executable
        self.environment = environment
        self.directory = directory
        self.timeout = timeout
        self.captureLimit = captureLimit
        self.grace = grace
        self.standardInput = standardInput
        self.forwardStandardError = forwardStandardError
    }

    public enum Ending: Sendable, Equatable { case exited, timedOut, cancelled }

    public struct Result: Sendable {
        /// The exit status, or 128 + the signal that ended it (as a shell reports it).
        public var exitCode: Int
        public var stdout: CapturedOutput
        public var stderr: CapturedOutput
        public var ending: Ending
        public var elapsed: Duration
    }

    public struct SpawnFailed: Error, Sendable {
        public var errno: Int32
        public var reason: String { String(cString: strerror(errno)) }
    }

    /// Whether the program has a process group of its own (everything it starts can be ended).
    private var ownGroup: Bool { standardInput != .inherit }

    /// Where `name` is found: a name with a slash is taken as a path; otherwise `PATH` is searched.
    public static func locate(_ name: String, path: String?) -> String? {
        if name.contains("/") { return name }
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for directory in directories where !directory.isEmpty {
            let candidate = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    public func run() async throws -> Result {
        let stop = StopRequest()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let job = self
                Thread.detachNewThread { continuation.resume(with: Swift.Result { try job.runBlocking(stop) }) }
            }
        } onCancel: {
            stop.request()
        }
    }

    private func runBlocking(_ stop: StopRequest) throws -> Result {
        let started = ContinuousClock.now
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw SpawnFailed(errno: errno) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw SpawnFailed(errno: errno)
        }
        var inPipe: [Int32] = [-1, -1]
        if case .bytes = standardInput, pipe(&inPipe) != 0 {
            for fd in outPipe + errPipe { close(fd) }
            throw SpawnFailed(errno: errno)
        }
        let pipes = (outPipe + errPipe + inPipe).filter { $0 >= 0 }
        // Programs spawned meanwhile by other steps must not inherit these ends.
        for fd in pipes { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid: pid_t
        do {
            pid = try spawn(stdin: inPipe[0], stdout: outPipe[1], stderr: errPipe[1])
        } catch {
            for fd in pipes { close(fd) }
            throw error
        }
        close(outPipe[1])
        close(errPipe[1])
        if case let .bytes(data) = standardInput {
            close(inPipe[0])
            Self.feed(data, to: inPipe[1])
        }

        let readers = DispatchGroup()
        let stdout = OutputCollector(limit: captureLimit)
        let stderr = OutputCollector(limit: captureLimit)
        stdout.drain(outPipe[0], group: readers)
        stderr.drain(errPipe[0], group: readers, forward: forwardStandardError)

        var status: Int32 = 0
        var ending = Ending.exited
        let deadline = ContinuousClock.now + timeout
        while !reaped(pid, &status) {
            if stop.isRequested || ContinuousClock.now >= deadline {
                ending = stop.isRequested ? .cancelled : .timedOut
                terminateGroup(pid, &status)
                break
            }
            usleep(5_000)
        }
        // A child the program left behind may hold the pipes open; do not wait for it long.
        _ = readers.wait(timeout: .now() + 2)
        return Result(exitCode: Self.exitCode(status), stdout: stdout.output, stderr: stderr.output,
                      ending: ending, elapsed: ContinuousClock.now - started)
    }

    /// SIGTERM to the whole group (or the program alone when it shares ours), SIGKILL to
    /// what is left after the grace period.
    private func terminateGroup(_ pid: pid_t, _ status: inout Int32) {
        let target = ownGroup ? -pid : pid
        kill(target, SIGTERM)
        let graceEnds = ContinuousClock.now + grace
        while !reaped(pid, &status), ContinuousClock.now < graceEnds { usleep(10_000) }
        kill(target, SIGKILL)
        if !reaped(pid, &status) {
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        }
    }

    private func reaped(_ pid: pid_t, _ status: inout Int32) -> Bool {
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result == -1 && errno == ECHILD)
    }

    private func spawn(stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch standardInput {
        case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case .bytes: posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        case .inherit: break
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Close whatever else is open without close-on-exec (glibc ignores EBADF here).
        for fd in Self.openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        if let directory {
            let result = Self.addChangeDirectory(&actions, directory)
            guard result == 0 else { throw SpawnFailed(errno: result) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if ownGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        // The child gets its three standard streams and nothing else: a descriptor another
        // thread opened meanwhile (a pipe, the journal) must not live on in a long-lived child.
        _ = Self.addCloseFrom(&actions, 3)
        var pid: pid_t = 0
        var result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // A script written a moment ago can still be open for writing in a child another
        // thread forked meanwhile (the descriptor is inherited until that child execs):
        // exec then fails with ETXTBSY. The window is short; try again briefly, as Go does.
        var retries = 0
        while result == ETXTBSY && retries < 40 {
            retries += 1
            usleep(25_000)
            result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        guard result == 0 else { throw SpawnFailed(errno: result) }
        return pid
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), looked up at run time like
    /// addchdir; where it is missing the child inherits what is not close-on-exec, as before.
    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) -> Int32 {
        #if canImport(Glibc)
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return ENOSYS }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
        #else
        return 0
        #endif
    }

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+); Swift's Glibc module does not
    /// export it, so it is looked up at run time, as Foundation's own `Process` does.
    private static func addChangeDirectory(_ actions: inout posix_spawn_file_actions_t, _ directory: String) -> Int32 {
        #if canImport(Glibc)
        typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return ENOSYS }
        let addChdir = unsafeBitCast(symbol, to: AddChdir.self)
        return directory.withCString { addChdir(&actions, $0) }
        #else
        return posix_spawn_file_actions_addchdir_np(&actions, directory)
        #endif
    }

    /// Writes the input on a thread of its own (a program may read it only after writing
    /// output, and a pipe holds 64 KiB), then closes the pipe so the program sees its end.
    /// SIGPIPE is blocked on that thread: a program that exits unread gives EPIPE, not a crash.
    private static func feed(_ data: Data, to fd: Int32) {
        Thread.detachNewThread {
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            data.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0, errno == EINTR { continue }
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(fd)
        }
    }

    private static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    private static func exitCode(_ status: Int32) -> Int {
        let signal = status & 0x7f
        return Int(signal == 0 ? (status >> 8) & 0xff : 128 + signal)
    }
}

/// What a program wrote to one stream: the first `limit` bytes, and how many there were in all.
public struct CapturedOutput: Sendable, Equatable {
    public var kept: Data
    public var totalBytes: Int

    public var isTruncated: Bool { totalBytes > kept.count }

    /// The kept bytes as text, with a note when some were dropped.
    public var text: String {
        let text = String(decoding: kept, as: UTF8.self)
        guard isTruncated else { return text }
        return text + "\n[drbook: output truncated; the first \(kept.count) of \(totalBytes) bytes are shown]"
    }

    /// The end of the text, for an error message: at most `characters`, marked when cut.
    public func excerpt(_ characters: Int = 1_000) -> String {
        let text = self.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count > characters else { return text }
        return "…" + text.suffix(characters)
    }
}

/// Reads one pipe to its end on a thread of its own, keeping at most `limit` bytes.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var kept = Data()
    private var total = 0

    init(limit: Int) { self.limit = limit }

    var output: CapturedOutput { lock.withLock { CapturedOutput(kept: kept, totalBytes: total) } }

    func drain(_ fd: Int32, group: DispatchGroup, forward: Bool = false) {
        group.enter()
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                if forward { _ = chunk.withUnsafeBytes { write(2, $0.baseAddress, count) } }
                self.lock.withLock {
                    self.total += count
                    let room = self.limit - self.kept.count
                    if room > 0 { self.kept.append(contentsOf: chunk[0..<min(room, count)]) }
                }
            }
            close(fd)
            group.leave()
        }
    }
}

/// Set once when the step is cancelled; read by the thread waiting for the program.
private final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    func request() { lock.withLock { requested = true } }
    var isRequested: Bool { lock.withLock { requested } }
}
