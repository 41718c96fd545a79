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
        [VeleroController(veleroNamespace: veleroNamespace, store: store, syncInterval: syncInterval),
         FluxController(), PrometheusOperatorController(), WorkloadController()]
    }

    /// Starts the sandbox with the platform's controllers and applies the seed.
    public func start(_ configuration: SandboxConfiguration, syncInterval: Duration = .seconds(2)) async throws -> Sandbox {
        var configuration = configuration
        configuration.controllers += controllers(syncInterval: syncInterval)
        if s3Store == nil { try FileManager.default.createDirectory(at: storeRoot, withIntermediateDirectories: true) }
        let sandbox = try await Sandbox.start(configuration)
        do {
            try await SandboxSeed.apply(seed, to: sandbox.store, source: seedSource)
        } catch {
            await sandbox.stop()
            throw error
        }
        return sandbox
    }
}
