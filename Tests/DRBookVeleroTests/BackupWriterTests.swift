import DRBookKube
import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

@Suite("VeleroBackupWriter, the one writer of Velero's store format")
struct BackupWriterTests {
    let backup: JSONValue = ["apiVersion": "velero.io/v1", "kind": "Backup",
                             "metadata": ["name": "nightly-1", "namespace": "velero"], "spec": ["storageLocation": "default"],
                             "status": ["phase": "Completed"]]
    let items = [
        BackupItem(groupResource: "namespaces", namespace: nil, name: "monitoring",
                   object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "monitoring"]]),
        BackupItem(groupResource: "persistentvolumeclaims", namespace: "monitoring", name: "data-loki-0",
                   object: ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data-loki-0", "namespace": "monitoring"]]),
    ]

    @Test("a backup's objects are uploaded in Velero's order, velero-backup.json last, and volume info only when given")
    func objectsInOrder() throws {
        let directory = try TemporaryDirectory()
        let writer = VeleroBackupWriter(workspace: directory.path(""))
        let keys = try writer.objects(of: VeleroBackupContents(backup: backup, items: items, podVolumeBackups: [], log: "")).map(\.key)
        #expect(keys.first == VeleroKeys.tarball("nightly-1"))
        #expect(keys.last == VeleroKeys.metadata("nightly-1"))
        #expect(!keys.contains(VeleroKeys.volumeInfo("nightly-1")))
        let withInfo = try writer.objects(of: VeleroBackupContents(backup: backup, items: items, podVolumeBackups: [], volumeInfos: [],
                                                                   log: "")).map(\.key)
        #expect(Set(withInfo) == Set(keys).union([VeleroKeys.volumeInfo("nightly-1")]))
    }

    @Test("what the writer wrote reads back through the store reader: metadata, resource list, results by scope, items")
    func readsBack() async throws {
        let directory = try TemporaryDirectory()
        let store = DirectoryBackupStore(root: directory.path(""))
        try await VeleroBackupWriter(workspace: directory.path("")).write(VeleroBackupContents(
            backup: backup, items: items, podVolumeBackups: [],
            errors: ["": ["cluster trouble"], "monitoring": ["first", "second"]], log: "done\n"), to: store)
        let reader = StoreReader(store: store)
        #expect(try await reader.backup(named: "nightly-1")?.phase == .completed)
        #expect(try await reader.resourceList(of: "nightly-1").items == ["v1/Namespace": ["monitoring"],
                                                                          "v1/PersistentVolumeClaim": ["monitoring/data-loki-0"]])
        let results = try await reader.results(of: "nightly-1")
        #expect(results.errors.cluster == ["cluster trouble"])
        #expect(results.errors.namespaces == ["monitoring": ["first", "second"]])
        #expect(try await BackupItemReader.items(of: "nightly-1", in: store) == items)
        // The workspace holds no tarball once the backup is written.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("")).filter { $0.hasSuffix(".tar.gz") }.isEmpty)
    }
}
