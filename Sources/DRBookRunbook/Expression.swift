/// The syntax tree of one `${{ … }}` expression. Every node knows where it was written.
///
/// The language is deliberately small: literals, references to params, env
/// and earlier steps' outputs, comparisons, boolean logic, `+`/`-` on ints,
/// durations and times, and a fixed set of functions. No loops, no
/// assignment, no user functions — a runbook states checks, it is not a program.
public indirect enum Expression: Sendable, Equatable {
    case literal(Value, SourceLocation)
    /// A dotted path such as `params.region` or `steps.backup.outputs.name`.
    case reference(Reference)
    case unary(UnaryOperator, Expression, SourceLocation)
    case binary(BinaryOperator, Expression, Expression, SourceLocation)
    case call(String, [Expression], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case let .literal(_, location), let .unary(_, _, location),
            let .binary(_, _, _, location), let .call(_, _, location):
            return location
        case let .reference(reference):
            return reference.location
        }
    }

    /// Every reference in the expression, in the order written.
    public var references: [Reference] {
        switch self {
        case .literal: return []
        case let .reference(reference): return [reference]
        case let .unary(_, operand, _): return operand.references
        case let .binary(_, lhs, rhs, _): return lhs.references + rhs.references
        case let .call(_, arguments, _): return arguments.flatMap(\.references)
        }
    }
}

/// A reference as written (`steps.backup.outputs.name`) and where.
public struct Reference: Sendable, Equatable {
    public var path: [String]
    public var location: SourceLocation

    public var text: String { path.joined(separator: ".") }

    /// What the reference points at, once its shape has been checked.
    public enum Target: Sendable, Equatable {
        case param(String)
        case env(String)
        case stepOutput(step: String, output: String)
    }

    /// The target, or a message saying what shape was expected.
    public var target: Result<Target, ReferenceShapeError> {
        switch path.first {
        case "params" where path.count == 2: return .success(.param(path[1]))
        case "env" where path.count == 2: return .success(.env(path[1]))
        case "steps" where path.count == 4 && path[2] == "outputs":
            return .success(.stepOutput(step: path[1], output: path[3]))
        case "params": return .failure(ReferenceShapeError(message: "'\(text)' is not a param reference; expected params.<name>"))
        case "env": return .failure(ReferenceShapeError(message: "'\(text)' is not an env reference; expected env.<NAME>"))
        case "steps": return .failure(ReferenceShapeError(message: "'\(text)' is not a step output reference; expected steps.<id>.outputs.<name>"))
        default:
            return .failure(ReferenceShapeError(message: "unknown name '\(text)'; expected params.<name>, env.<NAME> or steps.<id>.outputs.<name>"))
        }
    }
}

public struct ReferenceShapeError: Error, Sendable, Equatable {
    public var message: String
}

public enum UnaryOperator: String, Sendable {
    case not = "!"
    case negate = "-"
}

public enum BinaryOperator: String, Sendable, CaseIterable {
    case or = "||"
    case and = "&&"
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case plus = "+"
    case minus = "-"
}
