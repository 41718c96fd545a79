import Foundation

/// Values in the journal keep their type, so a resumed run gets back exactly what a step produced:
/// `{"string": "x"}`, `{"int": 3}`, `{"duration": "1h30m"}`, `{"time": "2026-01-31T02:17:00.000Z"}`,
/// `{"list": […]}`, `{"map": {…}}`, `{"null": true}`.
extension Value: Codable {
    private enum Tag: String, CodingKey, CaseIterable {
        case string, int, bool, duration, time, list, map, null
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Tag.self)
        guard container.allKeys.count == 1, let tag = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "expected one of the keys \(Tag.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        switch tag {
        case .string: self = .string(try container.decode(String.self, forKey: tag))
        case .int: self = .int(try container.decode(Int.self, forKey: tag))
        case .bool: self = .bool(try container.decode(Bool.self, forKey: tag))
        case .duration:
            let text = try container.decode(String.self, forKey: tag)
            guard let duration = RunbookDuration.parse(text) else {
                throw DecodingError.dataCorruptedError(forKey: tag, in: container, debugDescription: "'\(text)' is not a duration")
            }
            self = .duration(duration)
        case .time:
            let text = try container.decode(String.self, forKey: tag)
            guard let date = Value.parseTime(text) else {
                throw DecodingError.dataCorruptedError(forKey: tag, in: container, debugDescription: "'\(text)' is not an RFC 3339 time")
            }
            self = .time(date)
        case .list: self = .list(try container.decode([Value].self, forKey: tag))
        case .map: self = .map(try container.decode([String: Value].self, forKey: tag))
        case .null: self = .null
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Tag.self)
        switch self {
        case let .string(text): try container.encode(text, forKey: .string)
        case let .int(number): try container.encode(number, forKey: .int)
        case let .bool(flag): try container.encode(flag, forKey: .bool)
        case let .duration(duration):
            // Negative durations (from time arithmetic) have no runbook notation; store them as zero.
            try container.encode(RunbookDuration.format(max(duration, .zero)), forKey: .duration)
        case let .time(date): try container.encode(JournalTime.format(date), forKey: .time)
        case let .list(items): try container.encode(items, forKey: .list)
        case let .map(entries): try container.encode(entries, forKey: .map)
        case .null: try container.encode(true, forKey: .null)
        }
    }
}

/// Times in the journal: RFC 3339 in UTC with milliseconds, rounded, so that reading a time
/// and writing it again gives the same text.
enum JournalTime {
    static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = Date(timeIntervalSince1970: TimeInterval(milliseconds.floorDivided(by: 1000)))
        let whole = Value.timeFormat.format(seconds)
        return String(whole.dropLast()) + String(format: ".%03dZ", Int(milliseconds - milliseconds.floorDivided(by: 1000) * 1000))
    }

    static func parse(_ text: String) -> Date? { Value.parseTime(text) }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
