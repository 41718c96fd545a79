import DRBookArchive
import DRBookHTTP
import DRBookObjectStore
import DRBookTestSupport
import Foundation
import Testing

/// A tar.gz shaped like a Velero backup: `resources/<group>/namespaces/<ns>/<name>.json`.
func makeBackupTarball(at path: String, items: Int, payloadBytes: Int = 200) throws -> [String: Data] {
    let writer = try TarGzWriter(path: path)
    var contents: [String: Data] = [:]
    try writer.addFile("metadata/version", contents: Data("1\n".utf8))
    contents["metadata/version"] = Data("1\n".utf8)
    for index in 0..<items {
        let kind = ["persistentvolumeclaims", "pods", "configmaps"][index % 3]
        let name = "resources/\(kind)/namespaces/monitoring/item-\(index).json"
        let filler = String(repeating: String(index, radix: 16), count: payloadBytes / 4)
        let data = Data("{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"item-\(index)\"},\"filler\":\"\(filler)\"}".utf8)
        try writer.addFile(name, contents: data)
        contents[name] = data
    }
    try writer.finish()
    return contents
}

@Suite("Archives streamed from the store into libarchive", .timeLimit(.minutes(3)))
struct ArchiveStreamingTests {
    @Test("a tar.gz streamed from moto lists every entry and reads the chosen ones")
    func streamFromStore() async throws {
        let directory = try TemporaryDirectory()
        let contents = try makeBackupTarball(at: directory.path("b.tar.gz"), items: 3_000)
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("velero/backups/b/b.tar.gz", body: .file(path: directory.path("b.tar.gz")))

        let body = try await client.stream("velero/backups/b/b.tar.gz")
        let (paths, pvcs) = try await ArchiveStreamReader.scan(name: "velero/backups/b/b.tar.gz", format: .tarGzip,
                                                              source: { try body.nextChunkBlocking() }) { reader in
            var paths: [String] = []
            var pvcs: [String: Data] = [:]
            while let entry = try reader.nextEntry() {
                paths.append(entry.path)
                #expect(entry.kind == .file)
                if entry.path.contains("/persistentvolumeclaims/") { pvcs[entry.path] = try reader.readEntryData() }
            }
            return (paths, pvcs)
        }
        #expect(paths.count == contents.count)
        #expect(Set(paths) == Set(contents.keys))
        #expect(pvcs.count == 1_000)
        for (path, data) in pvcs { #expect(contents[path] == data) }
    }

    @Test("reading can stop after the first entries without draining the archive")
    func stopEarly() async throws {
        let directory = try TemporaryDirectory()
        _ = try makeBackupTarball(at: directory.path("big.tar.gz"), items: 20_000, payloadBytes: 2_000)
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("big.tar.gz", body: .file(path: directory.path("big.tar.gz")))
        let size = try #require(try await client.head("big.tar.gz")).size

        let body = try await client.stream("big.tar.gz")
        let consumed = try await ArchiveStreamReader.scan(name: "big.tar.gz", format: .tarGzip, source: { try body.nextChunkBlocking() }) { reader in
            for _ in 0..<10 { _ = try reader.nextEntry() }
            return reader.compressedBytesRead
        }
        body.cancel()
        #expect(consumed < size / 4)
    }

    @Test("a truncated tarball names the entry it stopped in and the byte offset")
    func truncated() async throws {
        let directory = try TemporaryDirectory()
        _ = try makeBackupTarball(at: directory.path("t.tar.gz"), items: 400, payloadBytes: 4_000)
        let whole = try Data(contentsOf: URL(fileURLWithPath: directory.path("t.tar.gz")))
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("backups/t/t.tar.gz", body: .bytes(whole.prefix(whole.count / 2)))

        let body = try await client.stream("backups/t/t.tar.gz")
        let error = try await #require(throws: ArchiveError.self) {
            try await ArchiveStreamReader.scan(name: "backups/t/t.tar.gz", format: .tarGzip, source: { try body.nextChunkBlocking() }) { reader in
                while let _ = try reader.nextEntry() { _ = try reader.readEntryData() }
            }
        }
        #expect(error.kind == .corrupt)
        #expect(error.archive == "backups/t/t.tar.gz")
        #expect(error.entry?.hasPrefix("resources/") == true || error.lastCompleteEntry?.hasPrefix("resources/") == true)
        #expect(error.uncompressedOffset > 0)
        #expect(error.compressedOffset > 0)
        #expect(error.description.contains("backups/t/t.tar.gz: corrupt or truncated archive"))
        #expect(error.description.contains("at byte \(error.uncompressedOffset)"))
    }

    @Test("a corrupted tarball (bytes flipped mid-stream) fails with the entry-naming error")
    func corrupted() async throws {
        let directory = try TemporaryDirectory()
        _ = try makeBackupTarball(at: directory.path("c.tar.gz"), items: 400, payloadBytes: 4_000)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: directory.path("c.tar.gz")))
        let middle = bytes.count / 2
        for index in middle..<(middle + 64) { bytes[index] ^= 0x5A }
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("backups/c/c.tar.gz", body: .bytes(bytes))

        let body = try await client.stream("backups/c/c.tar.gz")
        let error = try await #require(throws: ArchiveError.self) {
            try await ArchiveStreamReader.scan(name: "backups/c/c.tar.gz", format: .tarGzip, source: { try body.nextChunkBlocking() }) { reader in
                while let _ = try reader.nextEntry() { _ = try reader.readEntryData() }
            }
        }
        #expect(error.kind == .corrupt)
        #expect(error.entry != nil || error.lastCompleteEntry != nil)
        #expect(error.description.contains("entry '"))
        #expect(error.compressedOffset > 0)
    }

    @Test("entries passed over on their raw path are counted, and an error after them still names the last one")
    func filteredEntries() async throws {
        let directory = try TemporaryDirectory()
        let contents = try makeBackupTarball(at: directory.path("f.tar.gz"), items: 900, payloadBytes: 4_000)
        let whole = try Data(contentsOf: URL(fileURLWithPath: directory.path("f.tar.gz")))
        let pods: @Sendable (UnsafeBufferPointer<UInt8>) -> Bool = { path in String(decoding: path, as: UTF8.self).contains("/pods/") }

        let (read, entriesRead) = try await ArchiveStreamReader.scan(name: "f.tar.gz", format: .tarGzip, source: OneShot(whole).next) { reader in
            var read: [String: Data] = [:]
            while let entry = try reader.nextEntry(where: pods) { read[entry.path] = try reader.readEntryData() }
            return (read, reader.entriesRead)
        }
        #expect(entriesRead == contents.count)
        #expect(read == contents.filter { $0.key.contains("/pods/") })

        // Cut inside the data of an entry the filter passes over: the error names it.
        let error = try await #require(throws: ArchiveError.self) {
            try await ArchiveStreamReader.scan(name: "f.tar.gz", format: .tarGzip, source: OneShot(whole.prefix(whole.count / 2)).next) { reader in
                while try reader.nextEntry(where: { _ in false }) != nil {}
            }
        }
        #expect(error.kind == .corrupt)
        let named = try #require(error.entry ?? error.lastCompleteEntry)
        #expect(contents.keys.contains(named))
        #expect(error.description.contains("entry '\(named)'"))
    }

    @Test("a gzip trailer whose CRC-32 or length does not match the data fails, as Velero's restore would", arguments: [0, 4])
    func trailerMismatch(byteFromTrailerStart: Int) async throws {
        let directory = try TemporaryDirectory()
        let contents = try makeBackupTarball(at: directory.path("t.tar.gz"), items: 300)
        let whole = try Data(contentsOf: URL(fileURLWithPath: directory.path("t.tar.gz")))
        // Untouched, it reads to the end without complaint.
        let read = try await ArchiveStreamReader.scan(name: "t.tar.gz", format: .tarGzip, source: OneShot(whole).next) { reader in
            var count = 0
            while try reader.nextEntry() != nil { count += 1 }
            return count
        }
        #expect(read == contents.count)

        var bytes = whole
        bytes[bytes.count - 8 + byteFromTrailerStart] ^= 0x01
        let error = try await #require(throws: ArchiveError.self) {
            try await ArchiveStreamReader.scan(name: "t.tar.gz", format: .tarGzip, source: OneShot(bytes).next) { reader in
                while try reader.nextEntry() != nil {}
            }
        }
        #expect(error.kind == .corrupt)
        #expect(error.description.contains("the gzip trailer does not match the data"))
        #expect(error.description.contains(byteFromTrailerStart == 0 ? "CRC-32" : "length"))
        #expect(error.description.contains("Velero's restore would refuse it"))

        // A single .gz (Velero's metadata objects) is checked the same way.
        var single = try Gzip.compress(Data(String(repeating: "velero ", count: 500).utf8))
        single[single.count - 8 + byteFromTrailerStart] ^= 0x01
        #expect(throws: ArchiveError.self) { try ArchiveStreamReader.gunzip(name: "x.json.gz", data: single) }
    }

    @Test("chunks as small as one byte are read correctly (small Data values keep their bytes inline)")
    func tinyChunks() async throws {
        let directory = try TemporaryDirectory()
        let contents = try makeBackupTarball(at: directory.path("tiny.tar.gz"), items: 30)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.path("tiny.tar.gz")))
        let source = TinyChunks(bytes)
        let read = try await ArchiveStreamReader.scan(name: "tiny.tar.gz", format: .tarGzip, source: { source.next() }) { reader in
            var read: [String: Data] = [:]
            while let entry = try reader.nextEntry() { read[entry.path] = try reader.readEntryData() }
            return read
        }
        #expect(read == contents)
    }

    @Test("cancelling the task stops a scan that is waiting on the network")
    func cancelScan() async throws {
        let url = URL(string: "http://127.0.0.1:\(try await TestServers.shared.fixture().port)/stall?send=0&total=100000&hold=30")!
        let response = try await HTTPClient.shared.stream(HTTPRequest(.get, url, retry: .never))
        let body = response.body
        let task = Task {
            try await ArchiveStreamReader.scan(name: "stalled.tar.gz", format: .tarGzip, source: { try body.nextChunkBlocking() },
                                               onCancel: { body.cancel() }) { reader in
                while try reader.nextEntry() != nil {}
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let error = await #expect(throws: ArchiveError.self) { try await task.value }
        #expect(error?.kind == .source)
        #expect(error?.description.contains("cancelled") == true)
    }

    @Test("a tarball read from a local file goes through the same reader")
    func localFile() async throws {
        let directory = try TemporaryDirectory()
        let contents = try makeBackupTarball(at: directory.path("l.tar.gz"), items: 50)
        let source = try FileChunkSource(path: directory.path("l.tar.gz"))
        let count = try await ArchiveStreamReader.scan(name: "l.tar.gz", format: .tarGzip, source: { try source.next() }) { reader in
            var count = 0
            while try reader.nextEntry() != nil { count += 1 }
            return count
        }
        #expect(count == contents.count)
    }

    @Test("plain (uncompressed) tar data is refused: Velero's tarballs are gzip")
    func plainTarRefused() async throws {
        let tar = try Tools.require("tar", install: "apt-get install -y tar")
        let directory = try TemporaryDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory.path("f.json")))
        try Tools.run(tar, ["-cf", directory.path("p.tar"), "-C", directory.url.path, "f.json"])
        let source = try FileChunkSource(path: directory.path("p.tar"))
        let error = try await #require(throws: ArchiveError.self) {
            try await ArchiveStreamReader.scan(name: "p.tar", format: .tarGzip, source: { try source.next() }) { reader in
                while try reader.nextEntry() != nil {}
            }
        }
        #expect(error.kind == .notGzip)
    }
}

@Suite("Single .gz objects")
struct GzipObjectTests {
    @Test("gzip data round-trips through libarchive")
    func roundTrip() throws {
        let json = Data("[{\"metadata\":{\"name\":\"pvb-1\"},\"status\":{\"phase\":\"Completed\",\"snapshotID\":\"abc\"}}]".utf8)
        let compressed = try Gzip.compress(json)
        #expect(compressed.prefix(2) == Data([0x1F, 0x8B]))
        #expect(try ArchiveStreamReader.gunzip(name: "b-podvolumebackups.json.gz", data: compressed) == json)
    }

    @Test("an empty gzip file reads as empty")
    func empty() throws {
        #expect(try ArchiveStreamReader.gunzip(name: "empty.gz", data: try Gzip.compress(Data())).isEmpty)
    }

    @Test("a zero-byte object is refused as not gzip")
    func zeroBytes() throws {
        let error = try #require(throws: ArchiveError.self) { try ArchiveStreamReader.gunzip(name: "b-results.gz", data: Data()) }
        #expect(error.kind == .notGzip)
        #expect(error.description.contains("the input is empty"))
    }

    @Test("data that is not gzip is refused, not passed through")
    func notGzip() throws {
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveStreamReader.gunzip(name: "b-results.gz", data: Data("{\"errors\":{}}".utf8))
        }
        #expect(error.kind == .notGzip)
        #expect(error.description.contains("b-results.gz"))
    }

    @Test("a truncated .gz fails with an error naming the file")
    func truncated() throws {
        let compressed = try Gzip.compress(Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveStreamReader.gunzip(name: "b-logs.gz", data: compressed.prefix(compressed.count / 2))
        }
        #expect(error.kind == .corrupt)
        #expect(error.description.contains("b-logs.gz"))
    }

    @Test("a decompressed size past the limit is refused")
    func limit() throws {
        let compressed = try Gzip.compress(Data(count: 1 << 20))
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveStreamReader.gunzip(name: "bomb.gz", data: compressed, limit: 1000)
        }
        #expect(error.kind == .entryTooLarge)
    }
}

/// Hands out a byte buffer in chunks of 1 to 13 bytes.
final class TinyChunks: @unchecked Sendable {
    private let bytes: Data
    private var offset = 0
    private var size = 1
    init(_ bytes: Data) { self.bytes = bytes }
    func next() -> Data? {
        guard offset < bytes.count else { return nil }
        let end = min(bytes.count, offset + size)
        defer {
            offset = end
            size = size % 13 + 1
        }
        return Data(bytes[offset..<end])
    }
}

/// The whole input as one chunk.
final class OneShot: @unchecked Sendable {
    private var bytes: Data?
    init(_ bytes: Data) { self.bytes = bytes }
    @Sendable func next() -> Data? {
        defer { bytes = nil }
        return bytes
    }
}
