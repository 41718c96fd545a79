import DRBookTestSupport
import Foundation
import Testing

@Suite("drbook sandbox start", .offPoolOneAtATime)
struct SandboxCLITests {
    @Test("runs in the foreground, says it is a simulation, writes a kubeconfig kubectl uses as printed, and stops nginx on Ctrl-C")
    func startExploreStop() async throws {
        let kubectl = try Tools.require("kubectl", install: "apt-get install -y kubernetes-client")
        let directory = try TemporaryDirectory()
        let home = try TemporaryDirectory()
        // Its output goes to a file the test reads as it grows (a pipe's write end could live on in another test's server).
        let sandbox = try await RunningDrbook.start(["sandbox", "start", "--dir", directory.path("sandbox"), "--tls"], in: directory.url)
        let process = sandbox.process
        defer { if process.isRunning { process.terminate() } }

        try await waitUntil("the sandbox to print its instructions", seconds: 60) {
            sandbox.output.contains("Press Ctrl-C to stop.") || !process.isRunning
        }
        let text = sandbox.output
        #expect(text.contains("a simulated Kubernetes API server"))
        #expect(text.contains("not a Kubernetes cluster"))
        let exportLine = try #require(text.split(separator: "\n").first { $0.contains("export KUBECONFIG=") }, "printed: \(text)")
        let kubeconfig = String(exportLine.split(separator: "=", maxSplits: 1)[1])
        #expect(text.contains("kubectl get backups -n velero"))

        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["HOME"] = home.url.path
        let kubectlEnvironment = environment
        // kubectl is waited for on a thread of its own: the sandbox it talks to serves from the cooperative pool.
        let listed = try await offPool { try Tools.run(kubectl, ["get", "backups", "-n", "velero"], environment: kubectlEnvironment) }
        #expect(listed.contains("No resources found in velero namespace."))
        let denied = try? await offPool {
            try Tools.run(kubectl, ["--context", "sandbox-viewer", "auth", "can-i", "delete", "backups", "-n", "velero"], environment: kubectlEnvironment)
        }
        #expect(denied == nil, "the read-only identity may not delete backups (kubectl exits 1 with 'no')")

        let pid = try String(contentsOfFile: directory.path("sandbox/nginx.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        kill(sandbox.pid, SIGINT)
        try await waitUntil("drbook to exit after Ctrl-C", seconds: 30) { !process.isRunning }
        #expect(process.terminationStatus == 0)
        #expect(kill(pid_t(pid) ?? 0, 0) != 0, "nginx \(pid) outlived drbook")
    }
}
