import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs an exec plugin to completion on a thread of its own (nothing blocks Swift's
/// cooperative pool), with a time limit.
///
/// Spawned directly rather than through Foundation's `Process`: on Linux, `Process`
/// reports an exit only once every descendant has closed an inherited descriptor, so a
/// plugin that leaves a child behind (or is stuck in one) could never time out. Here
/// the plugin gets its own process group, and on timeout the whole group gets SIGTERM,
/// then SIGKILL. (Interactive plugins stay in our group so they may read the terminal;
/// only the plugin itself is signalled then.)
struct PluginProcess {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var timedOut: Bool
    }

    struct SpawnFailed: Error {
        var errno: Int32
        var reason: String { String(cString: strerror(errno)) }
    }

    var executable: String
    var arguments: [String]
    var environment: [String: String]
    /// Hand the plugin our standard input (interactive plugins only); otherwise /dev/null.
    var passStandardInput: Bool
    /// Also copy the plugin's standard error to ours as it arrives (prompts for a person).
    var forwardStandardError: Bool
    var timeout: Duration

    func run() async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let job = self
            Thread.detachNewThread {
                continuation.resume(with: Result { try job.runBlocking() })
            }
        }
    }

    private func runBlocking() throws -> Output {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw SpawnFailed(errno: errno) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw SpawnFailed(errno: errno)
        }
        // Other plugins spawned meanwhile must not inherit these ends.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        let pid: pid_t
        do {
            pid = try spawn(stdout: outPipe[1], stderr: errPipe[1])
        } catch {
            for fd in outPipe + errPipe { close(fd) }
            throw error
        }
        close(outPipe[1])
        close(errPipe[1])

        let streams = DispatchGroup()
        let out = Collected()
        let err = Collected()
        collect(outPipe[0], into: out, group: streams, forward: false)
        collect(errPipe[0], into: err, group: streams, forward: forwardStandardError)

        // Poll for the exit: the plugin usually ends within milliseconds.
        let target = passStandardInput ? pid : -pid
        var status: Int32 = 0
        var timedOut = false
        let deadline = Date().addingTimeInterval(timeout.timeInterval)
        while !reaped(pid, &status) {
            if Date() >= deadline {
                timedOut = true
                kill(target, SIGTERM)
                let grace = Date().addingTimeInterval(2)
                while !reaped(pid, &status), Date() < grace { usleep(10_000) }
                if !reaped(pid, &status) {
                    kill(target, SIGKILL)
                    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                }
                break
            }
            usleep(5_000)
        }
        if timedOut, !passStandardInput { kill(-pid, SIGKILL) }  // anything of the plugin's still alive
        // A child the plugin left behind may hold the pipes open; do not wait for it long.
        _ = streams.wait(timeout: .now() + 2)
        return Output(status: Self.exitCode(status), stdout: out.data, stderr: err.data, timedOut: timedOut)
    }

    private func reaped(_ pid: pid_t, _ status: inout Int32) -> Bool {
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result == -1 && errno == ECHILD)
    }

    private func spawn(stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if !passStandardInput { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Close whatever else is open without close-on-exec (glibc ignores EBADF here).
        for fd in Self.openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if !passStandardInput {
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

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnFailed(errno: result) }
        return pid
    }

    private static func openDescriptors() -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }
    }

    /// The exit code, or 128 + the signal that ended the plugin (like a shell reports it).
    private static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private func collect(_ fd: Int32, into buffer: Collected, group: DispatchGroup, forward: Bool) {
        group.enter()
        Thread.detachNewThread {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                buffer.append(chunk[0..<count])
                if forward { _ = chunk.withUnsafeBytes { write(2, $0.baseAddress, count) } }
            }
            close(fd)
            group.leave()
        }
    }
}

/// Bytes gathered by a reader thread, read by the waiting thread.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()

    func append(_ chunk: ArraySlice<UInt8>) { lock.withLock { bytes.append(contentsOf: chunk) } }
    var data: Data { lock.withLock { bytes } }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
