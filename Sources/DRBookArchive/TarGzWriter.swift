import CArchive
import Foundation

/// Writes gzip-compressed tar archives (pax format) and single `.gz` files through
/// libarchive. Used to produce Velero-format stores for tests, the sandbox and benchmarks.
public final class TarGzWriter {
    private let archive: OpaquePointer
    private let name: String
    private var finished = false

    /// - Parameter compressionLevel: gzip level 1 (fast) to 9 (small).
    public init(path: String, compressionLevel: Int = 6) throws {
        guard let archive = archive_write_new() else { throw Self.error(path, "libarchive could not allocate a writer") }
        self.archive = archive
        self.name = path
        archive_write_set_format_pax_restricted(archive)
        archive_write_add_filter_gzip(archive)
        archive_write_set_filter_option(archive, "gzip", "compression-level", String(compressionLevel))
        archive_write_set_bytes_in_last_block(archive, 1)
        guard archive_write_open_filename(archive, path) == ARCHIVE_OK else { throw failure() }
    }

    deinit {
        if !finished { archive_write_free(archive) }
    }

    public func addFile(_ path: String, contents: Data, modified: Date = Date(timeIntervalSince1970: 0), mode: Int32 = 0o644) throws {
        guard let entry = archive_entry_new() else { throw Self.error(name, "out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path)
        archive_entry_set_size(entry, la_int64_t(contents.count))
        archive_entry_set_filetype(entry, drbook_ae_ifreg())
        archive_entry_set_perm(entry, mode_t(mode))
        archive_entry_set_mtime(entry, time_t(modified.timeIntervalSince1970), 0)
        guard archive_write_header(archive, entry) == ARCHIVE_OK else { throw failure() }
        let written = contents.withUnsafeBytes { raw in archive_write_data(archive, raw.baseAddress, raw.count) }
        guard written == contents.count else { throw failure() }
    }

    public func addDirectory(_ path: String, modified: Date = Date(timeIntervalSince1970: 0)) throws {
        guard let entry = archive_entry_new() else { throw Self.error(name, "out of memory") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, path.hasSuffix("/") ? path : path + "/")
        archive_entry_set_filetype(entry, drbook_ae_ifdir())
        archive_entry_set_perm(entry, 0o755)
        archive_entry_set_mtime(entry, time_t(modified.timeIntervalSince1970), 0)
        guard archive_write_header(archive, entry) == ARCHIVE_OK else { throw failure() }
    }

    public func finish() throws {
        guard !finished else { return }
        finished = true
        defer { archive_write_free(archive) }
        guard archive_write_close(archive) == ARCHIVE_OK else { throw failure() }
    }

    private func failure() -> ArchiveError {
        Self.error(name, archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error")
    }

    static func error(_ name: String, _ message: String) -> ArchiveError {
        ArchiveError(kind: .write, archive: name, entry: nil, lastCompleteEntry: nil, uncompressedOffset: 0,
                     compressedOffset: 0, message: message)
    }
}

public enum Gzip {
    /// gzip-compresses `data` in memory (Velero's `*.json.gz` and `*-results.gz` objects).
    public static func compress(_ data: Data, level: Int = 6) throws -> Data {
        final class Sink { var data = Data() }
        let sink = Sink()
        guard let archive = archive_write_new() else { throw TarGzWriter.error("gzip", "libarchive could not allocate a writer") }
        // archive_write_free may still flush into the sink: keep it alive until then.
        defer { withExtendedLifetime(sink) { _ = archive_write_free(archive) } }
        archive_write_set_format_raw(archive)
        archive_write_add_filter_gzip(archive)
        archive_write_set_filter_option(archive, "gzip", "compression-level", String(level))
        archive_write_set_bytes_in_last_block(archive, 1)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let status = archive_write_open(archive, context, nil, { _, context, buffer, length in
            Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue().data.append(buffer!.assumingMemoryBound(to: UInt8.self), count: length)
            return length
        }, nil)
        func fail() -> ArchiveError {
            TarGzWriter.error("gzip", archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error")
        }
        guard status == ARCHIVE_OK, let entry = archive_entry_new() else { throw fail() }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, "data")
        archive_entry_set_filetype(entry, drbook_ae_ifreg())
        archive_entry_set_size(entry, la_int64_t(data.count))
        guard archive_write_header(archive, entry) == ARCHIVE_OK else { throw fail() }
        if !data.isEmpty {
            let written = data.withUnsafeBytes { raw in archive_write_data(archive, raw.baseAddress, raw.count) }
            guard written == data.count else { throw fail() }
        }
        guard archive_write_close(archive) == ARCHIVE_OK else { throw fail() }
        return sink.data
    }
}
