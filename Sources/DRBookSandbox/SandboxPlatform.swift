import DRBookKube
import DRBookObjectStore
import DRBookVelero
import Foundation

/// The one way a sandbox with the platform in it is started (by `drbook sandbox start`,
/// and by the demo): the seed's manifests say which namespace Velero runs in and which
/// bucket and prefix its default BackupStorageLocation uses; the simulated Velero writes
/// that bucket as a folder under `storeDirectory`, readable as a `file://` store; every
/// simulated controller runs; the seed is applied once the API server is up.
public struct SandboxPlatform: Sendable {
    public var seed: [JSONValue]
    public var seedSource: String
    public var veleroNamespace: String
    /// `<storeDirectory>/<bucket>/<prefix>`: the store the BackupStorageLocation points at.
    public var storeRoot: URL
    /// The BackupStorageLocation's bucket and prefix, for a store in an S3-compatible server.
    public var bucket: String
    public var prefix: String
    /// Set by `useS3`: the simulated Velero writes there instead of `storeRoot`.
    public private(set) var s3Store: S3BackupStore?

    public static func load(seed path: String, storeDirectory: URL) throws -> SandboxPlatform {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubeManifestError(file: path, message: "cannot be read (\(error.localizedDescription)); give the platform's seed manifests with --seed")
        }
        return try load(text: text, source: path, storeDirectory: storeDirectory)
    }

    /// The seed built into drbook (`sandbox/<name>.yaml` of the repository, embedded by
    /// scripts/generate-sandbox-seed), so a sandbox starts from any directory.
    public static func builtin(_ name: String = builtinSeedNames[0], storeDirectory: URL) throws -> SandboxPlatform {
        guard let source = BuiltinSeeds.sources.first(where: { $0.name == name }) else {
            throw KubeManifestError(file: "sandbox/\(name).yaml", message: "is not built in; the built-in seeds are \(builtinSeedNames.joined(separator: ", "))")
        }
        return try load(text: source.yaml, source: builtinSource(name), storeDirectory: storeDirectory)
    }

    /// The names of the built-in seeds, the default first.
    public static var builtinSeedNames: [String] {
        let names = BuiltinSeeds.sources.map(\.name)
        return names.filter { $0 == "platform" } + names.filter { $0 != "platform" }
    }

    /// The built-in seed's text, for tests that compare it with the repository's file.
    public static func builtinSeedText(_ name: String) -> String? { BuiltinSeeds.sources.first { $0.name == name }?.yaml }

    /// How errors name a built-in seed.
    public static func builtinSource(_ name: String) -> String { "sandbox/\(name).yaml (built into drbook)" }

    public static func load(text: String, source path: String, storeDirectory: URL) throws -> SandboxPlatform {
        let objects = try KubeManifests.parse(text, file: path)
        let locations = objects.filter { $0["apiVersion"] == "velero.io/v1" && $0["kind"] == "BackupStorageLocation" }
        guard let location = locations.first(where: { $0[path: ["spec", "default"]]?.boolValue == true }) ?? locations.first,
              let namespace = location[path: ["metadata", "namespace"]]?.stringValue,
              let bucket = location[path: ["spec", "objectStorage", "bucket"]]?.stringValue else {
            throw KubeManifestError(file: path, message: "has no BackupStorageLocation with a namespace and spec.objectStorage.bucket; the simulated Velero needs one to know where to write backups")
        }
        let prefix = location[path: ["spec", "objectStorage", "prefix"]]?.stringValue ?? ""
        var root = storeDirectory.appendingPathComponent(bucket, isDirectory: true)
        for part in prefix.split(separator: "/") { root.appendPathComponent(String(part), isDirectory: true) }
        return SandboxPlatform(seed: objects, seedSource: path, veleroNamespace: namespace, storeRoot: root,
                               bucket: bucket, prefix: prefix)
    }

    /// Backups go to the location's bucket and prefix on an S3-compatible server (moto, MinIO,
    /// R2), created if missing, instead of a folder.
    public mutating func useS3(endpoint: URL, region: String = "auto", credentials: S3Credentials) async throws {
        let client = S3Client(endpoint: endpoint, region: region, bucket: bucket, credentials: credentials)
        do {
            try await client.createBucket()
        } catch let error as S3Error where ["BucketAlreadyOwnedByYou", "BucketAlreadyExists"].contains(error.code) {
            // A bucket from an earlier sandbox: its backups are synced back, as after a cluster rebuild.
        }
        s3Store = S3BackupStore(client: client, prefix: prefix)
    }

    /// Where the simulated Velero writes: the S3 store when one is set, else the folder.
    public var store: any WritableBackupStore { s3Store ?? DirectoryBackupStore(root: storeRoot.path) }

    /// How a person names that store to drbook (`--store`).
    public var storeArgument: String { s3Store.map { _ in "s3://\(bucket)/\(prefix)" } ?? "file://\(storeRoot.path)" }

    public func controllers(syncInterval: Duration = .seconds(2)) -> [any SandboxController] {
        [velero(syncInterval: syncInterval), FluxController(), PrometheusOperatorController(), WorkloadController(), CronJobController()]
    }

    private func velero(syncInterval: Duration) -> VeleroController {
        VeleroController(veleroNamespace: veleroNamespace, store: store, syncInterval: syncInterval)
    }

    /// Starts the sandbox with the platform's controllers, applies the seed, waits until its
    /// workloads are up, and gives it its past: each Schedule's backups of the last
    /// `historyDays` days (nil: as many as the seed's Schedule says with
    /// `SimulationAnnotation.historyDays`; 0: none), in the store and synced into the cluster
    /// before this returns, so the first `kubectl get backups` shows them.
    public func start(_ configuration: SandboxConfiguration, syncInterval: Duration = .seconds(2), historyDays: Int? = nil,
                      now: Date = Date()) async throws -> Sandbox {
        var configuration = configuration
        let velero = velero(syncInterval: syncInterval)
        configuration.controllers += [velero, FluxController(), PrometheusOperatorController(), WorkloadController(), CronJobController()]
        if s3Store == nil { try FileManager.default.createDirectory(at: storeRoot, withIntermediateDirectories: true) }
        let sandbox = try await Sandbox.start(configuration)
        do {
            try await SandboxSeed.apply(seed, to: sandbox.store, source: seedSource)
            try await Self.waitUntilSettled(sandbox.store, timeout: .seconds(30))
            let history = try await VeleroHistory(controller: velero, cluster: sandbox.store).write(days: historyDays, now: now)
            if !history.isEmpty { try await syncHistory(history, velero: velero, cluster: sandbox.store) }
        } catch {
            await sandbox.stop()
            throw error
        }
        return sandbox
    }

    /// Waits until the simulated controllers have brought the seed up: each operator CR
    /// that is not paused has its replicas available, each StatefulSet its replicas ready,
    /// each claim is Bound. What is still not there is named when the wait times out.
    static func waitUntilSettled(_ cluster: SandboxStore, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let pending = await unsettled(cluster)
            guard !pending.isEmpty else { return }
            guard ContinuousClock.now < deadline else {
                throw SandboxError.server("the seed's workloads did not come up within \(timeout): \(pending.prefix(5).joined(separator: "; "))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func unsettled(_ cluster: SandboxStore) async -> [String] {
        var pending: [String] = []
        for resource in [PrometheusOperatorController.prometheuses, PrometheusOperatorController.alertmanagers] {
            for object in (try? await cluster.list(resource).items) ?? [] where object[path: ["spec", "paused"]]?.boolValue != true {
                let wanted = object[path: ["spec", "replicas"]]?.intValue ?? 1
                if object[path: ["status", "availableReplicas"]]?.intValue != wanted {
                    pending.append("\(resource.resource) \(object.namespace ?? "")/\(object.name) has not \(wanted) available")
                }
            }
        }
        for set in (try? await cluster.list(WorkloadController.statefulSets).items) ?? [] {
            let wanted = set[path: ["spec", "replicas"]]?.intValue ?? 1
            if set[path: ["status", "readyReplicas"]]?.intValue != wanted {
                pending.append("statefulset \(set.namespace ?? "")/\(set.name) has not \(wanted) ready")
            }
        }
        for claim in (try? await cluster.list(WorkloadController.claims).items) ?? [] where claim.string("status", "phase") != "Bound" {
            pending.append("claim \(claim.namespace ?? "")/\(claim.name) is not Bound")
        }
        return pending
    }

    /// Velero's sync, run once now rather than at its interval, then checked: every
    /// backup of the history is a Backup in the cluster with all its PodVolumeBackups.
    private func syncHistory(_ names: [String], velero: VeleroController, cluster: SandboxStore) async throws {
        await VeleroLocationSimulation(controller: velero, cluster: cluster).validateAndSync()
        let backups = Set(try await cluster.list(GroupResource(.veleroBackups), namespace: veleroNamespace).items.map(\.name))
        let missing = names.filter { !backups.contains($0) }
        guard missing.isEmpty else {
            throw SandboxError.server("the history's backups \(missing.joined(separator: ", ")) were written to \(storeArgument) but not synced into the cluster; see the BackupStorageLocation's status")
        }
    }
}
