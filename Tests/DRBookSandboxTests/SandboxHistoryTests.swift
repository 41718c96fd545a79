import DRBookKube
@testable import DRBookSandbox
import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

/// A fresh sandbox has a past (the seed's Schedule has run for days, its backups in the
/// store and synced into the API), its seed is part of drbook, and its Velero leaves out
/// what is labelled `velero.io/exclude-from-backup=true`.
@Suite("The sandbox's history and exclusions", .timeLimit(.minutes(3)))
struct SandboxHistoryTests {
    static let seedFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../sandbox/platform.yaml").standardized.path

    static func utc(_ text: String) throws -> Date { try #require(KubeJSON.parseTime(text)) }

    @Test("the built-in seeds are sandbox/*.yaml, byte for byte (scripts/generate-sandbox-seed)")
    func builtinSeedIsTheFile() throws {
        let folder = URL(fileURLWithPath: Self.seedFile).deletingLastPathComponent()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(SandboxPlatform.builtinSeedNames.sorted() == files.map { String($0.dropLast(".yaml".count)) })
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(SandboxPlatform.builtinSeedText(String(file.dropLast(".yaml".count))) == text,
                    "Sources/DRBookSandbox/BuiltinSeeds.swift is stale: run scripts/generate-sandbox-seed")
        }
        let builtin = try SandboxPlatform.builtin(storeDirectory: FileManager.default.temporaryDirectory)
        #expect(builtin.seedSource == "sandbox/platform.yaml (built into drbook)")
        #expect(builtin.veleroNamespace == "velero")
    }

    @Test("cron: a daily schedule fires once a day at its minute in UTC; steps, lists, descriptors; bad expressions are named")
    func cron() throws {
        let now = try Self.utc("2026-11-25T10:00:00Z")
        let daily = try CronSchedule("17 2 * * *")
        let firings = daily.firings(before: now, within: 14 * 86_400)
        #expect(firings.count == 14)
        #expect(firings.last == (try Self.utc("2026-11-25T02:17:00Z")))
        #expect(firings.first == (try Self.utc("2026-11-12T02:17:00Z")))
        // Before the day's firing, the newest is yesterday's: still within 24 h.
        let early = try Self.utc("2026-11-25T02:16:59Z")
        #expect(daily.firings(before: early, within: 86_400) == [try Self.utc("2026-11-24T02:17:00Z")])
        #expect(try CronSchedule("@daily") == CronSchedule("0 0 * * *"))
        #expect(try CronSchedule("*/30 * * * *").firings(before: now, within: 86_400).count == 48)
        #expect(try CronSchedule("0 3 * * 1,3").firings(before: now, within: 14 * 86_400).count == 4, "Mondays and Wednesdays")
        let fields = #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("17 2 * *") }
        #expect(fields?.description == "schedule '17 2 * *' has 4 fields; cron needs 5 (minute hour day-of-month month day-of-week)")
        let range = #expect(throws: CronSchedule.ParseError.self) { try CronSchedule("61 2 * * *") }
        #expect(range?.description == "schedule '61 2 * * *' has '61' outside 0-59")
    }

    @Test("a fresh platform sandbox has 14 Completed daily-full backups, one a day at 02:17 UTC, in the store and synced with their PodVolumeBackups")
    func fourteenDays() async throws {
        let directory = try TemporaryDirectory()
        let platform = try SandboxPlatform.load(seed: Self.seedFile, storeDirectory: directory.url.appendingPathComponent("store"))
        let now = try Self.utc("2026-11-25T10:00:00Z")
        let sandbox = try await platform.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox")),
                                               syncInterval: .milliseconds(200), now: now)
        do {
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            // No waiting: they are there when start returns.
            let backups = try await admin.list(Backup.self, namespace: "velero").items.sorted { $0.name < $1.name }
            #expect(backups.count == 14)
            #expect(backups.allSatisfy { $0.phase == .completed && $0.schedule == "daily-full" })
            #expect(backups.first?.name == "daily-full-20261112021700")
            #expect(backups.last?.name == "daily-full-20261125021700")
            #expect(backups.last?.startedAt == (try Self.utc("2026-11-25T02:17:00Z")))
            let volumes = try await admin.list(PodVolumeBackup.self, namespace: "velero").items
            #expect(volumes.count == 14 * 4, "Prometheus 1 + Alertmanager 2 + Loki 1, each day")
            #expect(volumes.allSatisfy { $0.snapshotID.count == 32 && $0.totalBytes > 0 })
            let newest = try #require(backups.last)
            let newestVolumes = volumes.filter { $0.metadata.labels?["velero.io/backup-name"] == newest.name }
            #expect(Set(newestVolumes.compactMap(\.persistentVolumeClaim)) == [
                "prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-0",
                "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-0",
                "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-1",
                "storage-loki-0",
            ])
            #expect(newestVolumes.allSatisfy { $0.metadata.labels?["velero.io/backup-uid"] == newest.metadata.uid })
            let schedule = try await admin.get(Schedule.self, "daily-full", namespace: "velero")
            #expect(schedule.status?.lastBackup == newest.startedAt)

            let reader = StoreReader(store: platform.store)
            let stored = try await reader.listBackups().backups
            #expect(stored.count == 14)
            #expect(try await reader.podVolumeBackups(of: newest.name).count == 4)
            #expect(try await platform.store.exists(VeleroKeys.kopiaRepository("monitoring") + "kopia.repository"))
            #expect(try await reader.layout().strayFolders.isEmpty)
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    @Test("the history's newest backup is at most a day old, so the store verifies green at the default RPO; --history N and 0 are kept")
    func historyLengths() async throws {
        for days in [3, 0] {
            let directory = try TemporaryDirectory()
            let platform = try SandboxPlatform.load(seed: Self.seedFile, storeDirectory: directory.url.appendingPathComponent("store"))
            let sandbox = try await platform.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox")),
                                                   syncInterval: .milliseconds(200), historyDays: days)
            do {
                let backups = try await sandbox.store.list(GroupResource(.veleroBackups), namespace: "velero").items
                #expect(backups.count == days)
                let listed = try await StoreReader(store: platform.store).listBackups().backups
                #expect(listed.count == days)
                if days > 0 {
                    let verdict = try await StoreVerifier(store: platform.store).verify(namespace: "monitoring", rpo: 86_400, expectedPVCs: [
                        "prometheus-kube-prometheus-stack-prometheus-db-*", "alertmanager-kube-prometheus-stack-alertmanager-db-*", "storage-loki-*",
                    ])
                    #expect(verdict.isGreen, "\(verdict.findings)")
                }
                await sandbox.stop()
            } catch {
                await sandbox.stop()
                throw error
            }
        }
    }

    @Test("a claim labelled velero.io/exclude-from-backup=true gets no PodVolumeBackup and is not in the backup, nor is its volume: the verifier catches it")
    func excludedClaim() async throws {
        let directory = try TemporaryDirectory()
        let platform = try SandboxPlatform.load(seed: Self.seedFile, storeDirectory: directory.url.appendingPathComponent("store"))
        let sandbox = try await platform.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox")),
                                               syncInterval: .milliseconds(200), historyDays: 0)
        do {
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            let claim = try await admin.getJSON(.persistentVolumeClaims, "storage-loki-0", namespace: "monitoring")
            let volumeName = try #require(claim[path: ["spec", "volumeName"]]?.stringValue)
            try await admin.mergePatch(.persistentVolumeClaims, "storage-loki-0", namespace: "monitoring",
                                       patch: ["metadata": ["labels": ["velero.io/exclude-from-backup": "true"]]])
            try await admin.create(Backup.resource, ["metadata": ["name": "with-exclusion", "namespace": "velero"],
                                                     "spec": ["includedNamespaces": ["monitoring"], "defaultVolumesToFsBackup": true]])
            let backup = try #require(try await admin.waitUntil(Backup.self, "with-exclusion", namespace: "velero", timeout: .seconds(30),
                                                                 interval: .milliseconds(100)) { $0?.phase.isTerminal == true })
            #expect(backup.phase == .completed)
            let volumes = try await admin.list(PodVolumeBackup.self, namespace: "velero", labelSelector: "velero.io/backup-name=with-exclusion").items
            #expect(volumes.count == 3)
            #expect(!volumes.contains { $0.persistentVolumeClaim == "storage-loki-0" })
            let items = try await BackupItemReader.items(of: "with-exclusion", in: platform.store)
            #expect(!items.contains { $0.groupResource == "persistentvolumeclaims" && $0.name == "storage-loki-0" })
            #expect(!items.contains { $0.groupResource == "persistentvolumes" && $0.name == volumeName })
            #expect(items.contains { $0.groupResource == "pods" && $0.name == "loki-0" }, "the pod itself is not excluded")
            let verdict = try await StoreVerifier(store: platform.store).verify(namespace: "monitoring", rpo: 86_400,
                                                                                expectedPVCs: ["storage-loki-*"])
            #expect(!verdict.isGreen, "an expected claim left out by the label is a red verdict")
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    @Test("a port that something else listens on is refused before anything starts, naming the port and its holder")
    func busyPort() async throws {
        let holder = try HeldPort()
        let directory = try TemporaryDirectory()
        for tls in [true, false] {
            let error = await #expect(throws: SandboxError.self) {
                try await Sandbox.start(SandboxConfiguration(directory: directory.url, port: holder.port, tls: tls))
            }
            let text = error?.description ?? ""
            #expect(text.hasPrefix("port \(holder.port) on 127.0.0.1 is already in use by "), "\(text)")
            #expect(text.contains("(pid \(getpid()))"), "\(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("nginx.pid")))
    }
}

