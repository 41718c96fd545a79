import DRBookText
import Foundation

// The meaning of operators and functions, in one place, so the linter's
// static check and the evaluator can never disagree about what is allowed.

extension BinaryOperator {
    /// The result type for operands of these types, or nil when the operator does not apply to them.
    func resultType(_ lhs: ValueType, _ rhs: ValueType) -> ValueType? {
        switch self {
        case .or, .and:
            return lhs == .bool && rhs == .bool ? .bool : nil
        case .equal, .notEqual:
            return lhs == rhs || lhs == .null || rhs == .null || lhs == .any || rhs == .any ? .bool : nil
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            return lhs == rhs && [.int, .duration, .time].contains(lhs) ? .bool : nil
        case .plus:
            switch (lhs, rhs) {
            case (.int, .int): return .int
            case (.duration, .duration): return .duration
            case (.time, .duration), (.duration, .time): return .time
            default: return nil
            }
        case .minus:
            switch (lhs, rhs) {
            case (.int, .int): return .int
            case (.duration, .duration), (.time, .time): return .duration
            case (.time, .duration): return .time
            default: return nil
            }
        }
    }

    /// The operand types the operator accepts on either side, for checking one known side alone.
    var operandTypes: Set<ValueType> {
        switch self {
        case .or, .and: return [.bool]
        case .equal, .notEqual: return Set(ValueType.allCases)
        case .less, .lessOrEqual, .greater, .greaterOrEqual: return [.int, .duration, .time]
        case .plus, .minus: return [.int, .duration, .time]
        }
    }

    /// The type an expression using this operator has when an operand's type is not known statically.
    var resultTypeWithUnknownOperand: ValueType? {
        switch self {
        case .plus, .minus: return nil
        default: return .bool
        }
    }

    func mismatchMessage(_ lhs: ValueType, _ rhs: ValueType) -> String {
        switch self {
        case .or, .and:
            return "'\(rawValue)' needs two bools; found \(lhs.withArticle) and \(rhs.withArticle)"
        case .equal, .notEqual:
            return "'\(rawValue)' compares values of one type; found \(lhs.withArticle) and \(rhs.withArticle)"
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            return "'\(rawValue)' compares two ints, two durations or two times; found \(lhs.withArticle) and \(rhs.withArticle)"
        case .plus, .minus:
            return "'\(rawValue)' works on ints, durations, and times with durations; found \(lhs.withArticle) and \(rhs.withArticle)"
        }
    }

    /// The result, or an error at `location` when it leaves the range of ints or durations:
    /// `params.rpo + 9223372036854775807s` is refused rather than wrapped or trapped.
    func apply(_ lhs: Value, _ rhs: Value, at location: SourceLocation) throws(ExpressionError) -> Value {
        switch (self, lhs, rhs) {
        case let (.and, .bool(a), .bool(b)): return .bool(a && b)
        case let (.or, .bool(a), .bool(b)): return .bool(a || b)
        case (.equal, _, _): return .bool(lhs == rhs)
        case (.notEqual, _, _): return .bool(lhs != rhs)
        case let (_, .int(a), .int(b)):
            guard self == .plus || self == .minus else { return .bool(compare(a, b)) }
            let (result, overflow) = self == .plus ? a.addingReportingOverflow(b) : a.subtractingReportingOverflow(b)
            guard !overflow else {
                throw ExpressionError("\(a) \(rawValue) \(b) is outside the range of ints (\(Int.min) to \(Int.max))", at: location)
            }
            return .int(result)
        case let (_, .duration(a), .duration(b)):
            guard self == .plus || self == .minus else { return .bool(compare(a, b)) }
            return .duration(try Self.bounded(self == .plus ? a + b : a - b, "\(a.shown) \(rawValue) \(b.shown)", at: location))
        case let (_, .time(a), .time(b)):
            if self == .minus { return .duration(try Self.bounded(.seconds(a.timeIntervalSince(b)), "the difference of the two times", at: location)) }
            return .bool(compare(a, b))
        case let (.plus, .time(a), .duration(b)), let (.plus, .duration(b), .time(a)):
            return .time(a.addingTimeInterval(b.timeInterval))
        case let (.minus, .time(a), .duration(b)):
            return .time(a.addingTimeInterval(-b.timeInterval))
        default:
            // resultType(_:_:) rejected every other combination before we got here.
            preconditionFailure("\(rawValue) applied to \(lhs.type) and \(rhs.type)")
        }
    }

    /// `duration`, or an error naming `what` when it is longer than any duration drbook reads.
    static func bounded(_ duration: Duration, _ what: String, at location: SourceLocation) throws(ExpressionError) -> Duration {
        guard let duration = RunbookDuration.bounded(duration) else {
            throw ExpressionError("\(what) is longer than \(DurationText.longest), the longest duration drbook takes", at: location)
        }
        return duration
    }

    private func compare<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        default: preconditionFailure("\(rawValue) is not an ordering")
        }
    }
}

extension Duration {
    /// As a runbook writes it, for messages.
    var shown: String { RunbookDuration.format(self) }

    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The functions expressions may call. There are no others, and runbooks cannot define any.
public enum BuiltinFunction: String, Sendable, CaseIterable {
    /// `now()`: the current time.
    case now
    /// `duration('24h')`: a duration from text, e.g. a param.
    case duration
    /// `age(t)`: how long ago the time `t` was (now minus `t`); `t` may be an RFC 3339 string.
    case age
    /// `contains(haystack, needle)`: substring test, or membership in a list.
    case contains
    /// `startsWith(text, prefix)`.
    case startsWith

    /// The accepted types of each parameter.
    var parameters: [Set<ValueType>] {
        switch self {
        case .now: return []
        case .duration: return [[.string, .duration]]
        case .age: return [[.time, .string]]
        case .contains: return [[.string, .list], Set(ValueType.allCases)]
        case .startsWith: return [[.string], [.string]]
        }
    }

    var resultType: ValueType {
        switch self {
        case .now: return .time
        case .duration, .age: return .duration
        case .contains, .startsWith: return .bool
        }
    }

    var signature: String {
        switch self {
        case .now: return "now()"
        case .duration: return "duration(text)"
        case .age: return "age(time)"
        case .contains: return "contains(text or list, value)"
        case .startsWith: return "startsWith(text, prefix)"
        }
    }

    static var known: String { allCases.map(\.signature).joined(separator: ", ") }

    /// Checks the argument count; the message names the expected signature.
    func checkArity(_ count: Int, at location: SourceLocation) throws(ExpressionError) {
        guard count != parameters.count else { return }
        let expected = parameters.count == 1 ? "1 argument" : "\(parameters.count) arguments"
        throw ExpressionError("\(rawValue)() takes \(expected), found \(count); expected \(signature)", at: location)
    }

    func argumentMismatch(_ index: Int, found: ValueType) -> String {
        let accepted = parameters[index].map(\.withArticle).sorted().joined(separator: " or ")
        return "argument \(index + 1) of \(rawValue)() is \(found.withArticle); expected \(accepted) (\(signature))"
    }

    /// "duration('x') is not a duration; expected …", shared with the type checker's check of literals.
    static func durationMessage(_ text: String, _ failure: RunbookDuration.Failure) -> String {
        switch failure {
        case .malformed: return "duration('\(text)') is not a duration; expected e.g. '30s', '5m' or '1h30m'"
        case .tooLong: return "duration('\(text)') is too long; expected \(failure.expected)"
        }
    }

    /// Calls the function on arguments whose count and types have been checked.
    func call(_ arguments: [Value], now: Date, at location: SourceLocation) throws(ExpressionError) -> Value {
        switch (self, arguments.first) {
        case (.now, _):
            return .time(now)
        case let (.duration, .string(text)?):
            switch RunbookDuration.read(text) {
            case let .success(duration): return .duration(duration)
            case let .failure(failure): throw ExpressionError(Self.durationMessage(text, failure), at: location)
            }
        case let (.duration, value?):
            return value
        case let (.age, .time(date)?):
            return .duration(try BinaryOperator.bounded(.seconds(now.timeIntervalSince(date)), "age(\(Value.time(date)))", at: location))
        case let (.age, .string(text)?):
            guard let date = Value.parseTime(text) else {
                throw ExpressionError("age('\(text)'): not an RFC 3339 time; expected e.g. '2026-01-31T02:17:00Z'", at: location)
            }
            return .duration(try BinaryOperator.bounded(.seconds(now.timeIntervalSince(date)), "age('\(text)')", at: location))
        case let (.contains, .string(text)?):
            return .bool(text.contains(arguments[1].description))
        case let (.contains, .list(items)?):
            return .bool(items.contains(arguments[1]))
        case let (.startsWith, .string(text)?):
            return .bool(text.hasPrefix(arguments[1].description))
        default:
            preconditionFailure("\(rawValue) called with unchecked arguments")
        }
    }
}
