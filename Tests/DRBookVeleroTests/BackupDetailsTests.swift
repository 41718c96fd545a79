import DRBookArchive
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

@Suite("One backup in detail, and its own verdict for a namespace", .timeLimit(.minutes(3)))
struct BackupDetailsTests {
    @Test("details hold the metadata, the resource list in counts, every PodVolumeBackup, the results and the files",
          arguments: Backend.allCases)
    func details(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        let scenario = platformScenario(faults: [.partiallyFailed(errorsInNamespace: true)]) { $0.resourcesPerNamespace = 7 }
        let generated = try await VeleroStoreGenerator(scenario: scenario).write(to: store.store)
        let (backup, details) = try await StoreReader(store: store.store).details(of: generated.newest)

        #expect(backup.name == generated.newest)
        #expect(details.metadata.phase == "PartiallyFailed")
        #expect(details.metadata.errors == 1)
        #expect(details.metadata.schedule == "daily-full")
        #expect(details.metadata.storageLocation == "default")
        #expect(details.metadata.includedNamespaces == ["*"])
        #expect(details.metadata.excludedNamespaces == ["kube-system", "velero"])
        #expect(details.metadata.formatVersion == "1.1.0")
        #expect(details.metadata.completedAt == backup.startedAt?.addingTimeInterval(scenario.duration))
        #expect(details.metadata.expiration == backup.startedAt?.addingTimeInterval(scenario.ttl))

        let namespaces = [scenario.namespace] + scenario.otherNamespaces
        #expect(details.resources.listed)
        #expect(details.resources.namespaces == namespaces.sorted())
        #expect(details.resources.byKind["v1/ConfigMap"] == 7 * namespaces.count)
        #expect(details.resources.byKind["v1/PersistentVolumeClaim"] == generated.pvcs.count)
        #expect(details.resources.byKind["v1/Namespace"] == namespaces.count)
        #expect(details.resources.clusterScoped == namespaces.count + generated.pvcs.count)  // namespaces and PVs
        #expect(details.resources.total == details.resources.byKind.values.reduce(0, +))

        #expect(Set(details.podVolumeBackups.compactMap(\.persistentVolumeClaim)) == Set(generated.pvcs))
        #expect(details.podVolumeBackups.allSatisfy { $0.restorable && $0.hasSnapshotID && $0.totalBytes > 0 && $0.pod?.hasPrefix("monitoring/") == true })
        #expect(details.results.errors.messages(for: scenario.namespace).count == 1)
        #expect(details.unreadable.isEmpty)
        let files = Set(details.objects.map(\.key))
        #expect(files.contains(VeleroKeys.tarball(generated.newest)) && files.contains(VeleroKeys.metadata(generated.newest)))
        #expect(files.contains(VeleroKeys.results(generated.newest)))
    }

    @Test("a name that does not exist throws BackupNotFound with the nearest names", arguments: Backend.allCases)
    func notFound(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        let generated = try await VeleroStoreGenerator(scenario: platformScenario()).write(to: store.store)
        let error = await #expect(throws: BackupNotFound.self) { try await StoreReader(store: store.store).details(of: "daily-full-20260815021800") }
        #expect(error?.nearest.first == generated.newest)
        #expect(error?.total == generated.backups.count)
        #expect(error?.description.contains("no backup named 'daily-full-20260815021800'") == true)
        #expect(error?.description.contains("drbook backups list --store") == true)
    }

    @Test("a damaged side object is reported as unreadable and the rest is still shown")
    func damagedSideObject() async throws {
        let store = try await TestStore.make(.directory)
        let generated = try await VeleroStoreGenerator(scenario: platformScenario()).write(to: store.store)
        try await store.store.write(VeleroKeys.podVolumeBackups(generated.newest), data: Data("not gzip".utf8))
        let (_, details) = try await StoreReader(store: store.store).details(of: generated.newest)
        #expect(details.unreadable.map(\.part) == ["pod-volume backup list"])
        #expect(details.podVolumeBackups.isEmpty)
        #expect(details.resources.byKind["v1/PersistentVolumeClaim"] == generated.pvcs.count)
    }

    @Test("an older backup is judged on its own: its age against the RPO, its volumes", arguments: Backend.allCases)
    func olderBackupVerdict(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        let generated = try await VeleroStoreGenerator(scenario: platformScenario()).write(to: store.store)
        let reader = StoreReader(store: store.store)
        let (backup, _) = try await reader.details(of: generated.backups[1])
        let verdict = await StoreVerifier(reader: reader).verify(backup: backup, namespace: "monitoring", rpo: dayRPO, now: referenceNow)
        #expect(verdict.backup?.name == generated.backups[1])
        #expect(verdict.volumes.count == generated.pvcs.count)
        #expect(verdict.volumes.allSatisfy { $0.status == .passed })
        let stale = try verdict.only(.stale)
        #expect(stale.message.hasPrefix("backup \(generated.backups[1]) is 27h53m old, beyond the RPO of 24h"), "\(stale.message)")  // from completion, 7 minutes after the start
        #expect(verdict.status == .failed)
        let fresh = await StoreVerifier(reader: reader).verify(backup: backup, namespace: "monitoring", rpo: 48 * 3_600, now: referenceNow)
        #expect(fresh.isGreen, "\(fresh.findings)")
    }

    @Test("a backup that excludes the namespace, or ended Failed, gets one failure that says so")
    func notUsable() async throws {
        let store = try await TestStore.make(.directory)
        let generated = try await VeleroStoreGenerator(scenario: platformScenario(faults: [.failedNewest])).write(to: store.store)
        let reader = StoreReader(store: store.store)
        let (failed, _) = try await reader.details(of: generated.newest)
        let verdict = await StoreVerifier(reader: reader).verify(backup: failed, namespace: "monitoring", rpo: dayRPO, now: referenceNow)
        #expect(try verdict.only(.backupNotRestorable).message.contains("ended Failed: error getting backup storage location"))
        #expect(verdict.findings.count == 1)

        let (older, _) = try await reader.details(of: generated.backups[1])
        let excluded = await StoreVerifier(reader: reader).verify(backup: older, namespace: "kube-system", rpo: dayRPO, now: referenceNow)
        #expect(try excluded.only(.backupExcludesNamespace).message.contains("its excludedNamespaces has 'kube-system'"))
    }

    @Test("nearest names: a fragment matches first, then edit distance, newest first on ties")
    func nearestNames() {
        let names = ["daily-full-20260813021700", "daily-full-20260814021700", "daily-full-20260815021700", "weekly-20260810000000"]
        #expect(BackupNotFound.nearest(to: "daily-full", among: names) == ["daily-full-20260815021700", "daily-full-20260814021700", "daily-full-20260813021700"])
        #expect(BackupNotFound.nearest(to: "weekly-20260810000001", among: names, limit: 1) == ["weekly-20260810000000"])
        #expect(BackupNotFound.nearest(to: "x", among: [], limit: 3).isEmpty)
    }
}
