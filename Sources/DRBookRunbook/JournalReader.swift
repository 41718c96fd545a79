import Foundation

/// Reads a run's journal back.
///
/// A last line without its newline is what a crash in the middle of a write
/// leaves: it is set aside, not an error. Anything unreadable before the
/// last line is corruption, reported with its line number.
public enum JournalReader {
    public struct Contents: Sendable, Equatable {
        public var events: [JournalEvent]
        /// The torn last line, if the writer died while writing it.
        public var tornTail: String?
    }

    public static func read(_ url: URL) throws(JournalError) -> Contents {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw JournalError(url: url, "cannot read the journal: \(error.localizedDescription)")
        }
        return try read(data, url: url)
    }

    public static func read(_ data: Data, url: URL) throws(JournalError) -> Contents {
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = data.last == UInt8(ascii: "\n")
        // The empty piece after the final newline, or the unterminated tail.
        let tail = lines.removeLast()

        let decoder = JSONDecoder()
        var events: [JournalEvent] = []
        for (index, line) in lines.enumerated() {
            guard !line.isEmpty else {
                throw JournalError(url: url, line: index + 1, "empty line; expected one JSON event per line")
            }
            do {
                events.append(try decoder.decode(JournalEvent.self, from: Data(line)))
            } catch {
                throw JournalError(url: url, line: index + 1, "not a journal event (\(describe(error))); the journal is corrupt, expected only its last line to be cut short by a crash")
            }
        }
        var torn: String?
        if !endsWithNewline, !tail.isEmpty {
            if let event = try? decoder.decode(JournalEvent.self, from: Data(tail)) {
                events.append(event)
            } else {
                torn = String(decoding: tail, as: UTF8.self)
            }
        }
        return Contents(events: events, tornTail: torn)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.dataCorrupted(context): return context.debugDescription
        case let DecodingError.keyNotFound(key, _): return "missing '\(key.stringValue)'"
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(path): \(context.debugDescription)"
        default: return "\(error)"
        }
    }
}
