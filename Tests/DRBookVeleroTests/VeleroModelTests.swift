@testable import DRBookVelero
import Foundation
import Testing

@Suite("Velero's JSON is decoded by its own field names, tolerating what drbook does not need")
struct VeleroModelTests {
    @Test("a Backup decodes phase, times, namespaces, ttl, schedule label and counts, ignoring unknown fields")
    func backup() throws {
        let json = """
        {"apiVersion":"velero.io/v1","kind":"Backup","metadata":{"name":"daily-full-20260815021700","namespace":"velero",
         "labels":{"velero.io/schedule-name":"daily-full","velero.io/storage-location":"default"},"managedFields":[{}]},
         "spec":{"includedNamespaces":["*"],"excludedNamespaces":["kube-system","velero"],"ttl":"336h0m0s","storageLocation":"default",
         "defaultVolumesToFsBackup":true,"hooks":{},"uploaderConfig":{"parallelFilesUpload":4}},
         "status":{"phase":"PartiallyFailed","startTimestamp":"2026-08-15T02:17:00Z","completionTimestamp":"2026-08-15T02:24:03.5Z",
         "expiration":"2026-08-29T02:17:00Z","errors":2,"warnings":1,"formatVersion":"1.1.0","version":1,"hookStatus":{}}}
        """
        let backup = try VeleroJSON.decoder().decode(Backup.self, from: Data(json.utf8))
        #expect(backup.name == "daily-full-20260815021700")
        #expect(backup.schedule == "daily-full")
        #expect(backup.phase == .partiallyFailed && backup.phase.isTerminal && backup.phase.isRestorable)
        #expect(backup.status.errors == 2 && backup.status.warnings == 1)
        #expect(backup.status.completionTimestamp == VeleroJSON.parseTime("2026-08-15T02:24:03.5Z"))
        #expect(GoDuration.parse(backup.spec.ttl ?? "") == TimeInterval(1_209_600))
        #expect(backup.includes(namespace: "monitoring"))
        #expect(!backup.includes(namespace: "kube-system"))
        #expect(backup.exclusion(of: "velero") == "velero")
    }

    @Test("a Backup with no status is New, and New is never trusted")
    func emptyStatus() throws {
        let backup = try VeleroJSON.decoder().decode(Backup.self, from: Data(#"{"metadata":{"name":"x"},"spec":{}}"#.utf8))
        #expect(backup.phase == .new)
        #expect(!backup.phase.isTerminal)
        #expect(backup.includes(namespace: "anything"))
    }

    @Test("namespace filters honour globs and explicit lists")
    func namespaceFilters() throws {
        let backup = try VeleroJSON.decoder().decode(Backup.self, from: Data(#"{"metadata":{"name":"x"},"spec":{"includedNamespaces":["mon*","loki"],"excludedNamespaces":["monitoring-old"]}}"#.utf8))
        #expect(backup.includes(namespace: "monitoring"))
        #expect(backup.includes(namespace: "loki"))
        #expect(!backup.includes(namespace: "monitoring-old"))
        #expect(!backup.includes(namespace: "default"))
    }

    @Test("a PodVolumeBackup maps to its PVC by the pvc-name annotation; empty kind, missing snapshot id and progress are tolerated")
    func podVolumeBackup() throws {
        let json = #"[{"metadata":{"name":"b-x1","annotations":{"velero.io/pvc-name":"storage-loki-0"}},"spec":{"pod":{"kind":"Pod","namespace":"monitoring","name":"loki-0"},"volume":"storage","uploaderType":"kopia"},"status":{"phase":"Completed","progress":{}}}]"#
        let pvbs = try VeleroJSON.decoder().decode([PodVolumeBackup]?.self, from: Data(json.utf8)) ?? []
        let pvb = try #require(pvbs.first)
        #expect(pvb.persistentVolumeClaim == "storage-loki-0")
        #expect(pvb.podNamespace == "monitoring" && pvb.podName == "loki-0")
        #expect(pvb.isCompleted && pvb.snapshotID.isEmpty && !pvb.isRestorable)
        #expect(pvb.totalBytes == 0)
        #expect(try VeleroJSON.decoder().decode([PodVolumeBackup]?.self, from: Data("null".utf8)) == nil)
    }

    @Test("results and resource lists decode Velero's shapes; missing scopes are empty")
    func resultsAndResourceList() throws {
        let results = try VeleroJSON.decoder().decode(BackupResults.self, from: Data(#"{"errors":{"namespaces":{"monitoring":["boom"]}},"warnings":{}}"#.utf8))
        #expect(results.errors.messages(for: "monitoring") == ["boom"])
        #expect(results.warnings.isEmpty)
        let list = try VeleroJSON.decoder().decode(ResourceList.self, from: Data(#"{"v1/PersistentVolumeClaim":["monitoring/a","other/b"],"v1/PersistentVolume":["pvc-1"]}"#.utf8))
        #expect(list.names("v1/PersistentVolumeClaim", in: "monitoring") == ["a"])
    }

    @Test("tarball paths: unversioned, preferred-version and other-version copies, namespaced and cluster-scoped")
    func itemPaths() throws {
        let preferred = try #require(TarballItemPath("resources/persistentvolumeclaims/v1-preferredversion/namespaces/monitoring/storage-loki-0.json"))
        #expect(preferred.groupResource == "persistentvolumeclaims" && preferred.namespace == "monitoring" && preferred.name == "storage-loki-0")
        #expect(preferred.preference == 0)
        let plain = try #require(TarballItemPath("resources/statefulsets.apps/namespaces/monitoring/loki.json"))
        #expect(plain.groupResource == "statefulsets.apps" && plain.versionDirectory == nil && plain.preference == 1)
        let cluster = try #require(TarballItemPath("resources/namespaces/cluster/monitoring.json"))
        #expect(cluster.groupResource == "namespaces" && cluster.namespace == nil && cluster.name == "monitoring")
        #expect(TarballItemPath("resources/namespaces/v1-preferredversion/cluster/monitoring.json")?.preference == 0)
        #expect(TarballItemPath("resources/pods/v1beta1/namespaces/monitoring/p.json")?.preference == 2)
        #expect(TarballItemPath("metadata/version") == nil)
        #expect(TarballItemPath("resources/pods/namespaces/monitoring") == nil)
    }

    @Test("Go durations and globs")
    func durationsAndGlobs() {
        #expect(GoDuration.parse("24h") == 86_400)
        #expect(GoDuration.parse("336h0m0s") == 1_209_600)
        #expect(GoDuration.parse("1h30m") == 5_400)
        #expect(GoDuration.parse("1.5h") == 5_400)
        #expect(GoDuration.parse("24") == nil)
        #expect(GoDuration.format(1_209_600) == "336h")
        #expect(Glob.matches("prometheus-*", "prometheus-k8s-db-prometheus-k8s-0"))
        #expect(Glob.matches("*-loki-?", "storage-loki-0"))
        #expect(!Glob.matches("prometheus-*", "alertmanager-0"))
        #expect(Glob.matches("*", ""))
    }
}
