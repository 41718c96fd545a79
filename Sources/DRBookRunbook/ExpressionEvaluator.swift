import Foundation

/// What an expression can see while a run is under way.
public struct ExpressionContext: Sendable {
    public var params: [String: Value]
    public var env: [String: String]
    /// Outputs of the steps that have finished, by step id.
    public var stepOutputs: [String: [String: Value]]
    /// The clock `now()` and `age()` read; tests pass a fixed one.
    public var now: @Sendable () -> Date

    public init(
        params: [String: Value] = [:],
        env: [String: String] = [:],
        stepOutputs: [String: [String: Value]] = [:],
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.params = params
        self.env = env
        self.stepOutputs = stepOutputs
        self.now = now
    }
}

/// Evaluates an expression to a typed value, checking types as it goes.
public struct ExpressionEvaluator: Sendable {
    public var context: ExpressionContext

    public init(context: ExpressionContext) {
        self.context = context
    }

    public func evaluate(_ expression: Expression) throws(ExpressionError) -> Value {
        switch expression {
        case let .literal(value, _):
            return value
        case let .reference(reference):
            return try resolve(reference)
        case let .unary(op, operand, location):
            let value = try evaluate(operand)
            switch (op, value) {
            case let (.not, .bool(flag)): return .bool(!flag)
            case let (.negate, .int(number)):
                guard number != .min else { throw ExpressionError("-(\(number)) is outside the range of ints (\(Int.min) to \(Int.max))", at: location) }
                return .int(-number)
            case let (.negate, .duration(duration)): return .duration(.zero - duration)
            default:
                let expected = op == .not ? "a bool" : "an int or a duration"
                throw ExpressionError("'\(op.rawValue)' needs \(expected); found \(value.type.withArticle)", at: location)
            }
        case let .binary(op, lhs, rhs, location):
            let left = try evaluate(lhs)
            // && and || do not evaluate their right side when the left decides: `when` guards rely on it.
            if op == .and, left == .bool(false) { return .bool(false) }
            if op == .or, left == .bool(true) { return .bool(true) }
            let right = try evaluate(rhs)
            guard op.resultType(left.type, right.type) != nil else {
                throw ExpressionError(op.mismatchMessage(left.type, right.type), at: location)
            }
            return try op.apply(left, right, at: location)
        case let .call(name, arguments, location):
            guard let function = BuiltinFunction(rawValue: name) else {
                throw ExpressionError("unknown function '\(name)'; expected one of: \(BuiltinFunction.known)", at: location)
            }
            try function.checkArity(arguments.count, at: location)
            var values: [Value] = []
            for (index, argument) in arguments.enumerated() {
                let value = try evaluate(argument)
                guard function.parameters[index].contains(value.type) else {
                    throw ExpressionError(function.argumentMismatch(index, found: value.type), at: argument.location)
                }
                values.append(value)
            }
            return try function.call(values, now: context.now(), at: location)
        }
    }

    private func resolve(_ reference: Reference) throws(ExpressionError) -> Value {
        switch reference.target {
        case let .failure(shape):
            throw ExpressionError(shape.message, at: reference.location)
        case let .success(.param(name)):
            guard let value = context.params[name] else {
                let known = context.params.keys.sorted().joined(separator: ", ")
                throw ExpressionError("unknown param '\(name)'; expected one of: \(known)", at: reference.location)
            }
            return value
        case let .success(.env(name)):
            // An unset variable is null rather than an error, so `env.X == null` can test for it.
            return context.env[name].map(Value.string) ?? .null
        case let .success(.stepOutput(step, output)):
            guard let outputs = context.stepOutputs[step] else {
                throw ExpressionError("step '\(step)' has no outputs yet; a step can only use outputs of steps that finished before it", at: reference.location)
            }
            // A declared output the step did not produce (it was skipped, say) reads as null.
            return outputs[output] ?? .null
        }
    }
}
