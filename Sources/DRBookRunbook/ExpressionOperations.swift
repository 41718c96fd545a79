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

    func apply(_ lhs: Value, _ rhs: Value) -> Value {
        switch (self, lhs, rhs) {
        case let (.and, .bool(a), .bool(b)): return .bool(a && b)
        case let (.or, .bool(a), .bool(b)): return .bool(a || b)
        case (.equal, _, _): return .bool(lhs == rhs)
        case (.notEqual, _, _): return .bool(lhs != rhs)
        case let (_, .int(a), .int(b)):
            switch self {
            case .plus: return .int(a &+ b)
            case .minus: return .int(a &- b)
            default: return .bool(compare(a, b))
            }
        case let (_, .duration(a), .duration(b)):
            switch self {
            case .plus: return .duration(a + b)
            case .minus: return .duration(a - b)
            default: return .bool(compare(a, b))
            }
        case let (_, .time(a), .time(b)):
            if self == .minus { return .duration(.seconds(a.timeIntervalSince(b))) }
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

    /// Calls the function on arguments whose count and types have been checked.
    func call(_ arguments: [Value], now: Date, at location: SourceLocation) throws(ExpressionError) -> Value {
        switch (self, arguments.first) {
        case (.now, _):
            return .time(now)
        case let (.duration, .string(text)?):
            guard let duration = RunbookDuration.parse(text) else {
                throw ExpressionError("duration('\(text)') is not a duration; expected e.g. '30s', '5m' or '1h30m'", at: location)
            }
            return .duration(duration)
        case let (.duration, value?):
            return value
        case let (.age, .time(date)?):
            return .duration(.seconds(now.timeIntervalSince(date)))
        case let (.age, .string(text)?):
            guard let date = Value.parseTime(text) else {
                throw ExpressionError("age('\(text)'): not an RFC 3339 time; expected e.g. '2026-01-31T02:17:00Z'", at: location)
            }
            return .duration(.seconds(now.timeIntervalSince(date)))
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
