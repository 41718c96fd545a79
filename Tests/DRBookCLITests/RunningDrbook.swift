import DRBookProcess
import DRBookTestSupport
import Foundation
import Testing

// The command-line tests run in the same process as tests whose servers (the sandbox's Kubernetes
// API) live in Swift's cooperative pool, which has one thread per core. Nothing here holds one of
// those threads while a program runs: `drbook(_:)` awaits `ChildProcess` (it waits on threads of
// its own), `waitUntil` sleeps between polls, a process the test watches is spawned through
// `offPool`, pseudo-terminals are read on threads of their own, and every test body runs on the
// command-line tests' own thread (`.offPoolOneAtATime`). Output is never read from a `Pipe` to its
// end: a server another test starts meanwhile can inherit the write end and keep it open.

/// The built `drbook` binary beside the test bundle.
var drbookBinary: URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("drbook")
    return FileManager.default.fileExists(atPath: beside.path) ? beside
        : Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("drbook")
}

/// drbook is started through `nice -n 10` (which execs it: same pid, same exit status): on a busy
/// machine the test process's own threads, the cooperative pool among them, come before drbook
/// and whatever it runs (steps, sops), so other tests' awaits do not wait for the CLI tests' processes.
private let niceness = ["/usr/bin/nice", "-n", "10"]

/// A condition that did not come true before its deadline; says what was awaited and what was seen.
struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` until it holds; throws after `seconds`. Tests wait for conditions, never for time.
/// Between polls the task sleeps: no thread is held while the condition is false.
func waitUntil(_ what: @autoclosure () -> String, seconds: Double = 60, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out after \(Int(seconds)) s waiting for \(what())") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// drbook's environment: the test process's, without the machine's AWS keys or NO_COLOR, plus `extra`.
private func drbookEnvironment(_ extra: [String: String]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["AWS_ACCESS_KEY_ID"] = nil
    environment["AWS_SECRET_ACCESS_KEY"] = nil
    environment["NO_COLOR"] = nil
    for (key, value) in extra { environment[key] = value }
    return environment
}

/// What one run of `drbook` printed, and how it exited.
struct CLIResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var all: String { stdout + stderr }
}

/// Runs the built `drbook` to its end and captures its output; `input`, if any, is its standard
/// input (a pipe, not a terminal), otherwise /dev/null. Throws if it has not exited after `timeout`
/// (it is then ended, with everything it started).
func drbook(_ arguments: [String], input: String? = nil, environment: [String: String] = [:], directory: String? = nil,
            timeout: Duration = .seconds(120)) async throws -> CLIResult {
    let child = ChildProcess(arguments: niceness + [drbookBinary.path] + arguments, executable: niceness[0],
                             environment: drbookEnvironment(environment), directory: directory,
                             timeout: timeout, captureLimit: 64 << 20,
                             standardInput: input.map { .bytes(Data($0.utf8)) } ?? .null)
    let result = try await child.run()
    let stdout = result.stdout.text, stderr = result.stderr.text
    guard result.ending == .exited else {
        throw TimedOut(description: "drbook \(arguments.joined(separator: " ")) did not exit (\(result.ending)) after \(result.elapsed); output:\n\(stdout)\(stderr)")
    }
    return CLIResult(status: Int32(result.exitCode), stdout: stdout, stderr: stderr)
}

/// Command-line tests run one at a time, on a thread of their own rather than in the cooperative
/// pool. swift-testing starts every test of the process at once, and the pool has one thread per
/// core: the other targets' tests, the sandbox's servers among them, keep it busy for the first
/// seconds. These tests' own work (generating stores, polling for a prompt) would queue in it too,
/// and their dozens of drbook, sops and sh processes would take the cores from it; one at a time,
/// off the pool, they add as little as they can to the wait of every other test's awaits (a
/// cancellation, a sandbox response). A test waiting for its turn holds no thread.
struct OffPoolOneAtATime: TestTrait, SuiteTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        // A suite's own scope takes no turn; each test case (each argument of a parameterized test) takes one.
        guard testCase != nil else { return try await function() }
        await Turns.shared.acquire()
        do {
            try await withTaskExecutorPreference(DedicatedThreadExecutor.commandLineTests) { try await function() }
        } catch {
            await Turns.shared.release()
            throw error
        }
        await Turns.shared.release()
    }

    private actor Turns {
        static let shared = Turns()

        private var busy = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func acquire() async {
            if !busy {
                busy = true
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func release() {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
    }
}

/// A task executor with one thread of its own, alive for the whole test process: the jobs of the
/// tasks that prefer it (and of the default actors they call) run there, in order, not in the
/// cooperative pool. Nothing run on it may block waiting for another of its jobs.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    static let commandLineTests = DedicatedThreadExecutor(name: "drbook-cli-tests")

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

extension Trait where Self == OffPoolOneAtATime {
    /// Runs the suite's tests one at a time, on the command-line tests' own thread.
    static var offPoolOneAtATime: Self { Self() }
}

/// A pseudo-terminal: drbook gets the slave as stdin, stdout and stderr, so it believes a person
/// is at a terminal; the test reads everything written (the transcript) and types into the master.
final class PseudoTerminal: @unchecked Sendable {
    let master: Int32
    let slavePath: String
    private let lock = NSLock()
    private var bytes = Data()
    private var closed = false

    init(columns: UInt16 = 100, rows: UInt16 = 30) throws {
        // O_CLOEXEC everywhere: a copy leaked into another test's child would keep the terminal open.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var name = [CChar](repeating: 0, count: 128)
        guard master >= 0, Self.libc.grantpt(master) == 0, Self.libc.unlockpt(master) == 0,
            Self.libc.ptsname_r(master, &name, name.count) == 0
        else {
            throw TimedOut(description: "cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        let master = self.master
        // The blocking reads happen on a thread of its own, never in the cooperative pool.
        Thread { [weak self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(master, &buffer, buffer.count)
                guard count > 0 else { break }  // EIO once every slave descriptor is closed
                self?.append(Data(buffer[0..<count]))
            }
            self?.finish()
        }.start()
    }

    deinit { close(master) }

    /// grantpt, unlockpt and ptsname_r are in libc, but Swift's Glibc module does not declare them
    /// (they need _XOPEN_SOURCE); looked up by name instead.
    private enum libc {
        typealias Call = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32
        static let grantpt = unsafeBitCast(dlsym(nil, "grantpt"), to: Call.self)
        static let unlockpt = unsafeBitCast(dlsym(nil, "unlockpt"), to: Call.self)
        static let ptsname_r = unsafeBitCast(dlsym(nil, "ptsname_r"), to: Name.self)
    }

    /// A descriptor of the slave side for one child; the caller closes it once the child has it.
    func openSlave() throws -> FileHandle {
        let descriptor = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TimedOut(description: "cannot open \(slavePath): \(String(cString: strerror(errno)))") }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func type(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count - 1) }
    }

    var transcript: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True once the reader has seen the end (every slave descriptor closed).
    var isDrained: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    private func append(_ data: Data) {
        lock.lock()
        bytes.append(data)
        lock.unlock()
    }

    private func finish() {
        lock.lock()
        closed = true
        lock.unlock()
    }
}

/// One `drbook` process the test watches while it runs: types into its terminal, signals it
/// (SIGKILL, SIGINT) and waits for it. A run the test only waits for uses `drbook(_:)` instead.
final class RunningDrbook: @unchecked Sendable {
    let process = Process()
    let terminal: PseudoTerminal?
    private let outputFile: URL?

    /// Starts drbook (spawned on a thread of its own). Without `terminal`, stdin is /dev/null and
    /// stdout and stderr go to a file in `directory`.
    static func start(_ arguments: [String], terminal: PseudoTerminal? = nil, environment: [String: String] = [:],
                      in directory: URL) async throws -> RunningDrbook {
        try await offPool { try RunningDrbook(arguments, terminal: terminal, environment: environment, in: directory) }
    }

    private init(_ arguments: [String], terminal: PseudoTerminal?, environment: [String: String], in directory: URL) throws {
        self.terminal = terminal
        process.executableURL = URL(fileURLWithPath: niceness[0])
        process.arguments = Array(niceness.dropFirst()) + [drbookBinary.path] + arguments
        process.environment = drbookEnvironment(environment)
        if let terminal {
            outputFile = nil
            let slave = try terminal.openSlave()
            process.standardInput = slave
            process.standardOutput = slave
            process.standardError = slave
            try process.run()
            try slave.close()
        } else {
            let file = directory.appendingPathComponent("drbook-\(UUID().uuidString).out")
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
            outputFile = file
            let handle = try FileHandle(forWritingTo: file)
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            try handle.close()
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// Everything it printed so far (stdout and stderr together).
    var output: String {
        if let terminal { return terminal.transcript }
        return outputFile.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
    }

    func killHard() {
        kill(process.processIdentifier, SIGKILL)
    }

    /// Waits for the exit and for the terminal (if any) to be read to its end; returns the exit status.
    @discardableResult
    func waitForExit(seconds: Double = 120) async throws -> Int32 {
        try await waitUntil("drbook \(process.arguments?.joined(separator: " ") ?? "") to exit; output so far:\n\(output)", seconds: seconds) { !process.isRunning }
        if let terminal { try? await waitUntil("the terminal to drain", seconds: 10) { terminal.isDrained } }
        return process.terminationStatus
    }
}
