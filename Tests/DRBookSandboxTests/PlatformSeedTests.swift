import DRBookKube
import DRBookObjectStore
import DRBookSandbox
import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

/// The repository's sandbox/platform.yaml, loaded into a sandbox with every simulated
/// controller: the monitoring stack comes up, and a backup made from the platform's own
/// schedule template, the newest after the schedule's history, verifies green from the
/// store, every monitoring volume in it.
@Suite("The platform seed", .timeLimit(.minutes(3)))
struct PlatformSeedTests {
    static let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../sandbox/platform.yaml").standardized.path

    @Test("the seed parses, comes up ready, and a backup of monitoring verifies green")
    func platform() async throws {
        let directory = try TemporaryDirectory()
        let platform = try SandboxPlatform.load(seed: Self.seed, storeDirectory: directory.url.appendingPathComponent("store"))
        #expect(platform.veleroNamespace == "velero")
        #expect(platform.storeRoot.path.hasSuffix("/store/drbook-sandbox/velero/prod"))
        let store = platform.store
        let sandbox = try await platform.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox")),
                                               syncInterval: .milliseconds(200))
        do {
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            for set in ["prometheus-kube-prometheus-stack-prometheus", "alertmanager-kube-prometheus-stack-alertmanager", "loki"] {
                _ = try await admin.waitUntil(StatefulSet.self, set, namespace: "monitoring", timeout: .seconds(30),
                                              interval: .milliseconds(100)) { $0?.isRolledOut == true && ($0?.readyReplicas ?? 0) > 0 }
            }
            let schedule = try await admin.get(Schedule.self, "daily-full", namespace: "velero")
            var spec = try JSONValue(encoding: try #require(schedule.spec.template))
            spec["includedNamespaces"] = ["monitoring"]
            // Not a schedule's timestamped name: the history already holds today's.
            let name = "daily-full-manual-\(UUID().uuidString.prefix(8).lowercased())"
            try await admin.create(Backup.resource, ["metadata": ["name": .string(name), "namespace": "velero",
                                                                  "labels": [Backup.scheduleLabel: "daily-full"]],
                                                     "spec": spec])
            let backup = try #require(try await admin.waitUntil(Backup.self, name, namespace: "velero",
                                                                 timeout: .seconds(30), interval: .milliseconds(100)) { $0?.phase.isTerminal == true })
            #expect(backup.phase == .completed)
            let verdict = try await StoreVerifier(store: store).verify(namespace: "monitoring", rpo: 86_400, expectedPVCs: [
                "prometheus-kube-prometheus-stack-prometheus-db-*", "alertmanager-kube-prometheus-stack-alertmanager-db-*", "storage-loki-*",
            ])
            #expect(verdict.isGreen, "\(verdict.findings)")
            #expect(verdict.volumes.count == 4, "Prometheus 1 + Alertmanager 2 + Loki 1: \(verdict.volumes.map(\.persistentVolumeClaim))")
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    @Test("with an S3 endpoint, the simulated Velero writes the location's bucket there (SigV4-verified), and the store verifies from it")
    func s3Store() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let directory = try TemporaryDirectory()
        var platform = try SandboxPlatform.load(seed: Self.seed, storeDirectory: directory.url.appendingPathComponent("store"))
        try await platform.useS3(endpoint: s3.proxy.baseURL, credentials: s3.credentials)
        #expect(platform.storeArgument == "s3://drbook-sandbox/velero/prod")
        let sandbox = try await platform.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox")),
                                               syncInterval: .milliseconds(200), historyDays: 0)
        do {
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            _ = try await admin.waitUntil(StatefulSet.self, "loki", namespace: "monitoring", timeout: .seconds(30),
                                          interval: .milliseconds(100)) { $0?.readyReplicas == 1 }
            let name = "s3-\(UUID().uuidString.prefix(8).lowercased())"
            try await admin.create(Backup.resource, ["metadata": ["name": .string(name), "namespace": "velero"],
                                                     "spec": ["includedNamespaces": ["monitoring"], "defaultVolumesToFsBackup": true]])
            // Generous: the whole suite shares two cores with moto and the proxy; alone it takes about a second.
            let backup = try #require(try await admin.waitUntil(Backup.self, name, namespace: "velero", timeout: .seconds(120),
                                                                 interval: .milliseconds(100)) { $0?.phase.isTerminal == true })
            #expect(backup.phase == .completed)
            let store = S3BackupStore(client: S3Client(endpoint: s3.proxy.baseURL, region: "auto", bucket: "drbook-sandbox",
                                                       credentials: s3.credentials), prefix: "velero/prod")
            let stored = try await StoreReader(store: store).backup(named: name)
            #expect(stored?.phase == .completed)
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    @Test("a manifest the sandbox does not serve is refused with the file and the kind named")
    func unknownKind() async throws {
        let directory = try TemporaryDirectory()
        let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url))
        defer { Task { await sandbox.stop() } }
        let objects = try KubeManifests.parse("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", file: "seed.yaml")
        let error = await #expect(throws: KubeManifestError.self) { try await SandboxSeed.apply(objects, to: sandbox.store, source: "seed.yaml") }
        #expect(error?.description == "seed.yaml: the sandbox does not serve Widget in example.com/v1; the resources it serves are in ResourceCatalogue")
        let missingKind = #expect(throws: KubeManifestError.self) { try KubeManifests.parse("---\nmetadata: {name: x}\n", file: "seed.yaml") }
        #expect(missingKind?.description.contains("has no apiVersion or kind") == true)
    }
}
