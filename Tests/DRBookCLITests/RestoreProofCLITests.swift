import DRBookTestSupport
import Foundation
import Testing

/// `velero.restoreProof` with the real binary against the sandbox over HTTPS: a scratch restore
/// the simulated Velero carries out, then its PodVolumeRestores edited with kubectl into what
/// Velero leaves when it skipped a volume (none) or stopped short (fewer bytes).
@Suite("The restore's data proven back claim by claim", .offPoolOneAtATime)
struct RestoreProofCLITests {
    static let runbook = """
        apiVersion: drbook/v1
        kind: Runbook
        metadata:
          name: restore-proof
          title: The restore brought every claim's data back
        params:
          restore: {type: string}
        steps:
          - id: proof
            title: Every claim has its PodVolumeBackup's bytes back
            uses: velero.restoreProof
            with: {restore: "${{ params.restore }}"}
        """

    static let claims = [
        "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-0",
        "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-1",
        "prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-0",
        "storage-loki-0",
    ]

    @Test("a scratch restore proves all four claims back; a deleted PodVolumeRestore and a short one fail naming their claims; an unknown restore is named")
    func proof() async throws {
        let kubectlPath = try Tools.require("kubectl", install: "apt-get install -y kubernetes-client")
        let directory = try TemporaryDirectory(), home = try TemporaryDirectory()
        let sandbox = try await SandboxUnderTest.start(["sandbox", "start", "--dir", directory.path("sandbox"), "--tls", "--history", "1"],
                                                       in: directory.url, output: directory.url)
        defer { sandbox.end() }
        try await sandbox.waitForBanner()
        let kubeconfig = directory.path("sandbox/kubeconfig")
        @Sendable func kubectl(_ arguments: [String], input: String? = nil) async throws -> String {
            let environment = ProcessInfo.processInfo.environment.merging(["KUBECONFIG": kubeconfig, "HOME": home.url.path]) { $1 }
            return try await offPool { try Tools.run(kubectlPath, arguments, input: input.map { Data($0.utf8) }, environment: environment) }
        }
        let runbooks = directory.path("runbooks")
        try FileManager.default.createDirectory(atPath: runbooks, withIntermediateDirectories: true)
        try Self.runbook.write(toFile: runbooks + "/restore-proof.yaml", atomically: true, encoding: .utf8)
        func run(_ restore: String) async throws -> CLIResult {
            try await drbook(["run", "restore-proof", "--no-color", "--runbooks", runbooks, "--runs-dir", directory.path("runs"), "--param", "restore=\(restore)"],
                             environment: ["KUBECONFIG": kubeconfig], directory: directory.url.path)
        }

        let backup = try await kubectl(["-n", "velero", "get", "backups.velero.io", "-o", "jsonpath={.items[0].metadata.name}"])
        _ = try await kubectl(["create", "-f", "-"], input: """
            {"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": {"name": "drill", "namespace": "velero"},
             "spec": {"backupName": "\(backup)", "includedNamespaces": ["monitoring"], "namespaceMapping": {"monitoring": "monitoring-drill"}}}
            """)
        try await waitUntil("the restore to complete", seconds: 60) {
            let phase = try Tools.run(kubectlPath, ["-n", "velero", "get", "restores.velero.io", "drill", "-o", "jsonpath={.status.phase}"],
                                      environment: ProcessInfo.processInfo.environment.merging(["KUBECONFIG": kubeconfig, "HOME": home.url.path]) { $1 })
            return phase == "Completed"
        }

        let passed = try await run("drill")
        #expect(passed.status == 0, "\(passed.all)")
        for claim in Self.claims {
            #expect(passed.stdout.contains("PVC monitoring-drill/\(claim): 1048576 of 1048576 bytes restored\n"), "\(passed.all)")
        }
        #expect(passed.stdout.contains("every claim of backup \(backup) has its data back: 4 claims"), "\(passed.all)")

        // What Velero leaves when it skipped Loki's volume and stopped Prometheus' halfway.
        func podVolumeRestore(of claim: String) async throws -> String {
            let snapshot = try await kubectl(["-n", "velero", "get", "podvolumebackups.velero.io", "-l", "velero.io/backup-name=\(backup)", "-o",
                                              "jsonpath={.items[?(@.metadata.annotations.velero\\.io/pvc-name==\"\(claim)\")].status.snapshotID}"])
            return try await kubectl(["-n", "velero", "get", "podvolumerestores.velero.io", "-l", "velero.io/restore-name=drill", "-o",
                                      "jsonpath={.items[?(@.spec.snapshotID==\"\(snapshot)\")].metadata.name}"])
        }
        let loki = try await podVolumeRestore(of: "storage-loki-0")
        let prometheus = try await podVolumeRestore(of: Self.claims[2])
        #expect(!loki.isEmpty && !prometheus.isEmpty, "the PodVolumeRestores of the Loki and Prometheus claims")
        _ = try await kubectl(["-n", "velero", "delete", "podvolumerestores.velero.io", loki])
        _ = try await kubectl(["-n", "velero", "patch", "podvolumerestores.velero.io", prometheus, "--subresource=status", "--type", "merge",
                               "-p", #"{"status": {"progress": {"bytesDone": 524288}}}"#])

        let failed = try await run("drill")
        #expect(failed.status == 1, "\(failed.all)")
        #expect(failed.stdout.contains("PVC monitoring-drill/storage-loki-0: 0 of 1048576 bytes restored\n"), "\(failed.all)")
        let error = "restore velero/drill: PVC monitoring-drill/\(Self.claims[2]): 524288 of 1048576 bytes restored (its PodVolumeBackup's totalBytes); "
            + "PVC monitoring-drill/storage-loki-0: 0 of 1048576 bytes restored (its PodVolumeBackup's totalBytes): no PodVolumeRestore, so Velero skipped the volume: "
            + "its pod existed before the restore created it (a controller made it again on a fresh empty claim)"
        #expect(failed.stdout.contains("✘ Every claim has its PodVolumeBackup's bytes back"), "\(failed.all)")
        #expect(failed.stdout.contains("    \(error)\n"), "\(failed.all)")
        #expect(failed.stdout.contains("Fix: the data of these claims is not back: scale their workloads to 0, delete the pods and claims, and restore again (`velero restore describe drill --details` says which volumes it restored)"), "\(failed.all)")

        let unknown = try await run("nope")
        #expect(unknown.status == 1, "\(unknown.all)")
        #expect(unknown.stdout.contains("restore velero/nope: not found\n"), "\(unknown.all)")
    }
}
