import CArchive
import Foundation

/// One entry's header as libarchive read it.
public struct ArchiveEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case file, directory, symlink, other }
    public var path: String
    public var size: Int64
    public var kind: Kind
    public var modified: Date?
}

/// Reads an archive that arrives as a sequence of chunks (an HTTP body, a file)
/// through libarchive's callback reader, one entry at a time: memory stays bounded by
/// libarchive's buffers and one chunk, whatever the archive's size. Blocking: use it on
/// a thread that may block (`ArchiveStreamReader.scan` provides one). Stopping early is
/// just not asking for more.
///
/// libarchive's gzip reader skips the gzip trailer unchecked, while Velero's restore
/// (Go's gzip reader) refuses a stream whose CRC-32 or size does not match it. So a
/// `.tar.gz` is read in two stages — libarchive's gzip reader yields the decompressed
/// bytes, its tar reader reads them — and the decompressed bytes are checksummed on the
/// way and compared with the trailer once the stream has been read to its end.
public final class ArchiveStreamReader {
    public enum Format: Sendable {
        /// A gzip-compressed tar archive (`.tar.gz`, `.tgz`).
        case tarGzip
        /// A single gzip-compressed file (`.gz`): one entry holding the decompressed bytes.
        case gzip
    }

    /// Supplies the next chunk of the archive, or nil at its end.
    public typealias ChunkSource = @Sendable () throws -> Data?

    public let name: String
    /// The reader whose entries are handed out: tar (`.tarGzip`) or raw (`.gzip`).
    private let archive: OpaquePointer
    /// `.tarGzip`: the gzip stage feeding `archive` with decompressed bytes.
    private var gzipStage: OpaquePointer?
    private let source: ChunkSource
    private let format: Format
    /// The bytes libarchive reads until the next callback. Owned here, because a small
    /// `Data` keeps its bytes inline and `withUnsafeBytes` would hand out a stack copy.
    private var chunkBuffer: UnsafeMutableRawBufferPointer?
    /// The first bytes of the input, to tell "not gzip" from "corrupt".
    private var leadingBytes: [UInt8] = []
    private var sourceError: Error?
    /// The current and the previous entry's raw paths, for errors. Kept as bytes (the
    /// buffers are reused) so that entries a caller passes over cost no `String`.
    private var currentPath: [UInt8] = []
    private var lastCompletePath: [UInt8] = []
    private var hasCurrentPath = false
    private var hasLastCompletePath = false
    /// Headers read so far, including those `nextEntry(where:)` passed over.
    public private(set) var entriesRead = 0
    private var checkedFilter = false
    private var closed = false
    /// CRC-32 and length of the decompressed bytes so far, and the last 8 compressed
    /// bytes seen (the trailer, once the input has ended).
    private var crc: UInt = 0
    private var decompressedLength: UInt64 = 0
    private var compressedTail: [UInt8] = []
    private var trailerVerified = false

    public init(name: String, format: Format, source: @escaping ChunkSource) throws {
        guard let archive = archive_read_new() else {
            throw ArchiveError(kind: .corrupt, archive: name, entry: nil, lastCompleteEntry: nil,
                               uncompressedOffset: 0, compressedOffset: 0, message: "libarchive could not allocate a reader")
        }
        self.archive = archive
        self.name = name
        self.format = format
        self.source = source
        let context = Unmanaged.passUnretained(self).toOpaque()
        switch format {
        case .gzip:
            try openGzipStage(archive)
        case .tarGzip:
            guard let stage = archive_read_new() else {
                close()
                throw ArchiveError(kind: .corrupt, archive: name, entry: nil, lastCompleteEntry: nil,
                                   uncompressedOffset: 0, compressedOffset: 0, message: "libarchive could not allocate a reader")
            }
            gzipStage = stage
            try openGzipStage(stage)
            // The stage's one raw entry is the decompressed stream.
            var entry: OpaquePointer?
            let header = archive_read_next_header(stage, &entry)
            if header == ARCHIVE_EOF {
                let error = notGzip("the input is empty")
                close()
                throw error
            }
            guard header == ARCHIVE_OK || header == ARCHIVE_WARN else {
                let error = failure(.corrupt)
                close()
                throw error
            }
            do { try checkGzipFilter() } catch { close(); throw error }
            archive_read_support_format_tar(archive)
            archive_read_support_format_gnutar(archive)
            let status = archive_read_open(archive, context, nil, { _, context, buffer in
                let reader = Unmanaged<ArchiveStreamReader>.fromOpaque(context!).takeUnretainedValue()
                return reader.supplyDecompressed(buffer!)
            }, nil)
            if status != ARCHIVE_OK {
                let error = failure(.corrupt)
                close()
                throw error
            }
        }
    }

    /// Opens a gzip reader over the chunks; its one entry is the decompressed stream.
    private func openGzipStage(_ reader: OpaquePointer) throws {
        archive_read_support_filter_gzip(reader)
        archive_read_support_format_raw(reader)
        archive_read_support_format_empty(reader)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let status = archive_read_open(reader, context, nil, { _, context, buffer in
            let reader = Unmanaged<ArchiveStreamReader>.fromOpaque(context!).takeUnretainedValue()
            return reader.supplyChunk(buffer!)
        }, nil)
        if status != ARCHIVE_OK {
            // libarchive cannot tell "not gzip" from "not tar" at open; the first bytes can.
            let error: ArchiveError
            if sourceError == nil && leadingBytes.count < 2 {
                error = notGzip("the input is empty")
            } else if sourceError == nil && !leadingBytes.starts(with: [0x1F, 0x8B]) {
                error = notGzip("no gzip header at the start")
            } else {
                error = failure(.corrupt, reader: reader)
            }
            close()
            throw error
        }
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        archive_read_free(archive)
        if let gzipStage { archive_read_free(gzipStage) }
        chunkBuffer?.deallocate()
        chunkBuffer = nil
    }

    private func ensureOpen() throws {
        guard closed else { return }
        throw ArchiveError(kind: .source, archive: name, entry: currentEntry, lastCompleteEntry: lastCompleteEntry,
                           uncompressedOffset: 0, compressedOffset: 0, message: "the reader was already closed")
    }

    private var currentEntry: String? { hasCurrentPath ? String(decoding: currentPath, as: UTF8.self) : nil }
    private var lastCompleteEntry: String? { hasLastCompletePath ? String(decoding: lastCompletePath, as: UTF8.self) : nil }

    /// The reader that decompresses: the gzip stage, or the archive itself for `.gzip`.
    private var gzipReader: OpaquePointer { gzipStage ?? archive }

    /// Compressed bytes consumed so far.
    public var compressedBytesRead: Int64 { closed ? 0 : archive_filter_bytes(gzipReader, -1) }
    /// Decompressed bytes consumed so far.
    public var uncompressedBytesRead: Int64 { closed ? 0 : archive_filter_bytes(gzipReader, 0) }

    /// The next entry's header, or nil after the last one. The previous entry's
    /// unread data is skipped.
    public func nextEntry() throws -> ArchiveEntry? {
        try nextEntry { _ in true }
    }

    /// The next entry whose raw path (UTF-8 bytes as stored, valid only during the call)
    /// `wanted` accepts, or nil after the last one. Entries passed over cost a header read
    /// and no allocation: a backup tarball holds tens of thousands of items, and a scan
    /// for one namespace reads few of them.
    public func nextEntry(where wanted: (UnsafeBufferPointer<UInt8>) -> Bool) throws -> ArchiveEntry? {
        try ensureOpen()
        while true {
            retireCurrentPath()
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF {
                try checkGzipFilter()
                if gzipStage != nil { try finishGzipStream() }
                return nil
            }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw failure(.corrupt) }
            try checkGzipFilter()
            entriesRead += 1
            let rawPath = archive_entry_pathname(entry)
            let pathBytes = rawPath.map { UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0)) }
                ?? UnsafeBufferPointer(start: nil, count: 0)
            currentPath.removeAll(keepingCapacity: true)
            currentPath.append(contentsOf: pathBytes)
            hasCurrentPath = true
            guard wanted(pathBytes) else { continue }
            return header(of: entry, path: String(decoding: pathBytes, as: UTF8.self))
        }
    }

    /// The current entry becomes the last complete one; the two buffers are reused.
    private func retireCurrentPath() {
        guard hasCurrentPath else { return }
        swap(&currentPath, &lastCompletePath)
        hasLastCompletePath = true
        hasCurrentPath = false
    }

    private func header(of entry: OpaquePointer, path: String) -> ArchiveEntry {
        let kind: ArchiveEntry.Kind
        switch archive_entry_filetype(entry) {
        case drbook_ae_ifreg(): kind = .file
        case drbook_ae_ifdir(): kind = .directory
        case drbook_ae_iflnk(): kind = .symlink
        default: kind = format == .gzip ? .file : .other
        }
        let modified = archive_entry_mtime_is_set(entry) != 0
            ? Date(timeIntervalSince1970: TimeInterval(archive_entry_mtime(entry))) : nil
        let size = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : -1
        return ArchiveEntry(path: path, size: size, kind: kind, modified: modified)
    }

    /// Hands the current entry's bytes to `body` block by block.
    public func readEntry(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try ensureOpen()
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(archive, &buffer, &size, &offset)
            if status == ARCHIVE_EOF {
                if gzipStage == nil { try verifyTrailer() }
                return
            }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw failure(.corrupt) }
            if gzipStage == nil, size > 0, let buffer { checksum(buffer, size) }
            if size > 0, let buffer { try body(UnsafeRawBufferPointer(start: buffer, count: size)) }
        }
    }

    /// The current entry's bytes, failing past `limit`.
    public func readEntryData(limit: Int = 64 << 20) throws -> Data {
        var data = Data()
        try readEntry { block in
            guard data.count + block.count <= limit else {
                throw ArchiveError(kind: .entryTooLarge, archive: name, entry: currentEntry, lastCompleteEntry: lastCompleteEntry,
                                   uncompressedOffset: uncompressedBytesRead, compressedOffset: compressedBytesRead,
                                   message: "\(limit) bytes")
            }
            data.append(block.bindMemory(to: UInt8.self))
        }
        return data
    }

    // MARK: private

    private func supplyChunk(_ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        var chunk = Data()
        do {
            repeat {
                guard let next = try source() else { return 0 }
                chunk = next
            } while chunk.isEmpty
        } catch {
            sourceError = error
            return -1
        }
        if (chunkBuffer?.count ?? 0) < chunk.count {
            chunkBuffer?.deallocate()
            chunkBuffer = .allocate(byteCount: max(chunk.count, 64 << 10), alignment: 16)
        }
        if leadingBytes.count < 2 { leadingBytes += chunk.prefix(2 - leadingBytes.count) }
        compressedTail.append(contentsOf: chunk.suffix(8))
        if compressedTail.count > 8 { compressedTail.removeFirst(compressedTail.count - 8) }
        let owned = chunkBuffer!
        chunk.copyBytes(to: owned.bindMemory(to: UInt8.self), count: chunk.count)
        buffer.pointee = UnsafeRawPointer(owned.baseAddress)
        return chunk.count
    }

    /// The tar stage's read callback: the gzip stage's next block of decompressed bytes,
    /// handed on without a copy (valid until the next call, as libarchive requires).
    private func supplyDecompressed(_ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        guard let stage = gzipStage else { return -1 }
        var block: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let status = archive_read_data_block(stage, &block, &size, &offset)
        if status == ARCHIVE_EOF {
            do { try verifyTrailer() } catch {
                sourceError = error
                return -1
            }
            return 0
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let block else {
            if sourceError == nil { sourceError = failure(.corrupt, reader: stage) }
            return -1
        }
        checksum(block, size)
        buffer.pointee = block
        return size
    }

    private func checksum(_ block: UnsafeRawPointer, _ size: Int) {
        crc = drbook_crc32(crc, block, size)
        decompressedLength &+= UInt64(size)
    }

    /// After the tar stage's end-of-archive: reads what follows (padding) to the end of
    /// the gzip stream, so its trailer is checked too.
    private func finishGzipStream() throws {
        var buffer: UnsafeRawPointer?
        while !trailerVerified {
            let size = supplyDecompressed(&buffer)
            if size < 0 { throw failure(.corrupt) }
            if size == 0 { break }
        }
    }

    /// The gzip trailer: CRC-32 and length (mod 2^32) of the decompressed bytes, little endian.
    private func verifyTrailer() throws {
        guard !trailerVerified else { return }
        trailerVerified = true
        guard compressedTail.count == 8 else { return }
        let storedCRC = compressedTail[0..<4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let storedLength = compressedTail[4..<8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let actualCRC = UInt32(truncatingIfNeeded: crc), actualLength = UInt32(truncatingIfNeeded: decompressedLength)
        guard storedCRC != actualCRC || storedLength != actualLength else { return }
        throw ArchiveError(kind: .corrupt, archive: name, entry: nil, lastCompleteEntry: lastCompleteEntry ?? currentEntry,
                           uncompressedOffset: Int64(decompressedLength), compressedOffset: compressedBytesRead,
                           message: String(format: "the gzip trailer does not match the data (CRC-32 %08x stored, %08x read; length %u stored, %u read): the stream is corrupt, and Velero's restore would refuse it",
                                           storedCRC, actualCRC, storedLength, actualLength))
    }

    /// libarchive passes non-gzip input through unfiltered; drbook only reads gzip.
    private var hasGzipFilter: Bool {
        (0..<archive_filter_count(gzipReader)).contains { archive_filter_code(gzipReader, $0) == ARCHIVE_FILTER_GZIP }
    }

    private func checkGzipFilter() throws {
        guard !checkedFilter else { return }
        checkedFilter = true
        // Zero bytes are not a gzip stream either: an empty object is a broken one.
        guard !hasGzipFilter else { return }
        throw notGzip(archive_format(gzipReader) == ARCHIVE_FORMAT_EMPTY ? "the input is empty" : "no gzip header at the start")
    }

    private func notGzip(_ reason: String) -> ArchiveError {
        ArchiveError(kind: .notGzip, archive: name, entry: nil, lastCompleteEntry: nil, uncompressedOffset: 0,
                     compressedOffset: 0, message: reason)
    }

    private func failure(_ kind: ArchiveError.Kind, reader: OpaquePointer? = nil) -> ArchiveError {
        if let sourceError {
            if let archiveError = sourceError as? ArchiveError { return archiveError }
            return ArchiveError(kind: .source, archive: name, entry: currentEntry, lastCompleteEntry: lastCompleteEntry,
                                uncompressedOffset: uncompressedBytesRead, compressedOffset: compressedBytesRead,
                                message: String(describing: sourceError))
        }
        let message = archive_error_string(reader ?? archive).map { String(cString: $0) }
            ?? gzipStage.flatMap { archive_error_string($0) }.map { String(cString: $0) } ?? "unknown libarchive error"
        return ArchiveError(kind: kind, archive: name, entry: currentEntry, lastCompleteEntry: lastCompleteEntry,
                            uncompressedOffset: uncompressedBytesRead, compressedOffset: compressedBytesRead, message: message)
    }
}

extension ArchiveStreamReader {
    /// Runs `body` with a reader on a thread of its own, since libarchive's reads block.
    /// - Parameter onCancel: stops the source (e.g. `HTTPBody.cancel`) when the task is
    ///   cancelled, so the blocked reader wakes with an error instead of reading on.
    public static func scan<T: Sendable>(
        name: String, format: Format, source: @escaping ChunkSource, onCancel: @escaping @Sendable () -> Void = {},
        _ body: @escaping @Sendable (ArchiveStreamReader) throws -> T
    ) async throws -> T {
        try await withTaskCancellationHandler {
            try await runOnDedicatedThread {
                let reader = try ArchiveStreamReader(name: name, format: format, source: source)
                defer { reader.close() }
                return try body(reader)
            }
        } onCancel: {
            onCancel()
        }
    }

    /// Reads a whole `.gz` object into memory (up to `limit` decompressed bytes).
    public static func gunzip(name: String, data: Data, limit: Int = 64 << 20) throws -> Data {
        let once = OneChunk(data)
        let reader = try ArchiveStreamReader(name: name, format: .gzip) { once.take() }
        defer { reader.close() }
        guard try reader.nextEntry() != nil else { return Data() }
        return try reader.readEntryData(limit: limit)
    }
}

/// Runs blocking work on a new thread and awaits its result, keeping Swift's
/// cooperative pool free.
public func runOnDedicatedThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.name = "drbook-blocking"
        thread.start()
    }
}

/// A source of exactly one chunk: a whole object already in memory.
private final class OneChunk: @unchecked Sendable {
    private var data: Data?
    private let lock = NSLock()
    init(_ data: Data) { self.data = data }
    func take() -> Data? {
        lock.lock()
        defer { lock.unlock() }
        let chunk = data
        data = nil
        return chunk
    }
}

/// Chunks of a local file, for reading archives on disk through the same path.
public final class FileChunkSource: @unchecked Sendable {
    private let handle: FileHandle
    private let chunkSize: Int
    public init(path: String, chunkSize: Int = 256 << 10) throws {
        handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        self.chunkSize = chunkSize
    }
    deinit { try? handle.close() }
    public func next() throws -> Data? {
        guard let data = try handle.read(upToCount: chunkSize), !data.isEmpty else { return nil }
        return data
    }
}
