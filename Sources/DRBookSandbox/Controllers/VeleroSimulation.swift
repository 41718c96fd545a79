import DRBookKube
import DRBookVelero
import Foundation

/// Simulated Velero (reference/velero.md §4–5): Backups run New → InProgress → Completed
/// and write their objects, in Velero's layout, to the sandbox's object store; Restores
/// read the backup back from the store, recreate its objects with `namespaceMapping`
/// applied and create one PodVolumeRestore per pod-volume backup found *in the cluster*
/// (so the backup-sync trap reproduces); BackupStorageLocations are validated and
/// synced from the store on an interval. Outcomes can be steered with
/// `SimulationAnnotation.outcome`.
public struct VeleroController: SandboxController {
    public let name = "velero"
    public var veleroNamespace: String
    public var store: any WritableBackupStore
    public var syncInterval: Duration
    public var clock: SimulationClock

    public init(veleroNamespace: String, store: any WritableBackupStore, syncInterval: Duration = .seconds(2),
                clock: SimulationClock = SimulationClock()) {
        self.veleroNamespace = veleroNamespace
        self.store = store
        self.syncInterval = syncInterval
        self.clock = clock
    }

    static let backups = GroupResource(.veleroBackups)
    static let restores = GroupResource(.veleroRestores)
    static let locations = GroupResource(.backupStorageLocations)
    static let podVolumeBackups = GroupResource(.podVolumeBackups)
    static let podVolumeRestores = GroupResource(.podVolumeRestores)
    static let schedules = GroupResource(.veleroSchedules)

    public func run(store cluster: SandboxStore) async throws {
        // An empty bucket is a valid store; a local one starts as an empty folder.
        if case .directory(let path) = store.location {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        let backups = VeleroBackupSimulation(controller: self, cluster: cluster)
        let restores = VeleroRestoreSimulation(controller: self, cluster: cluster)
        let locations = VeleroLocationSimulation(controller: self, cluster: cluster)
        let backupEvents = try await cluster.watch(Self.backups, namespace: veleroNamespace)
        let restoreEvents = try await cluster.watch(Self.restores, namespace: veleroNamespace)
        let scheduleEvents = try await cluster.watch(Self.schedules, namespace: veleroNamespace)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in backupEvents where event.type != .deleted { await backups.handle(event.object) }
            }
            group.addTask {
                for await event in restoreEvents where event.type != .deleted { await restores.handle(event.object) }
            }
            group.addTask {
                for await event in scheduleEvents where event.type != .deleted { await validateSchedule(event.object, in: cluster) }
            }
            group.addTask {
                while !Task.isCancelled {
                    await locations.validateAndSync()
                    try await Task.sleep(for: syncInterval)
                }
            }
            try await group.waitForAll()
        }
    }

    /// A Schedule is Enabled when its cron expression has five fields; Velero would parse it fully.
    func validateSchedule(_ schedule: JSONValue, in cluster: SandboxStore) async {
        guard schedule.string("status", "phase") == nil else { return }
        let fields = (schedule.string("spec", "schedule") ?? "").split(separator: " ").count
        let status: JSONValue = fields == 5 || (schedule.string("spec", "schedule") ?? "").hasPrefix("@")
            ? ["phase": "Enabled"]
            : ["phase": "FailedValidation", "validationErrors": [.string("invalid schedule: expected 5 fields, found \(fields)")]]
        await patchStatus(cluster, Self.schedules, schedule, status)
    }

    func timestamp() -> JSONValue { .string(KubeJSON.formatTime(clock.now())) }

    /// The location a Backup names, or the default one.
    func location(named name: String?, in cluster: SandboxStore) async -> JSONValue? {
        let all = (try? await cluster.list(Self.locations, namespace: veleroNamespace).items) ?? []
        if let name, !name.isEmpty { return all.first { $0.name == name } }
        return all.first { $0[path: ["spec", "default"]]?.boolValue == true }
    }
}

/// A controller's status write that may fail only if the object vanished meanwhile.
func patchStatus(_ cluster: SandboxStore, _ resource: GroupResource, _ object: JSONValue, _ status: JSONValue) async {
    _ = try? await cluster.patchStatus(resource, namespace: object.namespace, name: object.name, ["status": status])
}
