import Foundation

/// The types a runbook value can have. Params, action inputs and action outputs are declared with these.
public enum ValueType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case string, int, bool, duration, time, list, map, null
    /// Accepts anything; for inputs such as `exec`'s captured output that have no single type.
    case any

    public var description: String { rawValue }

    /// "a string", "an int" — for messages.
    var withArticle: String {
        switch self {
        case .int, .any: return "an \(rawValue)"
        default: return "a \(rawValue)"
        }
    }
}

/// A value at run time: a param, an input, an output, or what an expression evaluates to.
public enum Value: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)
    case duration(Duration)
    case time(Date)
    case list([Value])
    case map([String: Value])
    case null

    public var type: ValueType {
        switch self {
        case .string: return .string
        case .int: return .int
        case .bool: return .bool
        case .duration: return .duration
        case .time: return .time
        case .list: return .list
        case .map: return .map
        case .null: return .null
        }
    }

    /// The text this value becomes when interpolated into a string.
    public var description: String {
        switch self {
        case let .string(text): return text
        case let .int(number): return String(number)
        case let .bool(flag): return flag ? "true" : "false"
        case let .duration(duration): return RunbookDuration.format(duration)
        case let .time(date): return Value.timeFormat.format(date)
        case let .list(items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case let .map(entries):
            return "{" + entries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .null: return ""
        }
    }

    /// Times are written and read as RFC 3339 in UTC, the form Kubernetes and Velero use.
    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt)

    static func parseTime(_ text: String) -> Date? {
        if let date = try? timeFormat.parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text)
    }
}

/// Turning a value into the type a param or input declares.
///
/// One set of rules serves the linter (for literals), the profile and flag
/// resolution (where everything starts as text) and, later, the executor.
public enum ValueConversion {
    /// `value` as `type`, or a sentence saying why it cannot be.
    public static func convert(_ value: Value, to type: ValueType) -> Result<Value, ConversionFailure> {
        if type == .any || value.type == type { return .success(value) }
        switch (value, type) {
        case (_, .string) where ![.list, .map].contains(value.type):
            return .success(.string(value.description))
        case let (.string(text), .int):
            if let number = Int(text) { return .success(.int(number)) }
            return .failure(ConversionFailure(found: value, expected: "an integer such as 3"))
        case let (.string(text), .bool):
            if text == "true" { return .success(.bool(true)) }
            if text == "false" { return .success(.bool(false)) }
            return .failure(ConversionFailure(found: value, expected: "true or false"))
        case let (.string(text), .duration):
            switch RunbookDuration.read(text) {
            case let .success(duration): return .success(.duration(duration))
            case .failure(.tooLong): return .failure(ConversionFailure(found: value, expected: RunbookDuration.Failure.tooLong.expected))
            case .failure(.malformed): return .failure(ConversionFailure(found: value, expected: "a duration such as 30s, 5m or 1h30m"))
            }
        case let (.string(text), .time):
            if let date = Value.parseTime(text) { return .success(.time(date)) }
            return .failure(ConversionFailure(found: value, expected: "an RFC 3339 time such as 2026-01-31T02:17:00Z"))
        default:
            return .failure(ConversionFailure(found: value, expected: type.withArticle))
        }
    }

    /// Whether a value whose type is only known statically can become `target`:
    /// `.never` is a certain mismatch; `.maybe` depends on the text at run time.
    public static func compatibility(of source: ValueType, with target: ValueType) -> Compatibility {
        if source == target || target == .any || source == .any || source == .null { return .always }
        switch (source, target) {
        case (.list, _), (.map, _), (_, .list), (_, .map): return .never
        case (_, .string): return .always
        case (.string, _): return .maybe
        default: return .never
        }
    }

    public enum Compatibility: Sendable { case always, maybe, never }
}

/// Why a value could not be converted: what was found and what was expected.
public struct ConversionFailure: Error, Sendable, Equatable {
    public var found: Value
    public var expected: String

    /// "'abc' (a string); expected an integer such as 3"
    public var message: String {
        let shown = found.type == .string ? "'\(found.description)'" : found.description
        return "\(shown) (\(found.type.withArticle)); expected \(expected)"
    }
}
