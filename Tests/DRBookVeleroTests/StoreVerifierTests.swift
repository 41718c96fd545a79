import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

@Suite("Verifying one namespace from the store alone", .timeLimit(.minutes(5)))
struct StoreVerifierTests {
    @Test("a healthy platform store verifies green, with every expected PVC backed up", arguments: Backend.allCases)
    func healthy(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario())
        let verdict = result.verdict
        #expect(verdict.isGreen, "findings: \(verdict.findings)")
        #expect(verdict.findings.isEmpty)
        #expect(verdict.backup?.name == "daily-full-20260815021700")
        #expect(verdict.backup?.phase == "Completed")
        #expect(verdict.backup?.schedule == "daily-full")
        #expect(verdict.volumes.map(\.persistentVolumeClaim) == result.generated.pvcs.sorted())
        #expect(verdict.volumes.allSatisfy { $0.status == .passed && $0.phase == "Completed" && ($0.totalBytes ?? 0) > 0 && $0.pods.count == 1 })
        #expect(verdict.volumes.first { $0.persistentVolumeClaim == prometheusPVC }?.requestedStorage == "20Gi")
        #expect(verdict.volumes.first { $0.persistentVolumeClaim == lokiPVC }?.snapshotID == result.generated.snapshotIDs[lokiPVC])
        #expect(verdict.kopia?.exists == true)
        #expect(verdict.otherBackups.map(\.name) == ["daily-full-20260814021700", "daily-full-20260813021700"])
        #expect(verdict.otherBackups.allSatisfy { $0.status == .passed && $0.verdict.hasPrefix("Completed (") })
        #expect(verdict.store == result.store.store.location.description)
    }

    @Test("names and sizes come from the scenario, not from the verifier", arguments: Backend.allCases)
    func otherNames(_ backend: Backend) async throws {
        let scenario = StoreScenario(now: referenceNow, namespace: "data", workloads: [
            .init(statefulSet: "postgres", claimTemplate: "pgdata", replicas: 3, storage: "50Gi", usedBytes: 42),
        ], schedule: "nightly", backupCount: 2)
        let result = try await generateAndVerify(backend, scenario, expectedPVCs: ["pgdata-*"])
        #expect(result.verdict.isGreen, "findings: \(result.verdict.findings)")
        #expect(result.verdict.volumes.map(\.persistentVolumeClaim) == ["pgdata-postgres-0", "pgdata-postgres-1", "pgdata-postgres-2"])
        #expect(result.verdict.backup?.schedule == "nightly")
    }

    @Test("a newer PartiallyFailed backup is passed over for the newest Completed one, which is verified in full", arguments: Backend.allCases)
    func partiallyFailed(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.partiallyFailed(errorsInNamespace: false)]))
        let finding = try result.verdict.only(.newerBackupPartiallyFailed)
        #expect(finding.severity == .warning)
        #expect(finding.object == "backup daily-full-20260815021700")
        #expect(finding.message.contains("ended PartiallyFailed (1 error, none in namespace 'monitoring')"))
        #expect(finding.message.contains("drbook verified daily-full-20260814021700, the newest Completed backup, instead"))
        #expect(finding.fix.contains("velero backup describe daily-full-20260815021700 --details"))
        #expect(result.verdict.backup?.name == "daily-full-20260814021700")
        #expect(result.verdict.volumes.count == result.generated.pvcs.count)
        // That Completed backup is a day older: beyond the 24 h RPO, so the verdict is red.
        #expect(try result.verdict.only(.stale).object == "backup daily-full-20260814021700")
        #expect(result.verdict.status == .failed)
    }

    @Test("a newer PartiallyFailed backup with errors in the namespace fails, quoting the errors", arguments: Backend.allCases)
    func partiallyFailedInNamespace(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.partiallyFailed(errorsInNamespace: true)]))
        let finding = try result.verdict.only(.newerBackupPartiallyFailed)
        #expect(finding.severity == .failure)
        #expect(finding.message.contains("in namespace 'monitoring': error executing custom action"))
        #expect(finding.fix.contains("velero backup logs daily-full-20260815021700"))
        #expect(result.verdict.backup?.name == "daily-full-20260814021700")
    }

    @Test("with no Completed backup, the newest PartiallyFailed one is verified and flagged", arguments: Backend.allCases)
    func onlyPartiallyFailed(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.partiallyFailed(errorsInNamespace: false)]) { $0.backupCount = 1 })
        let finding = try result.verdict.only(.partiallyFailed)
        #expect(finding.severity == .warning)
        #expect(finding.message.contains("PartiallyFailed (1 errors, none in this namespace)"))
        #expect(result.verdict.backup?.name == "daily-full-20260815021700")
        #expect(result.verdict.status == .warning)
    }

    @Test("a volume the previous Completed backup held and the newest lacks fails, though every glob still matches", arguments: Backend.allCases)
    func volumeVanished(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.volumeGone(pvc: alertmanagerPVC1)]))
        let finding = try result.verdict.only(.pvcVanished)
        #expect(finding.severity == .failure)
        #expect(finding.object == "PVC monitoring/\(alertmanagerPVC1)")
        #expect(finding.message == "backup daily-full-20260815021700 does not hold this PVC, which the previous Completed backup daily-full-20260814021700 held: a restore from daily-full-20260815021700 would not bring its data back.")
        #expect(finding.fix.contains("--allow-removed \(alertmanagerPVC1)"))
        #expect(result.verdict.findings.count == 1, "findings: \(result.verdict.findings)")
        #expect(result.verdict.status == .failed)
        #expect(!result.verdict.volumes.map(\.persistentVolumeClaim).contains(alertmanagerPVC1))
    }

    @Test("a volume removed on purpose and named with allowRemoved (a glob) passes", arguments: Backend.allCases)
    func volumeRemovedOnPurpose(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.volumeGone(pvc: alertmanagerPVC1)]),
                                                 allowRemoved: ["alertmanager-*-1"])
        #expect(result.verdict.isGreen, "findings: \(result.verdict.findings)")
        #expect(result.verdict.findings.isEmpty)
    }

    @Test("a PVC left out of the backup altogether, while its pod is in it, fails (the pod's claim counts)", arguments: Backend.allCases)
    func pvcExcluded(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.pvcExcludedFromBackup(pvc: lokiPVC)]), expectedPVCs: [])
        let finding = try result.verdict.only(.pvcMissingFromTarball)
        #expect(finding.severity == .failure)
        #expect(finding.object == "PVC monitoring/storage-loki-0")
        #expect(finding.message.contains("pod loki-0, which mounts it,"))
        #expect(result.verdict.status == .failed)
    }

    @Test("a backup without any timestamp fails: its age against the RPO cannot be known", arguments: Backend.allCases)
    func timestampsMissing(_ backend: Backend) async throws {
        // Beside older ones: it cannot be ordered, so it is flagged and the dated ones are judged.
        let result = try await generateAndVerify(backend, platformScenario(faults: [.timestampsMissing]))
        let flagged = try result.verdict.only(.ageUnknown)
        #expect(flagged.severity == .warning)
        #expect(flagged.object == result.store.store.display("backups/daily-full-20260815021700/velero-backup.json"))
        #expect(result.verdict.backup?.name == "daily-full-20260814021700")
        #expect(!result.verdict.isGreen)

        // Alone, it is the one verified, and its unknown age fails the verdict.
        let alone = try await generateAndVerify(backend, platformScenario(faults: [.timestampsMissing]) { $0.backupCount = 1 })
        let finding = try alone.verdict.only(.ageUnknown)
        #expect(finding.severity == .failure)
        #expect(finding.message.contains("its age cannot be checked against the RPO"))
        #expect(alone.verdict.status == .failed)
    }

    @Test("a Kopia repository without its format blob fails: Kopia cannot open it", arguments: Backend.allCases)
    func kopiaFormatBlobMissing(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.missingKopiaFormatBlob]))
        let finding = try result.verdict.only(.kopiaFormatBlobMissing)
        #expect(finding.severity == .failure)
        #expect(finding.message.contains("no kopia.repository format blob"))
        #expect(result.verdict.kopia?.exists == true && result.verdict.kopia?.hasFormatBlob == false)
        #expect(result.verdict.status == .failed)
    }

    @Test("a Velero store one level up (the base prefix) is reported: its location sees this prefix as a stray folder", arguments: Backend.allCases)
    func storeAtParent(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        _ = try await VeleroStoreGenerator(scenario: platformScenario()).write(to: store.store)
        let parent = try #require(store.store.parent as? any WritableBackupStore)
        try await parent.write("backups/daily-full-20260101021700/velero-backup.json", data: Data("{}".utf8))
        let verdict = try await StoreVerifier(store: store.store).verify(namespace: "monitoring", rpo: dayRPO,
                                                                         expectedPVCs: platformScenario().pvcGlobs, now: referenceNow)
        let finding = try verdict.only(.storeAtParentPrefix)
        #expect(finding.severity == .warning)
        #expect(finding.object == parent.display("backups/"))
        #expect(finding.message.contains("sees this store's folder as one Velero does not allow"))
        #expect(finding.fix.contains("never velero"))
    }

    @Test("a PVC without any PodVolumeBackup has no data in the backup", arguments: Backend.allCases)
    func noPodVolumeBackup(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.noPodVolumeBackup(pvc: lokiPVC)]))
        let finding = try result.verdict.only(.noPodVolumeBackup)
        #expect(finding.severity == .failure)
        #expect(finding.object == "PVC monitoring/storage-loki-0")
        #expect(finding.message == "PVC monitoring/storage-loki-0 has no PodVolumeBackup in backup daily-full-20260815021700: its data is not in the backup.")
        #expect(finding.fix.contains("annotate pod loki-0 with backup.velero.io/backup-volumes"))
        #expect(result.verdict.volumes.first { $0.persistentVolumeClaim == lokiPVC }?.status == .failed)
    }

    @Test("a backup whose tarball is missing cannot be restored", arguments: Backend.allCases)
    func tarballMissing(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.tarballMissing]))
        let finding = try result.verdict.only(.tarballMissing)
        #expect(finding.object == result.store.store.display("backups/daily-full-20260815021700/daily-full-20260815021700.tar.gz"))
        #expect(finding.message == "backup daily-full-20260815021700 has no resource tarball: nothing of it can be restored.")
        #expect(result.verdict.status == .failed)
    }

    @Test("a velero-backup.json that is not JSON is reported, and the newest readable backup verified", arguments: Backend.allCases)
    func unreadableMetadata(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.unreadableMetadata]))
        let finding = try result.verdict.only(.backupMetadataUnreadable)
        #expect(finding.severity == .warning)
        #expect(finding.object == result.store.store.display("backups/daily-full-20260815021700/velero-backup.json"))
        #expect(finding.message.hasPrefix("backup 'daily-full-20260815021700' cannot be used: its velero-backup.json"))
        #expect(result.verdict.backup?.name == "daily-full-20260814021700")
    }

    @Test("the JSON verdict leads with the overall status, which a failing volume turns red", arguments: Backend.allCases)
    func jsonStatus(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.zeroByteVolume(pvc: lokiPVC)]))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result.verdict)) as? [String: Any]
        #expect(json?["status"] as? String == "failed")
        #expect(json?["isGreen"] as? Bool == false)
        // The backup's own summary judges only its metadata.
        #expect((json?["backup"] as? [String: Any])?["status"] as? String == "passed")
        let decoded = try JSONDecoder().decode(StoreVerdict.self, from: JSONEncoder().encode(result.verdict))
        #expect(decoded == result.verdict)
    }

    @Test("a PVC missing from the tarball is reported by name, with the evidence and the fix", arguments: Backend.allCases)
    func pvcMissing(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.pvcMissingFromTarball(pvc: lokiPVC)]))
        let finding = try result.verdict.only(.pvcMissingFromTarball)
        #expect(finding.severity == .failure)
        #expect(finding.object == "PVC monitoring/storage-loki-0")
        #expect(finding.message.contains("is named by a PodVolumeBackup"))
        #expect(finding.message.contains(result.store.store.display("backups/daily-full-20260815021700/daily-full-20260815021700.tar.gz")))
        #expect(finding.fix.contains("velero backup logs daily-full-20260815021700"))
        // The expected glob for Loki now matches nothing either.
        let expected = try result.verdict.only(.expectedPVCMissing)
        #expect(expected.message.contains("no PVC matching 'storage-loki-*' is in backup daily-full-20260815021700"))
        #expect(!result.verdict.isGreen)
    }

    @Test("a failed PodVolumeBackup means the PVC's data is not in the backup", arguments: Backend.allCases)
    func podVolumeBackupFailed(_ backend: Backend) async throws {
        // It makes the backup PartiallyFailed: with an older Completed one, that is verified instead.
        let passedOver = try await generateAndVerify(backend, platformScenario(faults: [.podVolumeBackupFailed(pvc: prometheusPVC)]))
        let newer = try passedOver.verdict.only(.newerBackupPartiallyFailed)
        #expect(newer.severity == .failure)
        #expect(newer.message.contains("in namespace 'monitoring': pod volume backup failed: error running kopia backup"))
        #expect(passedOver.verdict.backup?.name == "daily-full-20260814021700")

        // The only backup: verified, and the volume named.
        let result = try await generateAndVerify(backend, platformScenario(faults: [.podVolumeBackupFailed(pvc: prometheusPVC)]) { $0.backupCount = 1 })
        let finding = try result.verdict.only(.podVolumeBackupNotCompleted)
        #expect(finding.object.hasPrefix("PodVolumeBackup daily-full-20260815021700-"))
        #expect(finding.message.contains("PVC monitoring/\(prometheusPVC) in backup daily-full-20260815021700 is Failed: error running kopia backup"))
        #expect(finding.fix.contains("node-agent log on prod-worker-1"))
        #expect(result.verdict.volumes.first { $0.persistentVolumeClaim == prometheusPVC }?.status == .failed)
        #expect(result.verdict.volumes.filter { $0.status == .passed }.count == 3)
    }

    @Test("a PVC whose only PodVolumeBackup has no snapshot id is reported as not backed up (trap 8)", arguments: Backend.allCases)
    func emptySnapshotID(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.emptySnapshotID(pvc: alertmanagerPVC1)]))
        #expect(result.generated.snapshotIDs[alertmanagerPVC1] == "")
        let finding = try result.verdict.only(.emptySnapshotID)
        #expect(finding.severity == .failure)
        #expect(finding.message.contains("PVC monitoring/\(alertmanagerPVC1) in backup daily-full-20260815021700 is Completed but has no snapshotID"))
        #expect(finding.message.contains("restore ignores it, so the PVC has no data in this backup"))
        #expect(finding.fix.contains("pod alertmanager-kube-prometheus-stack-alertmanager-1"))
    }

    @Test("a zero-byte volume is reported", arguments: Backend.allCases)
    func zeroBytes(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.zeroByteVolume(pvc: lokiPVC)]))
        let finding = try result.verdict.only(.zeroByteVolume)
        #expect(finding.message.contains("PVC monitoring/storage-loki-0 in backup daily-full-20260815021700 backed up 0 bytes"))
        #expect(finding.fix.contains("check pod loki-0 mounts PVC storage-loki-0 as volume 'storage'"))
    }

    @Test("a pod that mounts a backed-up PVC but is missing from the tarball is reported", arguments: Backend.allCases)
    func podMissing(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.podMissingFromTarball(pod: "loki-0")]))
        let finding = try result.verdict.only(.podNotInBackup)
        #expect(finding.object == "pod monitoring/loki-0")
        #expect(finding.message.contains("file-system restore writes the volume's data through that pod"))
    }

    @Test("a missing Kopia repository prefix is reported with the repository's location", arguments: Backend.allCases)
    func kopiaMissing(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.missingKopiaPrefix]))
        let finding = try result.verdict.only(.kopiaRepositoryMissing)
        #expect(finding.object == result.store.store.display("kopia/monitoring/"))
        #expect(finding.message.contains("no Kopia repository for namespace 'monitoring'"))
        #expect(finding.fix.contains("velero repo get"))
        #expect(result.verdict.kopia?.exists == false)
    }

    @Test("a newest backup older than the RPO is stale", arguments: Backend.allCases)
    func stale(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.staleNewest(age: 50 * 3_600)]))
        let finding = try result.verdict.only(.stale)
        #expect(finding.severity == .failure)
        #expect(finding.message == "the newest usable backup, daily-full-20260813041700, is 49h53m old, beyond the RPO of 24h.")
        #expect(finding.fix.contains("velero backup create --from-schedule daily-full"))
    }

    @Test("an expired backup is flagged", arguments: Backend.allCases)
    func expired(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario { $0.ttl = 3 * 3_600 })
        let finding = try result.verdict.only(.expired)
        #expect(finding.message.contains("backup daily-full-20260815021700 expired at 2026-08-15T05:17:00Z"))
        #expect(result.verdict.otherBackups.allSatisfy { $0.verdict.contains("expired") && $0.status == .warning })
    }

    @Test("a newest backup that is InProgress or New is not trusted: the previous terminal one is verified, and the verdict says so",
          arguments: Backend.allCases, [BackupPhase.inProgress, .new])
    func nonTerminal(_ backend: Backend, _ phase: BackupPhase) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.nonTerminalNewest(phase: phase)]))
        let pending = try #require(result.generated.nonTerminalBackup)
        #expect(pending == "daily-full-20260815041700")
        let finding = try result.verdict.only(.newerBackupNotTerminal)
        #expect(finding.severity == .info)
        #expect(finding.message.contains("the newest backup, \(pending), is \(phase.description) (not terminal)"))
        #expect(finding.message.contains("verifying the previous terminal backup, daily-full-20260815021700, instead"))
        #expect(result.verdict.backup?.name == "daily-full-20260815021700")
        #expect(result.verdict.isGreen)
        #expect(result.verdict.otherBackups.first?.name == pending)
        #expect(result.verdict.otherBackups.first?.verdict.contains("not terminal, not trusted") == true)
    }

    @Test("a Failed newest backup is flagged and the previous Completed one verified", arguments: Backend.allCases)
    func failedNewest(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.failedNewest]))
        let finding = try result.verdict.only(.newerBackupFailed)
        #expect(finding.message.contains("backup daily-full-20260815021700 ended Failed: error getting backup storage location"))
        #expect(finding.message.contains("daily-full-20260814021700 is the newest usable backup"))
        #expect(result.verdict.backup?.name == "daily-full-20260814021700")
        #expect(result.verdict.otherBackups.first?.status == .failed)
    }

    @Test("a truncated tarball fails, naming the backup, the object and the entry where reading stopped", arguments: Backend.allCases)
    func truncated(_ backend: Backend) async throws {
        let scenario = platformScenario(faults: [.truncatedTarball]) { $0.resourcesPerNamespace = 300; $0.fillerBytes = 2_000 }
        let result = try await generateAndVerify(backend, scenario)
        let finding = try result.verdict.only(.tarballUnreadable)
        let object = result.store.store.display("backups/daily-full-20260815021700/daily-full-20260815021700.tar.gz")
        #expect(finding.object == object)
        #expect(finding.message.contains("the tarball of backup daily-full-20260815021700 cannot be read"))
        #expect(finding.message.contains("\(object): corrupt or truncated archive"))
        #expect(finding.message.contains("entry 'resources/"))
        #expect(finding.fix.contains("daily-full-20260814021700 is the previous backup to restore from"))
        #expect(result.verdict.status == .failed)
    }

    @Test("a corrupt gzip stream fails, naming the backup and the entry", arguments: Backend.allCases)
    func corrupt(_ backend: Backend) async throws {
        let scenario = platformScenario(faults: [.corruptGzip]) { $0.resourcesPerNamespace = 300; $0.fillerBytes = 2_000 }
        let result = try await generateAndVerify(backend, scenario)
        let finding = try result.verdict.only(.tarballUnreadable)
        #expect(finding.message.contains("the tarball of backup daily-full-20260815021700 cannot be read"))
        #expect(finding.message.contains("daily-full-20260815021700.tar.gz: corrupt or truncated archive"))
        #expect(finding.message.contains("entry '"))
    }

    @Test("a stray top-level folder is reported: it makes the BackupStorageLocation Unavailable", arguments: Backend.allCases)
    func strayFolder(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(faults: [.strayTopLevelFolder("thanos")]))
        let finding = try result.verdict.only(.strayTopLevelFolder)
        #expect(finding.object == result.store.store.display("thanos/"))
        #expect(finding.message.contains("the folder 'thanos/' is not one Velero allows"))
        #expect(finding.message.contains("Unavailable"))
        #expect(finding.fix.contains("velero backup-location get"))
        #expect(result.verdict.volumes.count == 4)
    }

    @Test("a namespace the schedule excludes is reported with the exclusion and the fix", arguments: Backend.allCases)
    func excluded(_ backend: Backend) async throws {
        let scenario = platformScenario { $0.excludedNamespaces = ["kube-system", "velero", "monitoring"] }
        let result = try await generateAndVerify(backend, scenario)
        let finding = try result.verdict.only(.namespaceNotIncluded)
        #expect(finding.message == "none of the 3 backups includes namespace 'monitoring': in the newest, daily-full-20260815021700, its excludedNamespaces has 'monitoring'.")
        #expect(finding.fix.contains("include 'monitoring' in schedule 'daily-full'"))
        #expect(result.verdict.backup == nil)
    }

    @Test("an expected PVC glob that matches nothing fails", arguments: Backend.allCases)
    func expectedMissing(_ backend: Backend) async throws {
        let result = try await generateAndVerify(backend, platformScenario(), expectedPVCs: ["prometheus-*", "grafana-*"])
        let finding = try result.verdict.only(.expectedPVCMissing)
        #expect(finding.message.hasPrefix("no PVC matching 'grafana-*' is in backup daily-full-20260815021700"))
    }

    @Test("an empty store has no backups to verify", arguments: Backend.allCases)
    func empty(_ backend: Backend) async throws {
        let store = try await TestStore.make(backend)
        let verdict = try await StoreVerifier(store: store.store).verify(namespace: "monitoring", rpo: dayRPO, now: referenceNow)
        let finding = try verdict.only(.noBackups)
        #expect(finding.message == "no backups under \(store.store.location)/backups/.")
    }
}

@Suite("Listing stores larger than one page of ListObjectsV2", .timeLimit(.minutes(5)))
struct LargeListingTests {
    @Test("more than 1,000 backups and more than 1,000 Kopia objects are listed across pages", arguments: Backend.allCases)
    func manyObjects(_ backend: Backend) async throws {
        let scenario = platformScenario { $0.metadataOnlyBackups = 1_001; $0.kopiaPackCount = 1_001 }
        let result = try await generateAndVerify(backend, scenario)
        #expect(result.verdict.isGreen, "findings: \(result.verdict.findings)")
        #expect(result.verdict.otherBackups.count == 1_003)
        #expect(result.verdict.otherBackups.last?.name == result.generated.metadataOnlyBackups.last)
        // The verifier asks for the format blob only; listing the repository still pages.
        #expect(result.verdict.kopia?.hasFormatBlob == true)
        #expect(try await result.store.store.objects(under: "kopia/monitoring/").count == 1_001 + 5)
        let listing = try await StoreReader(store: result.store.store).listBackups()
        #expect(listing.backups.count == 1_004)
    }
}

@Suite("Verifying through a network that drops a download", .timeLimit(.minutes(3)))
struct DroppedDownloadTests {
    @Test("a tarball download reset mid-way is resumed, and the verdict is the same green")
    func resumedTarball() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        let store = S3BackupStore(client: client, prefix: "velero/prod")
        let scenario = platformScenario { $0.fillerBytes = 4_096; $0.resourcesPerNamespace = 200 }
        let generated = try await VeleroStoreGenerator(scenario: scenario).write(to: store)
        let newest = try #require(generated.backups.first)
        try await s3.cutDownloads(bucket: client.bucket, key: "velero/prod/backups/\(newest)/\(newest).tar.gz", after: 60_000, times: 1)

        let verdict = try await StoreVerifier(store: store).verify(namespace: scenario.namespace, rpo: dayRPO,
                                                                   expectedPVCs: scenario.pvcGlobs, now: referenceNow)
        #expect(verdict.isGreen, "findings: \(verdict.findings)")
        #expect(verdict.backup?.name == newest)
        #expect(verdict.volumes.count == generated.pvcs.count)
    }
}
