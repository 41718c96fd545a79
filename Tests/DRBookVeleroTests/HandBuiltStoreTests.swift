import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

/// Stores written object by object from reference/velero.md's shapes — plain
/// velero-backup.json, gzip JSON beside it, the tarball made by the system's tar and
/// gzip — not by drbook's generator, so the writer and the reader cannot share a mistake.
@Suite("Verifying stores written by hand in Velero's format")
struct HandBuiltStoreTests {
    static let namespace = "monitoring"
    static let now = Date(timeIntervalSince1970: 1_764_900_000)  // 2025-12-05T02:00:00Z

    @Test("the newest Completed backup lacking a PVC the previous one held fails, naming the PVC and that backup")
    func vanishedVolume() async throws {
        let directory = try TemporaryDirectory()
        let root = directory.path("velero/prod")
        let older = "daily-full-20251203021700", newer = "daily-full-20251204021700"
        try writeBackup(root: root, name: older, start: Self.now.addingTimeInterval(-47 * 3_600), pvcs: ["data-db-0", "data-db-1"], in: directory)
        try writeBackup(root: root, name: newer, start: Self.now.addingTimeInterval(-23 * 3_600), pvcs: ["data-db-0"], in: directory)
        try write(Data("format".utf8), to: "\(root)/kopia/\(Self.namespace)/kopia.repository")

        let verdict = try await StoreVerifier(store: DirectoryBackupStore(root: root))
            .verify(namespace: Self.namespace, rpo: 86_400, expectedPVCs: ["data-db-*"], now: Self.now)
        #expect(verdict.backup?.name == newer)
        #expect(verdict.findings.map(\.code) == [.pvcVanished], "findings: \(verdict.findings)")
        let finding = try #require(verdict.findings.first)
        #expect(finding.object == "PVC monitoring/data-db-1")
        #expect(finding.message.contains("which the previous Completed backup \(older) held"))
        #expect(verdict.status == .failed)

        let allowed = try await StoreVerifier(store: DirectoryBackupStore(root: root))
            .verify(namespace: Self.namespace, rpo: 86_400, expectedPVCs: ["data-db-*"], allowRemoved: ["data-db-1"], now: Self.now)
        #expect(allowed.isGreen, "findings: \(allowed.findings)")
    }

    // MARK: writing a backup as Velero does

    private func writeBackup(root: String, name: String, start: Date, pvcs: [String], in directory: TemporaryDirectory) throws {
        let folder = "\(root)/backups/\(name)"
        let time = { (date: Date) in ISO8601DateFormatter().string(from: date) }
        let backup: [String: Any] = [
            "apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": ["name": name, "namespace": "velero", "labels": ["velero.io/schedule-name": "daily-full", "velero.io/storage-location": "default"]],
            "spec": ["includedNamespaces": ["*"], "excludedNamespaces": ["kube-system", "velero"], "storageLocation": "default",
                     "defaultVolumesToFsBackup": true, "ttl": "336h0m0s"],
            "status": ["phase": "Completed", "version": 1, "formatVersion": "1.1.0", "startTimestamp": time(start),
                       "completionTimestamp": time(start.addingTimeInterval(300)), "expiration": time(start.addingTimeInterval(336 * 3_600))],
        ]
        try write(try JSONSerialization.data(withJSONObject: backup, options: [.prettyPrinted]), to: "\(folder)/velero-backup.json")

        // The tarball: resources/<group-resource>/namespaces/<ns>/<name>.json, and metadata/version.
        let tree = directory.path("tree-\(name)")
        try write(Data("1.1.0\n".utf8), to: "\(tree)/metadata/version")
        var podVolumeBackups: [[String: Any]] = []
        for (index, pvc) in pvcs.enumerated() {
            let pod = "db-\(index)"
            try writeJSON(["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": pvc, "namespace": Self.namespace],
                           "spec": ["storageClassName": "hcloud-volumes", "volumeName": "pvc-\(index)", "resources": ["requests": ["storage": "2Gi"]]]],
                          to: "\(tree)/resources/persistentvolumeclaims/namespaces/\(Self.namespace)/\(pvc).json")
            try writeJSON(["apiVersion": "v1", "kind": "Pod",
                           "metadata": ["name": pod, "namespace": Self.namespace,
                                        "ownerReferences": [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": true]]],
                           "spec": ["volumes": [["name": "data", "persistentVolumeClaim": ["claimName": pvc]]]]],
                          to: "\(tree)/resources/pods/namespaces/\(Self.namespace)/\(pod).json")
            podVolumeBackups.append([
                "apiVersion": "velero.io/v1", "kind": "PodVolumeBackup",
                "metadata": ["name": "\(name)-\(index)", "namespace": "velero",
                             "labels": ["velero.io/backup-name": name], "annotations": ["velero.io/pvc-name": pvc]],
                "spec": ["node": "worker-1", "pod": ["kind": "Pod", "namespace": Self.namespace, "name": pod], "volume": "data",
                         "backupStorageLocation": "default", "repoIdentifier": "", "uploaderType": "kopia"],
                "status": ["phase": "Completed", "snapshotID": "snap\(index)\(name.suffix(4))", "progress": ["totalBytes": 4096, "bytesDone": 4096]],
            ])
        }
        try writeJSON(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": Self.namespace]],
                      to: "\(tree)/resources/namespaces/cluster/\(Self.namespace).json")
        try run("/bin/tar", ["-czf", "\(folder)/\(name).tar.gz", "-C", tree, "metadata", "resources"])

        let resourceList: [String: [String]] = [
            "v1/PersistentVolumeClaim": pvcs.map { "\(Self.namespace)/\($0)" },
            "v1/Pod": pvcs.indices.map { "\(Self.namespace)/db-\($0)" },
            "v1/Namespace": [Self.namespace],
        ]
        try writeGzip(try JSONSerialization.data(withJSONObject: resourceList), to: "\(folder)/\(name)-resource-list.json.gz", in: directory)
        try writeGzip(try JSONSerialization.data(withJSONObject: podVolumeBackups), to: "\(folder)/\(name)-podvolumebackups.json.gz", in: directory)
        try writeGzip(Data(#"{"errors":{},"warnings":{}}"#.utf8), to: "\(folder)/\(name)-results.gz", in: directory)
    }

    private func write(_ data: Data, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    private func writeJSON(_ object: [String: Any], to path: String) throws {
        try write(try JSONSerialization.data(withJSONObject: object), to: path)
    }

    private func writeGzip(_ data: Data, to path: String, in directory: TemporaryDirectory) throws {
        let plain = directory.path("plain-\(UUID().uuidString)")
        try write(data, to: plain)
        try run("/bin/gzip", ["-n", plain])
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: plain + ".gz", toPath: path)
    }

    private func run(_ program: String, _ arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw HandBuiltStoreError("\(program) is missing: install Debian's tar and gzip (scripts/install-deps does)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HandBuiltStoreError("\(program) \(arguments) exited \(process.terminationStatus)") }
    }
}

struct HandBuiltStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
