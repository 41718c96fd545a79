import Foundation

/// A tool the tests need is not installed. Tests fail with this; they never skip.
public struct MissingTool: Error, CustomStringConvertible {
    public var tool: String
    public var install: String
    public var description: String { "\(tool) is required by this test but was not found. Install it with: \(install)" }
}

public enum Tools {
    /// The absolute path of `name` on PATH, or a `MissingTool` error with the install command.
    public static func require(_ name: String, install: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw MissingTool(tool: name, install: install)
    }

    /// Foundation's `waitUntilExit` spins a core off the main thread; poll instead.
    public static func waitForExit(_ process: Process, seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
    }

    public static var python: String {
        get throws { try require("python3", install: "apt-get install -y python3") }
    }

    /// Runs a command to completion; throws with its output when it fails.
    ///
    /// Output goes to a temporary file, not a pipe: a server another test starts at the same
    /// moment can inherit the pipe's write end and hold it for the whole test process, and a
    /// read to end-of-file would then never return. The file is read once the command exits.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], input: Data? = nil, environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let outputPath = NSTemporaryDirectory() + "drbook-tool-\(UUID().uuidString).out"
        guard FileManager.default.createFile(atPath: outputPath, contents: nil),
              let output = FileHandle(forWritingAtPath: outputPath) else {
            throw CommandFailed(command: executable, status: -1, output: "cannot create \(outputPath)")
        }
        defer {
            try? output.close()
            try? FileManager.default.removeItem(atPath: outputPath)
        }
        process.standardOutput = output
        process.standardError = output
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(input) }
        try inputPipe.fileHandleForWriting.close()
        waitForExit(process, seconds: 120)
        if process.isRunning {
            process.terminate()
            throw CommandFailed(command: ([executable] + arguments).joined(separator: " "), status: -1, output: "still running after 120 s")
        }
        let text = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandFailed(command: ([executable] + arguments).joined(separator: " "), status: process.terminationStatus, output: text)
        }
        return text
    }
}

public struct CommandFailed: Error, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var output: String
    public var description: String { "\(command) exited with \(status): \(output)" }
}

/// A loopback server the tests start: a child process that prints `LISTENING <port>`
/// when ready and is terminated when this object goes away (the servers also exit on
/// their own when the test process dies).
public final class ServerProcess: @unchecked Sendable {
    public let port: Int
    public let name: String
    private let process: Process
    private let stderrFile: URL

    public static let serversDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Servers")

    /// Starts `Tests/Servers/<script>` with python3.
    public static func python(_ script: String, _ arguments: [String], name: String? = nil) throws -> ServerProcess {
        let path = serversDirectory.appendingPathComponent(script).path
        return try ServerProcess(executable: try Tools.python, arguments: [path] + arguments, name: name ?? script)
    }

    public init(executable: String, arguments: [String], name: String, readyTimeout: TimeInterval = 30) throws {
        self.name = name
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        environment["PYTHONPATH"] = ServerProcess.serversDirectory.path
        process.environment = environment
        let stdout = Pipe()
        process.standardOutput = stdout
        stderrFile = FileManager.default.temporaryDirectory.appendingPathComponent("drbook-\(name)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let deadline = Date().addingTimeInterval(readyTimeout)
        var buffer = Data()
        let reader = stdout.fileHandleForReading
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix("LISTENING ") {
                found = Int(line.dropFirst("LISTENING ".count).trimmingCharacters(in: .whitespaces))
            }
        }
        guard let port = found else {
            process.terminate()
            let log = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
            throw CommandFailed(command: "\(name) \(arguments.joined(separator: " "))", status: process.isRunning ? -1 : process.terminationStatus,
                                output: "did not report LISTENING: \(log)")
        }
        self.port = port
        // Keep draining stdout so the child never blocks on a full pipe.
        reader.readabilityHandler = { handle in _ = handle.availableData }
    }

    /// Starts a server on a thread of its own: waiting for it to be ready blocks, and
    /// must not hold one of the few threads Swift's cooperative pool has.
    public static func start(_ make: @escaping @Sendable () throws -> ServerProcess) async throws -> ServerProcess {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try make() }) }.start()
        }
    }

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public var log: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        Tools.waitForExit(process, seconds: 5)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: stderrFile)
    }
}

/// A private temporary directory, removed with its contents when released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("drbook-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A loopback port with nothing listening on it (bound, read, released).
public func closedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
