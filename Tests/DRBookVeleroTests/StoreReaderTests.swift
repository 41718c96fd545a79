import DRBookArchive
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

@Suite("The store reader reads a Velero store as Velero does", .timeLimit(.minutes(3)))
struct StoreReaderTests {
    @Test("backups are listed newest first, each with its metadata; a folder without velero-backup.json is not a backup",
          arguments: Backend.allCases)
    func listing(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        let generated = try await VeleroStoreGenerator(scenario: platformScenario()).write(to: store.store)
        try await store.store.write("backups/daily-full-20260815120000/daily-full-20260815120000-logs.gz", data: try Gzip.compress(Data("x\n".utf8)))
        let reader = StoreReader(store: store.store)

        let listing = try await reader.listBackups()
        #expect(listing.backups.map(\.name) == generated.backups)
        #expect(generated.backups == ["daily-full-20260815021700", "daily-full-20260814021700", "daily-full-20260813021700"])
        #expect(listing.foldersWithoutMetadata == ["daily-full-20260815120000"])
        let newest = try #require(listing.backups.first?.backup)
        #expect(newest.phase == .completed)
        #expect(newest.schedule == "daily-full")
        #expect(newest.spec.excludedNamespaces == ["kube-system", "velero"])
        #expect(newest.spec.storageLocation == "default")
        #expect(newest.status.formatVersion == "1.1.0")
        #expect(newest.status.expiration == newest.status.startTimestamp?.addingTimeInterval(336 * 3_600))
        #expect(try await reader.backup(named: "no-such-backup") == nil)
    }

    @Test("pod-volume backups, results and resource list are read; missing ones are empty, and a `null` list is no PVBs",
          arguments: Backend.allCases)
    func sideObjects(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        let generated = try await VeleroStoreGenerator(scenario: platformScenario()).write(to: store.store)
        let reader = StoreReader(store: store.store)
        let pvbs = try await reader.podVolumeBackups(of: generated.newest)
        #expect(Set(pvbs.compactMap(\.persistentVolumeClaim)) == Set(generated.pvcs))
        #expect(pvbs.allSatisfy { $0.isRestorable && $0.totalBytes > 0 && $0.spec.uploaderType == "kopia" })
        #expect(Set(pvbs.map(\.snapshotID)) == Set(generated.snapshotIDs.values))
        let list = try await reader.resourceList(of: generated.newest)
        #expect(Set(list.names("v1/PersistentVolumeClaim", in: "monitoring")) == Set(generated.pvcs))
        #expect(list.items["apps/v1/StatefulSet"]?.contains("monitoring/loki") == true)
        #expect(try await reader.results(of: generated.newest) == BackupResults())

        try await store.store.write("backups/old/velero-backup.json", data: Data(#"{"metadata":{"name":"old"},"status":{"phase":"Completed"}}"#.utf8))
        try await store.store.write("backups/old/old-podvolumebackups.json.gz", data: try Gzip.compress(Data("null".utf8)))
        #expect(try await reader.podVolumeBackups(of: "old").isEmpty)
        #expect(try await reader.results(of: "old") == BackupResults())
        #expect(try await reader.resourceList(of: "old") == ResourceList())
    }

    @Test("the tarball is indexed for one namespace: PVCs with their size, pods with the PVCs they mount, StatefulSets",
          arguments: Backend.allCases)
    func tarballIndex(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        let scenario = platformScenario { $0.resourcesPerNamespace = 50 }
        let generated = try await VeleroStoreGenerator(scenario: scenario).write(to: store.store)
        let index = try await StoreReader(store: store.store).tarballIndex(of: generated.newest, namespace: "monitoring")

        #expect(index.formatVersion == "1.1.0")
        #expect(index.namespaceObjectPresent)
        #expect(Set(index.persistentVolumeClaims.keys) == Set(generated.pvcs))
        #expect(index.persistentVolumeClaims[prometheusPVC]?.requestedStorage == "20Gi")
        #expect(index.persistentVolumeClaims[lokiPVC]?.requestedStorage == "10Gi")
        #expect(index.persistentVolumeClaims[lokiPVC]?.entry.contains("v1-preferredversion") == true)
        #expect(index.pods(mounting: lokiPVC).map(\.name) == ["loki-0"])
        #expect(index.pods["loki-0"]?.claims == ["storage": lokiPVC])
        #expect(index.pods["loki-0"]?.owner == "StatefulSet/loki")
        #expect(index.count(of: "statefulsets.apps") == 3)
        #expect(index.count(of: "configmaps") == 50)
        #expect(index.items["configmaps"]?.contains("flux-system-config-0") == false)
        // Every item twice (two version paths) plus metadata/version.
        #expect(index.entryCount > 2 * (50 * 3 + 3 + 4 * 3) )
    }

    @Test("top-level folders are listed and those Velero forbids are flagged; the Kopia repository is summarised",
          arguments: Backend.allCases)
    func layoutAndKopia(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        _ = try await VeleroStoreGenerator(scenario: platformScenario(faults: [.strayTopLevelFolder("loki-chunks")])).write(to: store.store)
        try await store.store.write("restores/r1/restore-r1-logs.gz", data: try Gzip.compress(Data()))
        try await store.store.write("loose-file.txt", data: Data("x".utf8))
        let reader = StoreReader(store: store.store)
        let layout = try await reader.layout()
        #expect(layout.folders == ["backups", "kopia", "loki-chunks", "restores"])
        #expect(layout.strayFolders == ["loki-chunks"])

        let kopia = try await reader.kopiaRepository(namespace: "monitoring")
        #expect(kopia.exists && kopia.hasFormatBlob)
        #expect(kopia.location == store.store.display("kopia/monitoring/"))
        #expect(try await reader.kopiaRepository(namespace: "default").exists == false)
    }
}
