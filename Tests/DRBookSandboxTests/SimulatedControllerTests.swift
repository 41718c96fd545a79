import DRBookKube
@testable import DRBookSandbox
import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

/// The simulated controllers, driven through drbook's client as a runbook would drive a
/// real cluster. The Velero store they write is checked by the same verifier users run.
@Suite("Simulated controllers", .timeLimit(.minutes(3)))
struct SimulatedControllerTests {
    static let veleroNamespace = "velero"
    static let monitoring = "monitoring"

    /// A sandbox running every controller, a BackupStorageLocation over a directory store,
    /// and a Prometheus whose StatefulSet is rolled out.
    func withPlatform(store directory: TemporaryDirectory? = nil,
                      _ body: (KubeClient, Sandbox, DirectoryBackupStore) async throws -> Void) async throws {
        let storeDirectory = try directory ?? TemporaryDirectory()
        let store = DirectoryBackupStore(root: storeDirectory.path("bucket/velero/prod"))
        let controllers: [any SandboxController] = [
            VeleroController(veleroNamespace: Self.veleroNamespace, store: store, syncInterval: .milliseconds(200)),
            FluxController(), PrometheusOperatorController(), WorkloadController(),
        ]
        try await withClients(controllers: controllers) { admin, _, sandbox in
            try await admin.create(BackupStorageLocation.resource, [
                "metadata": ["name": "default", "namespace": .string(Self.veleroNamespace)],
                "spec": ["provider": "aws", "default": true, "objectStorage": ["bucket": "bucket", "prefix": "velero/prod"]],
            ])
            _ = try await admin.waitUntil(BackupStorageLocation.self, "default", namespace: Self.veleroNamespace,
                                          timeout: .seconds(20), interval: .milliseconds(100)) { $0?.isAvailable == true }
            try await body(admin, sandbox, store)
        }
    }

    func createPrometheus(_ admin: KubeClient, replicas: Int = 1) async throws {
        try await admin.create(Prometheus.resource, [
            "metadata": ["name": "main", "namespace": .string(Self.monitoring)],
            "spec": ["replicas": .int(replicas), "storage": ["volumeClaimTemplate": [
                "metadata": ["name": "prometheus-db"],
                "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "20Gi"]]],
            ]]],
        ])
        _ = try await admin.waitUntil(StatefulSet.self, "prometheus-main", namespace: Self.monitoring,
                                      timeout: .seconds(20), interval: .milliseconds(100)) { $0?.isRolledOut == true && $0?.readyReplicas == replicas }
    }

    func backup(_ admin: KubeClient, _ name: String, annotations: [String: String] = [:]) async throws -> Backup {
        try await admin.create(Backup.resource, [
            "metadata": ["name": .string(name), "namespace": .string(Self.veleroNamespace),
                         "labels": [Backup.scheduleLabel: "daily-full"], "annotations": .object(annotations.mapValues(JSONValue.string))],
            "spec": ["includedNamespaces": [.string(Self.monitoring)], "defaultVolumesToFsBackup": true, "ttl": "336h0m0s"],
        ])
        return try #require(try await admin.waitUntil(Backup.self, name, namespace: Self.veleroNamespace, timeout: .seconds(30),
                                                      interval: .milliseconds(100)) { $0?.phase.isTerminal == true })
    }

    func restore(_ admin: KubeClient, _ name: String, backup: String, mapping: [String: String] = [:],
                 annotations: [String: String] = [:]) async throws -> Restore {
        try await admin.create(Restore.resource, [
            "metadata": ["name": .string(name), "namespace": .string(Self.veleroNamespace),
                         "annotations": .object(annotations.mapValues(JSONValue.string))],
            "spec": ["backupName": .string(backup), "includedNamespaces": [.string(Self.monitoring)],
                     "namespaceMapping": .object(mapping.mapValues(JSONValue.string))],
        ])
        return try #require(try await admin.waitUntil(Restore.self, name, namespace: Self.veleroNamespace, timeout: .seconds(30),
                                                       interval: .milliseconds(100)) { $0?.phase.isTerminal == true })
    }

    @Test("a Backup runs to Completed and writes a store that drbook's verifier passes, with the Prometheus volume backed up")
    func backupWritesAVerifiableStore() async throws {
        try await withPlatform { admin, _, store in
            try await createPrometheus(admin)
            let done = try await backup(admin, "daily-full-20261125020000")
            #expect(done.phase == .completed)
            #expect(done.status.completionTimestamp != nil)
            let pvbs = try await admin.list(PodVolumeBackup.self, namespace: Self.veleroNamespace,
                                            labelSelector: "velero.io/backup-name=daily-full-20261125020000")
            #expect(pvbs.items.count == 1)
            #expect(pvbs.items.first?.persistentVolumeClaim == "prometheus-db-prometheus-main-0")
            #expect(pvbs.items.first?.isRestorable == true)

            let verdict = try await StoreVerifier(store: store).verify(namespace: Self.monitoring, rpo: 86_400,
                                                                       expectedPVCs: ["prometheus-db-prometheus-*"])
            #expect(verdict.isGreen, "\(verdict.findings)")
            #expect(verdict.backup?.name == "daily-full-20261125020000")
            #expect(verdict.volumes.map(\.persistentVolumeClaim) == ["prometheus-db-prometheus-main-0"])
            #expect(verdict.kopia?.exists == true)
        }
    }

    @Test("a failed pod-volume backup makes the Backup PartiallyFailed and the verifier red")
    func failedVolume() async throws {
        try await withPlatform { admin, _, store in
            try await createPrometheus(admin)
            try await admin.annotate(.persistentVolumeClaims, "prometheus-db-prometheus-main-0", namespace: Self.monitoring,
                                     SimulationAnnotation.outcome, "Failed")
            let done = try await backup(admin, "daily-full-20261125030000")
            #expect(done.phase == .partiallyFailed)
            let verdict = try await StoreVerifier(store: store).verify(namespace: Self.monitoring, rpo: 86_400)
            #expect(!verdict.isGreen)
        }
    }

    @Test("a Restore with a namespace mapping recreates the namespace's objects and one PodVolumeRestore per volume")
    func restoreWithMapping() async throws {
        try await withPlatform { admin, _, _ in
            try await createPrometheus(admin)
            _ = try await backup(admin, "daily-full-20261125040000")
            let done = try await restore(admin, "drill-1", backup: "daily-full-20261125040000",
                                         mapping: [Self.monitoring: "monitoring-restore-test"])
            #expect(done.phase == .completed)
            let claim = try await admin.get(PersistentVolumeClaim.self, "prometheus-db-prometheus-main-0", namespace: "monitoring-restore-test")
            #expect(claim.metadata.labels?["velero.io/restore-name"] == "drill-1")
            let pod = try await admin.get(Pod.self, "prometheus-main-0", namespace: "monitoring-restore-test")
            #expect(pod.claimNames == ["prometheus-db-prometheus-main-0"])
            let volumeRestores = try await admin.list(PodVolumeRestore.self, namespace: Self.veleroNamespace,
                                                      labelSelector: "\(PodVolumeRestore.restoreNameLabel)=drill-1")
            #expect(volumeRestores.items.count == 1)
            #expect(volumeRestores.items.first?.phase == "Completed")
            #expect(volumeRestores.items.first?.spec.pod?.namespace == "monitoring-restore-test")
        }
    }

    @Test("restores that must not be trusted: missing backup, requested partial failure, and PodVolumeBackups not synced")
    func untrustedRestores() async throws {
        try await withPlatform { admin, _, _ in
            let missing = try await restore(admin, "no-backup", backup: "does-not-exist")
            #expect(missing.phase == .failedValidation)
            #expect(missing.status?.validationErrors?.first?.contains("does-not-exist") == true)

            try await createPrometheus(admin)
            _ = try await backup(admin, "daily-full-20261125050000")
            let partial = try await restore(admin, "partial", backup: "daily-full-20261125050000", mapping: [Self.monitoring: "m-partial"],
                                            annotations: [SimulationAnnotation.outcome: "PartiallyFailed"])
            #expect(partial.phase == .partiallyFailed)
            #expect((partial.status?.errors ?? 0) > 0)

            // The trap of velero.md §4: volume data is restored only for PodVolumeBackups in the cluster.
            for pvb in try await admin.list(PodVolumeBackup.self, namespace: Self.veleroNamespace).items {
                try await admin.delete(PodVolumeBackup.resource, pvb.metadata.name, namespace: Self.veleroNamespace)
            }
            let unsynced = try await restore(admin, "unsynced", backup: "daily-full-20261125050000", mapping: [Self.monitoring: "m-unsynced"])
            #expect(unsynced.phase == .completed)
            let volumeRestores = try await admin.list(PodVolumeRestore.self, namespace: Self.veleroNamespace,
                                                      labelSelector: "\(PodVolumeRestore.restoreNameLabel)=unsynced")
            #expect(volumeRestores.items.isEmpty)
        }
    }

    @Test("a new cluster over the same bucket syncs the backups and their PodVolumeBackups; a stray folder makes the location Unavailable")
    func syncFromTheBucket() async throws {
        let bucket = try TemporaryDirectory()
        try await withPlatform(store: bucket) { admin, _, _ in
            try await createPrometheus(admin)
            _ = try await backup(admin, "daily-full-20261125060000")
        }
        try await withPlatform(store: bucket) { admin, _, store in
            let synced = try #require(try await admin.waitUntil(Backup.self, "daily-full-20261125060000", namespace: Self.veleroNamespace,
                                                                 timeout: .seconds(20), interval: .milliseconds(100)) { $0?.phase == .completed })
            #expect(synced.spec.storageLocation == "default")
            let pvbs = try await admin.list(PodVolumeBackup.self, namespace: Self.veleroNamespace,
                                            labelSelector: "velero.io/backup-name=daily-full-20261125060000")
            #expect(pvbs.items.count == 1)
            #expect(pvbs.items.first?.isRestorable == true)

            try await store.write("stray/readme.txt", data: Data("not velero's".utf8))
            let location = try #require(try await admin.waitUntil(BackupStorageLocation.self, "default", namespace: Self.veleroNamespace,
                                                                   timeout: .seconds(20), interval: .milliseconds(100)) { $0?.isAvailable == false })
            #expect(location.status?.message?.contains("invalid top-level directories") == true)
        }
    }

    @Test("Flux: suspend is honoured, the reconcile annotation is handled, and the source revision is applied")
    func flux() async throws {
        try await withPlatform { admin, sandbox, _ in
            try await admin.create(KubeResource(group: "source.toolkit.fluxcd.io", version: "v1", resource: "gitrepositories",
                                                kind: "GitRepository", namespaced: true),
                                   ["metadata": ["name": "flux-system", "namespace": "flux-system"], "spec": ["ref": ["branch": "main"]]])
            try await admin.create(Kustomization.resource, [
                "metadata": ["name": "apps", "namespace": "flux-system"],
                "spec": ["interval": "10m", "path": "./k8s/apps", "sourceRef": ["kind": "GitRepository", "name": "flux-system"]],
            ])
            let ready = try #require(try await admin.waitUntil(Kustomization.self, "apps", namespace: "flux-system", timeout: .seconds(20),
                                                                interval: .milliseconds(100)) { $0?.isReady == true && $0?.status?.lastAppliedRevision != nil })
            #expect(ready.status?.lastAppliedRevision?.hasPrefix("main@sha1:") == true)

            try await admin.mergePatch(Kustomization.self, "apps", namespace: "flux-system", patch: ["spec": ["suspend": true]])
            try await admin.annotate(Kustomization.resource, "apps", namespace: "flux-system", FluxReconcile.requestedAtAnnotation, "2026-11-25T10:00:00Z")
            // A suspended object's events are left alone: reconcile it by hand and see nothing written.
            let before = try await sandbox.store.get(GroupResource(Kustomization.resource), namespace: "flux-system", name: "apps")
            await FluxController().reconcile(GroupResource(Kustomization.resource), before, in: sandbox.store)
            let after = try await sandbox.store.get(GroupResource(Kustomization.resource), namespace: "flux-system", name: "apps")
            #expect(after == before)
            let suspended = try await admin.get(Kustomization.self, "apps", namespace: "flux-system")
            #expect(suspended.status?.lastHandledReconcileAt == nil)

            try await admin.mergePatch(Kustomization.self, "apps", namespace: "flux-system", patch: ["spec": ["suspend": false]])
            let handled = try #require(try await admin.waitUntil(Kustomization.self, "apps", namespace: "flux-system", timeout: .seconds(20),
                                                                  interval: .milliseconds(100)) { $0?.status?.lastHandledReconcileAt == "2026-11-25T10:00:00Z" })
            #expect(handled.isReady)
        }
    }

    @Test("prometheus-operator: replicas follow the CR, a paused CR leaves a hand-scaled StatefulSet alone, readiness is reflected")
    func prometheusOperator() async throws {
        try await withPlatform { admin, _, _ in
            try await createPrometheus(admin, replicas: 2)
            let claims = try await admin.list(PersistentVolumeClaim.self, namespace: Self.monitoring)
            #expect(Set(claims.items.map(\.metadata.name)) == ["prometheus-db-prometheus-main-0", "prometheus-db-prometheus-main-1"])
            #expect(claims.items.allSatisfy { $0.phase == "Bound" })
            _ = try await admin.waitUntil(Prometheus.self, "main", namespace: Self.monitoring, timeout: .seconds(20),
                                          interval: .milliseconds(100)) { $0?.status?.availableReplicas == 2 }

            try await admin.mergePatch(Prometheus.self, "main", namespace: Self.monitoring, patch: ["spec": ["paused": true]])
            try await admin.mergePatch(StatefulSet.self, "prometheus-main", namespace: Self.monitoring, patch: ["spec": ["replicas": 0]])
            let scaledDown = try #require(try await admin.waitUntil(StatefulSet.self, "prometheus-main", namespace: Self.monitoring,
                                                                     timeout: .seconds(20), interval: .milliseconds(100)) { $0?.status?.replicas == 0 })
            #expect(scaledDown.desiredReplicas == 0, "a paused operator must not undo the scale-down")
            #expect(try await admin.list(Pod.self, namespace: Self.monitoring).items.isEmpty)
            #expect(try await admin.list(PersistentVolumeClaim.self, namespace: Self.monitoring).items.count == 2, "claims outlive a scale-down")

            try await admin.mergePatch(Prometheus.self, "main", namespace: Self.monitoring, patch: ["spec": ["paused": false, "replicas": 1]])
            let back = try #require(try await admin.waitUntil(StatefulSet.self, "prometheus-main", namespace: Self.monitoring,
                                                               timeout: .seconds(20), interval: .milliseconds(100)) { $0?.readyReplicas == 1 })
            #expect(back.desiredReplicas == 1)
        }
    }
}
