import DRBookTestSupport
import Foundation
import Testing

@Suite("drbook sandbox start, status, stop", .offPoolOneAtATime)
struct SandboxCLITests {
    @Test("from an empty directory without --seed: it says it is a simulation, kubectl sees the schedule's 14 backups at once, backups list shows them green; status tells, stop ends it and nginx")
    func startExploreStop() async throws {
        let kubectl = try Tools.require("kubectl", install: "apt-get install -y kubernetes-client")
        let directory = try TemporaryDirectory()
        let empty = try TemporaryDirectory()
        let home = try TemporaryDirectory()
        let sandboxDirectory = directory.path("sandbox")
        let sandbox = try await SandboxUnderTest.start(["sandbox", "start", "--dir", sandboxDirectory, "--tls"], in: empty.url, output: directory.url)
        defer { sandbox.end() }
        try await sandbox.waitForBanner()
        let text = sandbox.output
        #expect(text.contains("a simulated Kubernetes API server"))
        #expect(text.contains("not a Kubernetes cluster"))
        let exportLine = try #require(text.split(separator: "\n").first { $0.contains("export KUBECONFIG=") }, "printed: \(text)")
        let kubeconfig = String(exportLine.split(separator: "=", maxSplits: 1)[1])
        #expect(text.contains("kubectl get backups -n velero"))
        #expect(text.contains("which holds 14 from the schedule's past (--history 0 for none)"), "\(text)")
        let listLine = try #require(text.split(separator: "\n").first { $0.contains("drbook backups list --store ") }, "printed: \(text)")
        let store = String(try #require(listLine.split(separator: " ").last))
        #expect(store == "file://\(sandboxDirectory)/store/drbook-sandbox/velero/prod")

        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["HOME"] = home.url.path
        let kubectlEnvironment = environment
        // kubectl is waited for on a thread of its own: the sandbox it talks to serves from the cooperative pool.
        let listed = try await offPool {
            try Tools.run(kubectl, ["get", "backups", "-n", "velero", "--no-headers", "-o", "custom-columns=NAME:.metadata.name,PHASE:.status.phase"],
                          environment: kubectlEnvironment)
        }
        let rows = listed.split(separator: "\n")
        #expect(rows.count == 14, "kubectl get backups -n velero:\n\(listed)")
        #expect(rows.allSatisfy { $0.hasPrefix("daily-full-") && $0.hasSuffix(" Completed") }, "\(listed)")
        let volumes = try await offPool { try Tools.run(kubectl, ["get", "podvolumebackups", "-n", "velero", "--no-headers"], environment: kubectlEnvironment) }
        #expect(volumes.split(separator: "\n").count == 14 * 4)
        let denied = try? await offPool {
            try Tools.run(kubectl, ["--context", "sandbox-viewer", "auth", "can-i", "delete", "backups", "-n", "velero"], environment: kubectlEnvironment)
        }
        #expect(denied == nil, "the read-only identity may not delete backups (kubectl exits 1 with 'no')")

        let backups = try await drbook(["backups", "list", "--store", store])
        #expect(backups.status == 0, "\(backups.all)")
        let backupRows = backups.stdout.split(separator: "\n").filter { $0.hasPrefix("daily-full-") }
        #expect(backupRows.count == 14, "\(backups.stdout)")
        #expect(backupRows.allSatisfy { $0.contains(" Completed ") })
        let verdict = try await drbook(["backups", "verify", "--store", store, "--namespace", "monitoring"])
        #expect(verdict.status == 0, "the newest is within the default 24 h RPO: \(verdict.all)")

        // One sandbox per directory.
        let second = try await drbook(["sandbox", "start", "--dir", sandboxDirectory], directory: empty.url.path)
        #expect(second.status == 2)
        #expect(second.stderr.contains("a sandbox already runs in \(sandboxDirectory) (pid \(sandbox.pid), "), "\(second.all)")

        let status = try await drbook(["sandbox", "status", "--dir", sandboxDirectory])
        #expect(status.status == 0, "\(status.all)")
        #expect(status.stdout.contains("The sandbox in \(sandboxDirectory) is running: pid \(sandbox.pid), since "), "\(status.stdout)")
        #expect(status.stdout.contains("kubeconfig: \(kubeconfig) (contexts: sandbox-admin, sandbox-viewer)"))
        #expect(status.stdout.contains(", 14 of them Velero backups (14 Completed)"), "\(status.stdout)")
        #expect(status.stdout.contains("store: \(store), 14 backups"), "\(status.stdout)")
        #expect(status.stdout.contains("seed: sandbox/platform.yaml (built into drbook)"))

        let nginx = try String(contentsOfFile: directory.path("sandbox/nginx.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let stop = try await drbook(["sandbox", "stop", "--dir", sandboxDirectory])
        #expect(stop.status == 0, "\(stop.all)")
        #expect(stop.stdout == "Stopped the sandbox in \(sandboxDirectory) (pid \(sandbox.pid)).\n")
        // Stop returns once the sandbox has exited; this test process, its parent, reaps it a moment later.
        try await waitUntil("the stopped sandbox to be reaped", seconds: 5) { !sandbox.isRunning }
        #expect(sandbox.exitStatus == 0, "\(sandbox.output)")
        #expect(kill(pid_t(nginx) ?? 0, 0) != 0, "nginx \(nginx) outlived drbook")
        #expect(!FileManager.default.fileExists(atPath: directory.path("sandbox/sandbox.json")))
        let after = try await drbook(["sandbox", "status", "--dir", sandboxDirectory])
        #expect(after.status == 1)
        #expect(after.stdout.hasPrefix("No sandbox in \(sandboxDirectory): no sandbox.json"), "\(after.all)")
        let again = try await drbook(["sandbox", "stop", "--dir", sandboxDirectory])
        #expect(again.status == 2)
        #expect(again.stderr.contains("no sandbox was started in \(sandboxDirectory)"), "\(again.all)")
    }

    @Test("a port something else listens on: exit 2 naming the port and its holder, no banner, nothing left running")
    func busyPort() async throws {
        let holder = try HeldPort()
        for flags in [["--tls"], ["--no-tls"], ["--bare"]] {
            let directory = try TemporaryDirectory()
            let result = try await drbook(["sandbox", "start", "--dir", directory.path("sandbox"), "--port", String(holder.port)] + flags,
                                          directory: directory.url.path)
            #expect(result.status == 2, "\(flags): \(result.all)")
            #expect(result.stderr.hasPrefix("Error: port \(holder.port) on 127.0.0.1 is already in use by "), "\(flags): \(result.stderr)")
            #expect(result.stderr.contains("(pid \(getpid()))"), "the test process holds it: \(result.stderr)")
            #expect(!result.all.contains("Press Ctrl-C"))
            #expect(!result.all.contains("API server:"))
            #expect(!FileManager.default.fileExists(atPath: directory.path("sandbox/sandbox.json")))
        }
    }

    @Test("--bare and --history 0 start without a past: kubectl lists no backups, the store has none; kill -9 leaves a record status and stop clean up")
    func noHistory() async throws {
        let kubectl = try Tools.require("kubectl", install: "apt-get install -y kubernetes-client")
        let home = try TemporaryDirectory()
        for flags in [["--bare"], ["--history", "0"]] {
            let directory = try TemporaryDirectory()
            let sandboxDirectory = directory.path("sandbox")
            let sandbox = try await SandboxUnderTest.start(["sandbox", "start", "--dir", sandboxDirectory] + flags, in: directory.url, output: directory.url)
            defer { sandbox.end() }
            try await sandbox.waitForBanner()
            var environment = ProcessInfo.processInfo.environment
            environment["KUBECONFIG"] = directory.path("sandbox/kubeconfig")
            environment["HOME"] = home.url.path
            let kubectlEnvironment = environment
            let listed = try await offPool { try Tools.run(kubectl, ["get", "backups", "-n", "velero"], environment: kubectlEnvironment) }
            #expect(listed.contains("No resources found in velero namespace."), "\(flags): \(listed)")
            if flags == ["--bare"] {
                #expect(!sandbox.output.contains("drbook backups list"), "a bare sandbox has no store")
            } else {
                let store = "file://\(sandboxDirectory)/store/drbook-sandbox/velero/prod"
                #expect(sandbox.output.contains("drbook backups list --store \(store)\n"), "\(sandbox.output)")
                let backups = try await drbook(["backups", "list", "--store", store])
                #expect(backups.stdout.contains("No backups under"), "\(backups.all)")
            }
            // Killed without a chance to clean up: status says so, stop removes what is left.
            sandbox.killHard()
            try await waitUntil("the killed sandbox to be gone", seconds: 30) { !sandbox.isRunning }
            let status = try await drbook(["sandbox", "status", "--dir", sandboxDirectory])
            #expect(status.status == 1)
            #expect(status.stdout.contains("is not running: pid \(sandbox.pid) has exited"), "\(status.all)")
            let stop = try await drbook(["sandbox", "stop", "--dir", sandboxDirectory])
            #expect(stop.status == 0, "\(stop.all)")
            #expect(stop.stdout.contains("was not running (pid \(sandbox.pid) had exited); removed its record."), "\(stop.all)")
            #expect(!FileManager.default.fileExists(atPath: directory.path("sandbox/sandbox.json")))
        }
    }
}

/// `drbook sandbox start` in a working directory of the test's choosing, its output to a file
/// the test reads as it grows (a pipe's write end could live on in another test's server).
final class SandboxUnderTest: @unchecked Sendable {
    let process = Process()
    private let outputFile: URL

    static func start(_ arguments: [String], in workingDirectory: URL, output: URL) async throws -> SandboxUnderTest {
        try await offPool { try SandboxUnderTest(arguments, in: workingDirectory, output: output) }
    }

    private init(_ arguments: [String], in workingDirectory: URL, output: URL) throws {
        outputFile = output.appendingPathComponent("sandbox-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: outputFile)
        process.executableURL = drbookBinary
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_ACCESS_KEY_ID"] = nil
        environment["AWS_SECRET_ACCESS_KEY"] = nil
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32 { process.terminationStatus }
    var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }

    func waitForBanner() async throws {
        try await waitUntil("the sandbox to print its instructions; output so far:\n\(output)", seconds: 90) {
            output.contains("Press Ctrl-C to stop.") || !process.isRunning
        }
        guard process.isRunning else { throw TimedOut(description: "the sandbox exited with \(exitStatus):\n\(output)") }
    }

    func killHard() { kill(pid, SIGKILL) }

    /// Ctrl-C, if it still runs (the end of a test that failed before stopping it).
    func end() {
        if process.isRunning { kill(pid, SIGINT) }
    }
}

