import Foundation

/// A run's id: its start time in UTC and a random suffix, e.g. `20261125T114900Z-ab12`.
/// Ids sort by start time as plain strings, so `ls .drbook/runs` lists runs in order.
public struct RunID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts only the id shape, so a run id given on the command line can never name a path outside the runs folder.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 16, (4...8).contains(parts[1].count) else { return nil }
        let stamp = Array(parts[0])
        for (index, character) in stamp.enumerated() {
            switch index {
            case 8: guard character == "T" else { return nil }
            case 15: guard character == "Z" else { return nil }
            default: guard character.isASCII, character.isNumber else { return nil }
            }
        }
        guard parts[1].allSatisfy({ $0.isASCII && ($0.isNumber || ("a"..."f").contains($0)) }) else { return nil }
        rawValue = text
    }

    /// A new id for a run starting at `date`.
    public static func make(at date: Date, suffix: String? = nil) -> RunID {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let stamp = String(
            format: "%04d%02d%02dT%02d%02d%02dZ",
            parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        let random = suffix ?? String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        return RunID("\(stamp)-\(random)")!
    }

    public var description: String { rawValue }

    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = RunID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a run id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Where runs are kept: `<root>/<run-id>/journal.jsonl`, the root being `.drbook/runs` by default.
public struct RunStore: Sendable {
    public static let defaultRoot = ".drbook/runs"
    public static let journalFileName = "journal.jsonl"

    public var root: URL

    public init(root: URL = URL(fileURLWithPath: RunStore.defaultRoot)) {
        self.root = root
    }

    public func directory(of run: RunID) -> URL { root.appendingPathComponent(run.rawValue, isDirectory: true) }

    public func journal(of run: RunID) -> URL { directory(of: run).appendingPathComponent(Self.journalFileName) }

    /// Every run with a journal, oldest first.
    public func runs() -> [RunID] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.compactMap(RunID.init).filter { FileManager.default.fileExists(atPath: journal(of: $0).path) }.sorted()
    }

    /// A fresh id for a run starting at `date`, not used by any run in the store.
    func newRunID(at date: Date) -> RunID {
        while true {
            let id = RunID.make(at: date)
            if !FileManager.default.fileExists(atPath: directory(of: id).path) { return id }
        }
    }
}
