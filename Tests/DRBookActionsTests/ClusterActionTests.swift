import DRBookActions
import DRBookKube
import DRBookRunbook
import DRBookSandbox
import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

/// The actions that read the cluster, run against the sandbox with simulated Velero.
@Suite("Cluster actions against the sandbox", .timeLimit(.minutes(3)))
struct ClusterActionTests {
    static let velero = "velero"

    /// A sandbox with Velero over a directory store, a default BackupStorageLocation that
    /// is Available, and a `daily-full` schedule of the monitoring namespace.
    func withCluster(_ body: (Sandbox, KubeClient, TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let store = DirectoryBackupStore(root: directory.path("bucket/velero/prod"))
        let sandbox = try await Sandbox.start(SandboxConfiguration(
            directory: directory.url.appendingPathComponent("sandbox"),
            controllers: [VeleroController(veleroNamespace: Self.velero, store: store, syncInterval: .milliseconds(200)), WorkloadController()],
            namespaces: ["default", Self.velero, "monitoring"]))
        do {
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            try await admin.create(BackupStorageLocation.resource, [
                "metadata": ["name": "default", "namespace": .string(Self.velero)],
                "spec": ["provider": "aws", "default": true, "objectStorage": ["bucket": "bucket", "prefix": "velero/prod"]],
            ])
            try await admin.create(Schedule.resource, [
                "metadata": ["name": "daily-full", "namespace": .string(Self.velero)],
                "spec": ["schedule": "0 2 * * *", "template": ["includedNamespaces": ["*"], "excludedNamespaces": ["scratch"], "ttl": "336h0m0s"]],
            ])
            _ = try await admin.waitUntil(BackupStorageLocation.self, "default", namespace: Self.velero, timeout: .seconds(20),
                                          interval: .milliseconds(100)) { $0?.isAvailable == true }
            try await body(sandbox, admin, directory)
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    func run(_ sandbox: Sandbox, context: String = "sandbox-admin") -> ActionRun {
        ActionRun(environment: ActionEnvironment(processEnvironment: [:], kube: KubeConnection(access: KubeAccess(
            kubeconfig: sandbox.kubeconfig.path, context: context, environment: [:]))))
    }

    func backup(_ admin: KubeClient, _ name: String, outcome: String? = nil) async throws {
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(Self.velero), "labels": [Backup.scheduleLabel: "daily-full"]]
        if let outcome { metadata.set(.string(outcome), at: ["annotations", SimulationAnnotation.outcome]) }
        try await admin.create(Backup.resource, ["metadata": metadata, "spec": ["includedNamespaces": ["*"], "ttl": "336h0m0s"]])
        _ = try await admin.waitUntil(Backup.self, name, namespace: Self.velero, timeout: .seconds(20), interval: .milliseconds(100)) {
            $0?.phase.isTerminal == true
        }
    }

    static func later(_ seconds: TimeInterval) -> RunClock {
        RunClock(now: { Date().addingTimeInterval(seconds) }, sleep: { try await Task.sleep(for: $0) })
    }

    @Test("k8s.can passes for the admin and fails for the viewer, naming each denied permission")
    func preflight() async throws {
        try await withCluster { sandbox, _, _ in
            let needs = strings("delete persistentvolumeclaims in monitoring", "create restores.velero.io in velero", "list namespaces")
            let outputs = try await run(sandbox)("k8s.can", ["permissions": needs])
            #expect(outputs["checked"] == .int(3))

            let viewer = run(sandbox, context: "sandbox-viewer")
            let error = try #require(await actionError { try await viewer("k8s.can", ["permissions": needs]) })
            #expect(error.message.contains("user \"sandbox-viewer\" may not"))
            #expect(error.message.contains("delete persistentvolumeclaims in namespace \"monitoring\""))
            #expect(error.message.contains("create restores.velero.io in namespace \"velero\""))
            #expect(!error.message.contains("list namespaces"))
            #expect(viewer.reports.lines.contains { $0.hasPrefix("allowed: list namespaces") })

            let malformed = try #require(await actionError { try await run(sandbox)("k8s.can", ["permissions": strings("delete pvc monitoring")]) })
            #expect(malformed.message.contains("is not \"VERB RESOURCE[.GROUP] [in NAMESPACE]\""))
        }
    }

    @Test("velero.locationAvailable: Available and fresh passes; a stale validation and a stray folder fail with the fix")
    func locationAvailable() async throws {
        try await withCluster { sandbox, admin, directory in
            let outputs = try await run(sandbox)("velero.locationAvailable", ["veleroNamespace": .string(Self.velero)])
            #expect(outputs["location"] == .string("default"))

            let stale = try #require(await actionError {
                try await run(sandbox)("velero.locationAvailable", ["veleroNamespace": .string(Self.velero), "location": .string("default")],
                                       clock: Self.later(3_600))
            })
            #expect(stale.message.contains("last validated"))
            #expect(stale.fix?.contains("kubectl -n velero get pods") == true)

            try FileManager.default.createDirectory(atPath: directory.path("bucket/velero/prod/stray"), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: directory.path("bucket/velero/prod/stray/file")))
            _ = try await admin.waitUntil(BackupStorageLocation.self, "default", namespace: Self.velero, timeout: .seconds(20),
                                          interval: .milliseconds(100)) { $0?.isAvailable == false }
            let unavailable = try #require(await actionError {
                try await run(sandbox)("velero.locationAvailable", ["veleroNamespace": .string(Self.velero)])
            })
            #expect(unavailable.message.contains("phase is Unavailable"))
            #expect(unavailable.message.contains("invalid top-level directories"))
        }
    }

    @Test("velero.locationAvailable: a location Velero has not validated yet is waited for with progress, then judged; the wait is bounded")
    func locationNotYetValidated() async throws {
        try await withCluster { sandbox, admin, _ in
            // No simulated Velero watches this namespace, so only the test gives the location a phase.
            let staging = "velero-staging"
            try await admin.create(Namespace.resource, ["metadata": ["name": .string(staging)]])
            try await admin.create(BackupStorageLocation.resource, [
                "metadata": ["name": "fresh", "namespace": .string(staging)],
                "spec": ["provider": "aws", "default": true, "objectStorage": ["bucket": "bucket", "prefix": "velero/staging"]],
            ])
            let inputs: [String: Value] = ["veleroNamespace": .string(staging), "waitForValidation": .duration(.seconds(90))]
            let action = run(sandbox)
            let waiting = Task { try await action("velero.locationAvailable", inputs) }
            // Bounded by count, not time: the action's first read may be slow on a loaded machine.
            for _ in 0..<2_400 where !action.reports.lines.contains(where: { $0.contains("has no phase yet") }) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(action.reports.lines.contains("backupstoragelocation velero-staging/fresh has no phase yet; waiting up to 1m30s for Velero to validate it"))
            _ = try await sandbox.store.patchStatus(GroupResource(.backupStorageLocations), namespace: staging, name: "fresh",
                                                    ["status": ["phase": "Available", "lastValidationTime": .string(KubeJSON.formatTime(Date()))]])
            let outputs = try await waiting.value
            #expect(outputs["location"] == .string("fresh"))
            #expect(action.reports.progress.contains { $0.message?.hasPrefix("waiting for Velero to validate fresh") == true })

            try await admin.create(BackupStorageLocation.resource, [
                "metadata": ["name": "never", "namespace": .string(staging)],
                "spec": ["provider": "aws", "objectStorage": ["bucket": "bucket", "prefix": "velero/never"]],
            ])
            let bounded = try #require(await actionError {
                try await run(sandbox)("velero.locationAvailable", ["veleroNamespace": .string(staging), "location": .string("never"),
                                                                   "waitForValidation": .duration(.seconds(1))])
            })
            #expect(bounded.message == "phase is still unset after 1s: Velero has not validated the location")
            #expect(bounded.subject == "backupstoragelocation velero-staging/never")
            #expect(bounded.fix?.contains("raise input 'waitForValidation'") == true)
        }
    }

    @Test("velero.scheduleCovers: a recent, unpaused schedule that includes the namespace passes; each gap fails on its own")
    func scheduleCovers() async throws {
        try await withCluster { sandbox, admin, _ in
            let inputs: [String: Value] = ["veleroNamespace": .string(Self.velero), "schedule": .string("daily-full"), "namespace": .string("monitoring"),
                                           "rpo": .duration(.seconds(86_400))]
            let never = try #require(await actionError { try await run(sandbox)("velero.scheduleCovers", inputs) })
            #expect(never.message.contains("has never made a backup"))

            try await backup(admin, "daily-full-20261125020000")
            let outputs = try await run(sandbox)("velero.scheduleCovers", inputs)
            #expect(outputs["ttl"] == .duration(.seconds(336 * 3_600)))

            let old = try #require(await actionError { try await run(sandbox)("velero.scheduleCovers", inputs, clock: Self.later(2 * 86_400)) })
            #expect(old.message.contains("older than the RPO 24h"))

            var scratch = inputs
            scratch["namespace"] = .string("scratch")
            let excluded = try #require(await actionError { try await run(sandbox)("velero.scheduleCovers", scratch) })
            #expect(excluded.message.contains("does not back up namespace scratch: excluded by 'scratch'"))

            var longRPO = inputs
            longRPO["rpo"] = .duration(.seconds(30 * 86_400))
            let shortTTL = try #require(await actionError { try await run(sandbox)("velero.scheduleCovers", longRPO) })
            #expect(shortTTL.message.contains("keeps backups for 336h"))

            try await admin.mergePatch(Schedule.self, "daily-full", namespace: Self.velero, patch: ["spec": ["paused": true]])
            let paused = try #require(await actionError { try await run(sandbox)("velero.scheduleCovers", inputs) })
            #expect(paused.message.contains("is paused"))
        }
    }

    @Test("velero.latestBackup picks the newest Completed backup and passes over a newer PartiallyFailed one")
    func latestBackup() async throws {
        try await withCluster { sandbox, admin, _ in
            let inputs: [String: Value] = ["veleroNamespace": .string(Self.velero), "namespace": .string("monitoring"), "schedule": .string("daily-full")]
            let none = try #require(await actionError { try await run(sandbox)("velero.latestBackup", inputs) })
            #expect(none.message.contains("no Completed backup includes namespace monitoring"))

            try await backup(admin, "daily-full-20261124020000")
            try await Task.sleep(for: .seconds(1.1)) // start timestamps have one-second resolution
            try await backup(admin, "daily-full-20261125020000", outcome: "PartiallyFailed")
            let runner = run(sandbox)
            let outputs = try await runner("velero.latestBackup", inputs)
            #expect(outputs["backup"] == .string("daily-full-20261124020000"))
            #expect(runner.reports.lines.contains("passed over daily-full-20261125020000: phase PartiallyFailed"))

            var withRPO = inputs
            withRPO["rpo"] = .duration(.seconds(3_600))
            let stale = try #require(await actionError { try await run(sandbox)("velero.latestBackup", withRPO, clock: Self.later(7_200)) })
            #expect(stale.message.contains("older than the RPO 1h"))
        }
    }
}
