import DRBookTestSupport
import Foundation
import Testing

@Suite("drbook sandbox start")
struct SandboxCLITests {
    @Test("runs in the foreground, says it is a simulation, writes a kubeconfig kubectl uses as printed, and stops nginx on Ctrl-C")
    func startExploreStop() throws {
        let kubectl = try Tools.require("kubectl", install: "apt-get install -y kubernetes-client")
        let directory = try TemporaryDirectory()
        let home = try TemporaryDirectory()
        let process = Process()
        process.executableURL = drbookBinary
        process.arguments = ["sandbox", "start", "--dir", directory.path("sandbox"), "--tls"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let transcript = TranscriptReader(output.fileHandleForReading)
        try waitUntil("the sandbox to print its instructions", seconds: 60) {
            transcript.text.contains("Press Ctrl-C to stop.") || !process.isRunning
        }
        let text = transcript.text
        #expect(text.contains("a simulated Kubernetes API server"))
        #expect(text.contains("not a Kubernetes cluster"))
        let exportLine = try #require(text.split(separator: "\n").first { $0.contains("export KUBECONFIG=") }, "printed: \(text)")
        let kubeconfig = String(exportLine.split(separator: "=", maxSplits: 1)[1])
        #expect(text.contains("kubectl get backups -n velero"))

        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["HOME"] = home.url.path
        let listed = try Tools.run(kubectl, ["get", "backups", "-n", "velero"], environment: environment)
        #expect(listed.contains("No resources found in velero namespace."))
        let denied = try? Tools.run(kubectl, ["--context", "sandbox-viewer", "auth", "can-i", "delete", "backups", "-n", "velero"],
                                    environment: environment)
        #expect(denied == nil, "the read-only identity may not delete backups (kubectl exits 1 with 'no')")

        let pid = try String(contentsOfFile: directory.path("sandbox/nginx.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        kill(process.processIdentifier, SIGINT)
        try waitUntil("drbook to exit after Ctrl-C", seconds: 30) { !process.isRunning }
        #expect(process.terminationStatus == 0)
        #expect(kill(pid_t(pid) ?? 0, 0) != 0, "nginx \(pid) outlived drbook")
    }
}

/// Collects a child's output as it arrives, without blocking the reader.
private final class TranscriptReader: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    init(_ handle: FileHandle) {
        handle.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self else { return }
            if chunk.isEmpty { handle.readabilityHandler = nil }
            self.lock.withLock { self.data.append(chunk) }
        }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
