import ArgumentParser
import DRBookArchive
import DRBookHTTP
import DRBookObjectStore
import DRBookVelero
import DRBookVeleroFixtures
import Foundation

/// Benchmarks print figures; they are not tests. See scripts/bench-archive and scripts/bench-velero.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drbook-bench",
        abstract: "Generate benchmark data and measure drbook's streaming paths.",
        subcommands: [Generate.self, GenerateStore.self, GenerateVelero.self, Upload.self, Scan.self, ScanBackup.self]
    )
}

struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a tar.gz of many small JSON entries, like a Velero backup tarball.")

    @Option(help: "Output file.") var output: String
    @Option(help: "Stop once the compressed file reaches this many MiB.") var sizeMib: Int = 1024
    @Option(help: "gzip level.") var level: Int = 6

    func run() throws {
        let writer = try TarGzWriter(path: output, compressionLevel: level)
        var random = SplitMix64(seed: 42)
        let target = Int64(sizeMib) << 20
        let kinds = ["pods", "persistentvolumeclaims", "configmaps", "secrets", "services", "events.k8s.io"]
        var entries = 0
        var raw: Int64 = 0
        func fileSize() -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: output)[.size]) as? NSNumber)?.int64Value ?? 0
        }
        while true {
            for _ in 0..<2_000 {
                let kind = kinds[Int(random.next() % UInt64(kinds.count))]
                let uid = String(format: "%016llx%016llx", random.next(), random.next())
                var labels = ""
                for label in 0..<Int(random.next() % 6) { labels += ",\"l\(label)\":\"\(String(random.next() % 100_000, radix: 36))\"" }
                let annotation = (0..<8).map { _ in String(format: "%016llx", random.next()) }.joined()
                let json = """
                {"apiVersion":"v1","kind":"\(kind)","metadata":{"name":"item-\(entries)","namespace":"monitoring","uid":"\(uid)",\
                "resourceVersion":"\(random.next() % 10_000_000)","labels":{"app":"monitoring"\(labels)},\
                "annotations":{"drbook.test/blob":"\(annotation)"}},"spec":{"replicas":\(random.next() % 5)},"status":{"phase":"Bound"}}
                """
                let data = Data(json.utf8)
                try writer.addFile("resources/\(kind)/namespaces/monitoring/item-\(entries).json", contents: data)
                entries += 1
                raw += Int64(data.count)
            }
            if fileSize() >= target { break }
        }
        try writer.finish()
        print("generated \(output): \(entries) entries, \(raw) bytes of JSON, \(fileSize()) bytes compressed")
    }
}

struct S3Options: ParsableArguments {
    @Option(help: "S3 endpoint.") var endpoint: String
    @Option(help: "Region.") var region: String = "auto"
    @Option(help: "Bucket.") var bucket: String

    func client() throws -> S3Client {
        S3Client(endpoint: URL(string: endpoint)!, region: region, bucket: bucket, credentials: try S3Credentials.fromEnvironment())
    }
}

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the bucket (if needed) and upload a file.")
    @OptionGroup var s3: S3Options
    @Option(help: "Object key.") var key: String
    @Argument(help: "File to upload.") var file: String

    func run() async throws {
        let client = try s3.client()
        do { try await client.createBucket() } catch let error as S3Error where error.code.hasPrefix("BucketAlready") {}
        var request = client
        request.timeouts = HTTPTimeouts(total: nil)
        try await request.put(key, body: .file(path: file))
        print("uploaded \(file) to s3://\(s3.bucket)/\(key)")
    }
}

struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stream a tar.gz from S3 (or a file) through libarchive and count its entries.")
    @OptionGroup var s3: S3Options
    @Option(help: "Object key; omit with --file.") var key: String?
    @Option(help: "Read a local file instead.") var file: String?
    @Flag(help: "Only transfer the bytes, without libarchive (isolates the transport).") var raw = false

    func run() async throws {
        let start = ContinuousClock.now
        if raw {
            var total = 0
            for try await chunk in try await s3.client().stream(key ?? "") { total += chunk.count }
            let seconds = (ContinuousClock.now - start).seconds
            print(String(format: "raw: %.1f MiB in %.2f s", Double(total) / 1_048_576, seconds))
            return
        }
        let chunks: ArchiveStreamReader.ChunkSource
        if let file {
            let source = try FileChunkSource(path: file)
            chunks = { try source.next() }
        } else {
            let body = try await s3.client().stream(key ?? "")
            chunks = { try body.nextChunkBlocking() }
        }
        let name = file ?? key ?? ""
        let (entries, compressed, uncompressed) = try await ArchiveStreamReader.scan(name: name, format: .tarGzip, source: chunks) { reader in
            var entries = 0
            while try reader.nextEntry() != nil { entries += 1 }
            return (entries, reader.compressedBytesRead, reader.uncompressedBytesRead)
        }
        let seconds = (ContinuousClock.now - start).seconds
        print(String(format: "scan: %d entries, %.1f MiB compressed, %.1f MiB uncompressed in %.2f s (%.0f MiB/s compressed)",
                     entries, Double(compressed) / 1_048_576, Double(uncompressed) / 1_048_576, seconds,
                     Double(compressed) / 1_048_576 / seconds))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A Velero-format store shaped like the platform's (namespace monitoring, Prometheus,
/// Alertmanager, Loki, schedule daily-full), optionally with one fault, for the main job
/// and for trying drbook without a bucket.
struct GenerateStore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-store",
        abstract: "Write a sample Velero store (the platform's monitoring namespace) into a directory."
    )

    @Option(help: "Directory of the store (the BSL prefix).") var dir: String
    @Option(help: "Backups in the daily series.") var backups: Int = 3
    @Option(help: "Inject a fault into the newest backup: empty-snapshot-id, stale, partially-failed, missing-kopia, truncated-tarball.")
    var fault: String?

    func run() async throws {
        var scenario = StoreScenario.platform(now: Date())
        scenario.backupCount = backups
        switch fault {
        case nil: break
        case "empty-snapshot-id"?: scenario.faults = [.emptySnapshotID(pvc: scenario.pvcNames[0])]
        case "stale"?: scenario.faults = [.staleNewest(age: 50 * 3_600)]
        case "partially-failed"?: scenario.faults = [.partiallyFailed(errorsInNamespace: true)]
        case "missing-kopia"?: scenario.faults = [.missingKopiaPrefix]
        case "truncated-tarball"?: scenario.faults = [.truncatedTarball]
        case let other?: throw ValidationError("unknown fault '\(other)'")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let generated = try await VeleroStoreGenerator(scenario: scenario).write(to: DirectoryBackupStore(root: dir))
        print("generated \(generated.backups.count) backups (newest \(generated.newest)) with PVCs \(generated.pvcs.joined(separator: ", ")) in \(dir)")
    }
}
