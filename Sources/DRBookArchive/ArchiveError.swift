import Foundation

/// A failure reading or writing an archive, naming the archive, the entry at fault
/// and the byte offsets where reading stopped, so a person can tell a truncated
/// download from a corrupt object.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case corrupt
        case notGzip
        case entryTooLarge
        case source
        case write
    }

    public var kind: Kind
    /// The archive's name as the user knows it (an object key, a file path).
    public var archive: String
    /// The entry being read when it failed, or nil before the first entry.
    public var entry: String?
    /// The last entry read completely before the failure.
    public var lastCompleteEntry: String?
    /// Bytes of the decompressed stream consumed when it failed.
    public var uncompressedOffset: Int64
    /// Bytes of the archive file itself consumed when it failed.
    public var compressedOffset: Int64
    public var message: String

    public var description: String {
        let place: String
        if let entry {
            place = "in entry '\(entry)'"
        } else if let lastCompleteEntry {
            place = "after entry '\(lastCompleteEntry)'"
        } else {
            place = "before the first entry"
        }
        let offsets = "at byte \(uncompressedOffset) of the uncompressed stream (byte \(compressedOffset) of the file)"
        switch kind {
        case .corrupt:
            return "\(archive): corrupt or truncated archive \(place) \(offsets): \(message). Download the object again; if it stays broken, the backup is damaged."
        case .notGzip:
            return "\(archive): not gzip-compressed data (\(message)). Check that the object is the archive you meant."
        case .entryTooLarge:
            return "\(archive): entry '\(entry ?? "?")' is larger than the \(message) drbook reads into memory."
        case .source:
            return "\(archive): reading stopped \(place) \(offsets): \(message)"
        case .write:
            return "\(archive): cannot write the archive: \(message)"
        }
    }
}
