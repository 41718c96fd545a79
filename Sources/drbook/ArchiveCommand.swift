import ArgumentParser
import DRBookArchive
import DRBookObjectStore
import Foundation

struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Inspect gzip tar archives (Velero backup tarballs) in a bucket or on disk.",
        subcommands: [ArchiveList.self]
    )
}

struct ArchiveList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the entries of a .tar.gz, streamed: the archive is never held in memory or written to disk.",
        discussion: """
        Examples:
          drbook archive list file:///mirror/velero/prod/backups/daily-full-20261124021700/daily-full-20261124021700.tar.gz
          drbook archive list s3://platform-backups/velero/prod/backups/B/B.tar.gz --endpoint https://ACCOUNT.r2.cloudflarestorage.com --match persistentvolumeclaims
        Credentials for s3:// come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
        """
    )

    @Argument(help: ArgumentHelp("The archive: s3://BUCKET/KEY, file:///PATH or a path.", valueName: "source"))
    var source: String

    @Option(help: ArgumentHelp("Only entries whose path contains this text.", valueName: "text"))
    var match: String?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let object = try ObjectLocation.parse(source)
        let chunks: ArchiveStreamReader.ChunkSource
        var cancel: @Sendable () -> Void = {}
        defer { cancel() }
        switch object {
        case .s3(let bucket, let key):
            let body = try await store.client(bucket: bucket).stream(key)
            chunks = { try body.nextChunkBlocking() }
            cancel = { body.cancel() }
        case .file(let path):
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw BadInput("Cannot read '\(path)': check the path and its permissions.")
            }
            let file = try FileChunkSource(path: path)
            chunks = { try file.next() }
        }
        let match = self.match
        let summary = try await ArchiveStreamReader.scan(name: object.description, format: .tarGzip, source: chunks,
                                                         onCancel: cancel) { reader in
            var entries = 0
            var shown = 0
            while let entry = try reader.nextEntry() {
                entries += 1
                guard match.map({ entry.path.contains($0) }) ?? true else { continue }
                shown += 1
                print(String(format: "%12lld  %@", entry.size, entry.path))
            }
            return (entries, shown, reader.compressedBytesRead, reader.uncompressedBytesRead)
        }
        print("\(summary.1) of \(summary.0) entries shown; \(summary.2) bytes compressed, \(summary.3) bytes uncompressed.")
    }
}
