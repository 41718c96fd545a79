import DRBookKube
import DRBookVelero
import Foundation

/// The past of a fresh sandbox: each Schedule of the seed as if it had run for some days,
/// one Completed backup per firing of its cron expression (in UTC, as Velero reads it),
/// taken from the cluster as it is now and written to the store with the one Velero
/// writer, the newest at the last firing before now. Velero's sync then brings them into
/// the cluster as it would after a reinstall, PodVolumeBackups included.
struct VeleroHistory: Sendable {
    let controller: VeleroController
    let cluster: SandboxStore

    /// Writes the history of every Schedule in the cluster that has one: `days`, or the
    /// schedule's `SimulationAnnotation.historyDays` when nil. Returns the backups' names, oldest first.
    func write(days: Int?, now: Date) async throws -> [String] {
        var written: [String] = []
        for schedule in try await cluster.list(VeleroController.schedules, namespace: controller.veleroNamespace).items {
            let length = days ?? schedule.annotations[SimulationAnnotation.historyDays].flatMap(Int.init) ?? 0
            guard length > 0, schedule[path: ["spec", "paused"]]?.boolValue != true else { continue }
            written += try await write(schedule, days: length, now: now)
        }
        return written
    }

    private func write(_ schedule: JSONValue, days: Int, now: Date) async throws -> [String] {
        let cron: CronSchedule
        do {
            cron = try CronSchedule(schedule.string("spec", "schedule") ?? "")
        } catch {
            throw SandboxError.history(schedule: schedule.name, why: error.description)
        }
        let firings = cron.firings(before: now, within: Double(days) * 86_400)
        let template = schedule[path: ["spec", "template"]] ?? [:]
        let locationName = template["storageLocation"]?.stringValue
        guard let location = await controller.location(named: locationName, in: cluster) else {
            throw SandboxError.history(schedule: schedule.name, why: "its storage location '\(locationName ?? "default")' is not in the seed")
        }
        let backups = VeleroBackupSimulation(controller: controller, cluster: cluster)
        var names: [String] = []
        for (index, fired) in firings.enumerated() {
            let name = "\(schedule.name)-\(Self.timestampedSuffix(fired))"
            let age = firings.count - 1 - index
            try await writeBackup(name: name, schedule: schedule, template: template, location: location.name, fired: fired,
                                  ageInDays: age, backups: backups)
            names.append(name)
        }
        if let newest = firings.last {
            _ = try? await cluster.patchStatus(VeleroController.schedules, namespace: controller.veleroNamespace, name: schedule.name,
                                                ["status": ["lastBackup": .string(KubeJSON.formatTime(newest))]])
        }
        return names
    }

    private func writeBackup(name: String, schedule: JSONValue, template: JSONValue, location: String, fired: Date,
                             ageInDays: Int, backups: VeleroBackupSimulation) async throws {
        var spec = template
        spec["metadata"] = nil
        spec["storageLocation"] = .string(location)
        var labels = template[path: ["metadata", "labels"]]?.objectValue ?? [:]
        labels[Backup.scheduleLabel] = .string(schedule.name)
        labels[Backup.storageLocationLabel] = .string(location)
        var backup: JSONValue = [
            "apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": ["name": .string(name), "namespace": .string(controller.veleroNamespace),
                         "uid": .string(UUID().uuidString.lowercased()), "creationTimestamp": .string(KubeJSON.formatTime(fired)),
                         "labels": .object(labels)],
            "spec": spec,
        ]
        let typed = try backup.decode(Backup.self)
        let collected = try await backups.collectItems(typed)
        var podVolumeBackups: [JSONValue] = []
        var clock = fired.addingTimeInterval(2)
        for volume in backups.volumesToBackUp(typed, collected) {
            // Volumes grow: a day older holds a hundredth less.
            let bytes = max(1, VeleroBackupSimulation.usedBytes(volume.claim) * (100 - min(ageInDays, 99)) / 100)
            var (pvb, _) = backups.podVolumeBackup(backup: backup, location: location, volume: volume, at: clock, bytes: bytes, failed: false)
            pvb.set(.string(UUID().uuidString.lowercased()), at: ["metadata", "uid"])
            pvb.set(.string(KubeJSON.formatTime(clock)), at: ["metadata", "creationTimestamp"])
            podVolumeBackups.append(pvb)
            try await backups.ensureKopiaRepository(volume.pod.namespace ?? "")
            clock.addTimeInterval(15)
        }
        let ttl = typed.spec.ttl.flatMap(GoDuration.parse) ?? 720 * 3600
        backup["status"] = [
            "phase": "Completed", "version": 1, "formatVersion": "1.1.0",
            "startTimestamp": .string(KubeJSON.formatTime(fired)), "completionTimestamp": .string(KubeJSON.formatTime(clock)),
            "expiration": .string(KubeJSON.formatTime(fired.addingTimeInterval(ttl))),
            "progress": ["totalItems": .int(collected.items.count), "itemsBackedUp": .int(collected.items.count)],
        ]
        let log = "time=\"\(KubeJSON.formatTime(fired))\" level=info msg=\"Setting up backup log\" backup=\(controller.veleroNamespace)/\(name)\n"
            + "time=\"\(KubeJSON.formatTime(clock))\" level=info msg=\"Backup completed\" backup=\(controller.veleroNamespace)/\(name)\n"
        try await VeleroBackupWriter().write(VeleroBackupContents(backup: backup, items: collected.items, podVolumeBackups: podVolumeBackups,
                                                                  log: log), to: controller.store)
    }

    /// Velero's `TimestampedName` suffix: the firing time as `YYYYMMDDhhmmss` in UTC.
    static func timestampedSuffix(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss"
        return formatter.string(from: date)
    }
}
