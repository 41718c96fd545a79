import DRBookTestSupport
import Foundation
import Testing

/// The main job's race: the sandbox's Velero validates its location on an interval, and
/// a runbook run at once used to find the phase unset. `velero.locationAvailable` now
/// waits for the first validation, so a fresh sandbox is green every time.
@Suite("backup-health against a sandbox started just now", .offPoolOneAtATime)
struct BackupHealthRepeatCLITests {
    static let rounds = 20

    @Test("a sandbox started and backup-health run at once, twenty times in a row: green every time")
    func greenEveryTime() async throws {
        let kubectl = try Tools.require("kubectl", install: "apt-get install -y kubernetes-client")
        let home = try TemporaryDirectory()
        var verdicts: [Int32] = []
        for round in 1...Self.rounds {
            let directory = try TemporaryDirectory()
            let sandbox = try await RunningDrbook.start(["sandbox", "start", "--dir", directory.path("sandbox")], in: directory.url)
            let process = sandbox.process
            defer { if process.isRunning { kill(sandbox.pid, SIGINT) } }
            try await waitUntil("the sandbox to print its instructions", seconds: 60) {
                sandbox.output.contains("Press Ctrl-C to stop.") || !process.isRunning
            }
            var environment = ProcessInfo.processInfo.environment
            environment["KUBECONFIG"] = directory.path("sandbox/kubeconfig")
            environment["HOME"] = home.url.path
            let kubectlEnvironment = environment
            let manifest = directory.path("backup.yaml")
            try """
                apiVersion: velero.io/v1
                kind: Backup
                metadata: {name: daily-full-round-\(round), namespace: velero, labels: {velero.io/schedule-name: daily-full}}
                spec: {includedNamespaces: ["*"], excludedNamespaces: [kube-system, velero], ttl: 336h0m0s, storageLocation: default, defaultVolumesToFsBackup: true}
                """.write(toFile: manifest, atomically: true, encoding: .utf8)
            _ = try await offPool { try Tools.run(kubectl, ["create", "-f", manifest], environment: kubectlEnvironment) }
            _ = try await offPool {
                try Tools.run(kubectl, ["wait", "--for=jsonpath={.status.phase}=Completed", "backup/daily-full-round-\(round)", "-n", "velero",
                                        "--timeout=120s"], environment: kubectlEnvironment)
            }
            let run = try await drbook(["run", "backup-health", "--param", "store=file://\(directory.path("sandbox/store/drbook-sandbox/velero/prod"))",
                                        "--runs-dir", directory.path("runs"),
                                        "--runbooks", repositoryRoot.appendingPathComponent("runbooks").path,
                                        "--docs", repositoryRoot.appendingPathComponent("docs").path],
                                       environment: ["KUBECONFIG": directory.path("sandbox/kubeconfig")])
            #expect(run.status == 0, "round \(round): \(run.all)")
            verdicts.append(run.status)
            kill(sandbox.pid, SIGINT)
            try await waitUntil("drbook sandbox to exit after Ctrl-C", seconds: 30) { !process.isRunning }
        }
        #expect(verdicts == Array(repeating: 0, count: Self.rounds))
    }
}
