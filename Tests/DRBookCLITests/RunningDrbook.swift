import DRBookTestSupport
import Foundation
import Testing

/// The built `drbook` binary beside the test bundle.
var drbookBinary: URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("drbook")
    return FileManager.default.fileExists(atPath: beside.path) ? beside
        : Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("drbook")
}

/// A condition that did not come true before its deadline; says what was awaited and what was seen.
struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` until it holds; throws after `seconds`. Tests wait for conditions, never for time.
func waitUntil(_ what: @autoclosure () -> String, seconds: Double = 60, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < deadline else { throw TimedOut(description: "timed out after \(Int(seconds)) s waiting for \(what())") }
        usleep(10_000)
    }
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

/// One `drbook` process the test can watch, type into, SIGKILL and wait for.
final class RunningDrbook: @unchecked Sendable {
    let process = Process()
    let terminal: PseudoTerminal?
    private let outputFile: URL?

    /// Without `terminal`, stdin is /dev/null and stdout and stderr go to a file.
    init(_ arguments: [String], terminal: PseudoTerminal? = nil, environment: [String: String] = [:], in directory: URL) throws {
        self.terminal = terminal
        process.executableURL = drbookBinary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = nil
        env["AWS_SECRET_ACCESS_KEY"] = nil
        env["NO_COLOR"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
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
    func waitForExit(seconds: Double = 120) throws -> Int32 {
        try waitUntil("drbook \(process.arguments?.joined(separator: " ") ?? "") to exit; output so far:\n\(output)", seconds: seconds) { !process.isRunning }
        if let terminal { try? waitUntil("the terminal to drain", seconds: 10) { terminal.isDrained } }
        return process.terminationStatus
    }

    /// Runs to the end and returns the exit status.
    static func run(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let running = try RunningDrbook(arguments, in: directory)
        let status = try running.waitForExit()
        return (status, running.output)
    }
}
