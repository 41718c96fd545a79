import ArgumentParser
import DRBookArchive
import DRBookObjectStore
import DRBookVelero
import DRBookVeleroFixtures
import Foundation

/// The store of scripts/bench-velero: a daily schedule's backups of a cluster whose
/// tarballs hold `resources` items each, written by the generator into an S3 bucket.
struct GenerateVelero: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-velero",
        abstract: "Write a Velero store of many large backups (the platform's monitoring namespace plus filler) into an S3 bucket."
    )

    @OptionGroup var s3: S3Options
    @Option(help: "The store's prefix in the bucket (the BSL prefix).") var prefix: String = "velero/prod"
    @Option(help: "Backups in the daily series.") var backups: Int = 14
    @Option(help: "Items per backup (spread as filler ConfigMaps over the namespaces).") var resources: Int = 20_000
    @Option(help: "Other namespaces holding filler.") var otherNamespaces: [String] = ["flux-system", "cert-manager", "ingress-nginx"]

    func run() async throws {
        var scenario = StoreScenario.platform(now: Date())
        scenario.backupCount = backups
        scenario.otherNamespaces = otherNamespaces
        // The workloads add a few dozen items of their own; the filler makes up the rest.
        scenario.resourcesPerNamespace = max(1, resources / (otherNamespaces.count + 1))
        let client = try s3.client()
        do { try await client.createBucket() } catch let error as S3Error where error.code.hasPrefix("BucketAlready") {}
        let start = ContinuousClock.now
        let generated = try await VeleroStoreGenerator(scenario: scenario).write(to: S3BackupStore(client: client, prefix: prefix))
        let list = try await StoreReader(store: S3BackupStore(client: client, prefix: prefix)).resourceList(of: generated.newest)
        let items = list.items.values.reduce(0) { $0 + $1.count }
        print(String(format: "generated %d backups of %d items each (%d objects) into s3://%@/%@ in %.1f s; newest %@, namespace %@ with PVCs %@",
                     generated.backups.count, items, generated.objectCount, s3.bucket, prefix, (ContinuousClock.now - start).seconds,
                     generated.newest, scenario.namespace, generated.pvcs.joined(separator: ",")))
    }
}

/// The verifier's own tarball pass (TarballScanner: every entry read, the namespace's
/// PVCs and pods decoded) over a local file, timed; beside `gzip -dc` on the same file.
struct ScanBackup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan-backup",
        abstract: "Index one namespace of a Velero backup tarball from a local file, as `backups verify` does, and time it."
    )

    @Option(help: "The tarball.") var file: String
    @Option(help: "The namespace to index.") var namespace: String = "monitoring"

    func run() async throws {
        let source = try FileChunkSource(path: file)
        let start = ContinuousClock.now
        let index = try await TarballScanner.index(backup: URL(fileURLWithPath: file).lastPathComponent, namespace: namespace, archive: file,
                                                   chunks: ObjectChunks(next: { try source.next() }, cancel: {}))
        let seconds = (ContinuousClock.now - start).seconds
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? NSNumber)?.doubleValue ?? 0
        print(String(format: "scan-backup: %d entries, %d PVCs and %d pods of %@, %.1f MiB compressed in %.2f s (%.0f MiB/s)",
                     index.entryCount, index.persistentVolumeClaims.count, index.pods.count, namespace, bytes / 1_048_576, seconds,
                     bytes / 1_048_576 / seconds))
    }
}
