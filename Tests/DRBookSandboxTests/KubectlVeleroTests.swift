import DRBookKube
import DRBookSandbox
import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

/// kubectl against the sandbox with the platform seeded and the simulated controllers
/// running: objects made with kubectl are reconciled like objects made by drbook.
@Suite("kubectl and the simulated Velero", .timeLimit(.minutes(3)))
struct KubectlVeleroTests {
    static let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../sandbox/platform.yaml").standardized.path

    @Test("a Backup created with kubectl moves New → InProgress → Completed under kubectl's watch; a Restore created with kubectl completes")
    func backupAndRestoreWithKubectl() async throws {
        let directory = try TemporaryDirectory()
        let platform = try SandboxPlatform.load(seed: Self.seed, storeDirectory: directory.url.appendingPathComponent("store"))
        // HTTP watches end after 15 s, which ends kubectl's `get --watch` below; the
        // controllers watch the store directly and are not affected.
        let sandbox = try await platform.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox"), tls: true,
                                                                    maximumWatch: .seconds(15)),
                                               syncInterval: .milliseconds(200), historyDays: 0)
        do {
            let kubectl = try Kubectl(sandbox: sandbox, context: "sandbox-admin")
            let client = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            _ = try await client.waitUntil(StatefulSet.self, "loki", namespace: "monitoring", timeout: .seconds(30),
                                           interval: .milliseconds(100)) { $0?.readyReplicas == 1 }

            // kubectl's discovery first, so the watch below opens without delay on a loaded machine.
            try await kubectl.succeed(["get", "backups", "-n", platform.veleroNamespace])
            let before = await sandbox.store.openWatchCount
            async let watching = kubectl.run(["get", "backups", "-n", platform.veleroNamespace, "--watch", "-o",
                                              #"jsonpath={.metadata.name}={.status.phase}{"\n"}"#], timeout: .seconds(60))
            let deadline = ContinuousClock.now + .seconds(60)
            while await sandbox.store.openWatchCount <= before {
                guard ContinuousClock.now < deadline else { Issue.record("kubectl never opened its watch"); break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let backup = try kubectl.manifest("backup.json", [
                "apiVersion": "velero.io/v1", "kind": "Backup",
                "metadata": ["name": "drill", "namespace": .string(platform.veleroNamespace)],
                "spec": ["includedNamespaces": ["monitoring"], "defaultVolumesToFsBackup": true, "ttl": "336h0m0s"],
            ])
            try await kubectl.succeed(["create", "-f", backup])
            _ = try await client.waitUntil(Backup.self, "drill", namespace: platform.veleroNamespace, timeout: .seconds(30),
                                           interval: .milliseconds(100)) { $0?.phase == .completed }
            let phases = try await watching.stdout.split(separator: "\n").map(String.init)
            #expect(phases.first == "drill=", "a new Backup has no phase: \(phases)")
            #expect(phases.contains("drill=InProgress"))
            #expect(phases.last == "drill=Completed")

            let restore = try kubectl.manifest("restore.json", [
                "apiVersion": "velero.io/v1", "kind": "Restore",
                "metadata": ["name": "drill-restore", "namespace": .string(platform.veleroNamespace)],
                "spec": ["backupName": "drill", "includedNamespaces": ["monitoring"], "namespaceMapping": ["monitoring": "monitoring-drill"]],
            ])
            try await kubectl.succeed(["create", "-f", restore])
            try await kubectl.succeed(["wait", "--for=jsonpath={.status.phase}=Completed", "restore/drill-restore",
                                       "-n", platform.veleroNamespace, "--timeout=60s"])
            let claims = try #require(try await kubectl.succeed(["get", "pvc", "-n", "monitoring-drill", "-o", "json"]).json)
            #expect(claims["items"]?.arrayValue?.count == 4, "Prometheus 1, Alertmanager 2, Loki 1")
            let volumeRestores = try #require(try await kubectl.succeed([
                "get", "podvolumerestores", "-n", platform.veleroNamespace, "-l", "velero.io/restore-name=drill-restore", "-o", "json",
            ]).json)
            let items = volumeRestores["items"]?.arrayValue ?? []
            #expect(items.count == 4)
            #expect(items.allSatisfy { $0[path: ["status", "phase"]] == "Completed" })
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }
}
