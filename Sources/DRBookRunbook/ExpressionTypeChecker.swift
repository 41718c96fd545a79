/// Works out an expression's type before anything runs, reporting every misuse it can prove.
///
/// Types that depend on run time (an env variable's content, an `any`
/// output) are unknown (nil) and never cause an error on their own.
public struct ExpressionTypeChecker {
    /// Gives a reference's type (nil when unknown) or a message when it points nowhere valid.
    public typealias ReferenceResolver = (Reference) -> Result<ValueType?, ReferenceShapeError>

    private let resolveReference: ReferenceResolver
    public private(set) var diagnostics: [Diagnostic] = []

    public init(resolveReference: @escaping ReferenceResolver) {
        self.resolveReference = resolveReference
    }

    /// The static type of `expression`, nil when it depends on run time or could not be established.
    public mutating func type(of expression: Expression) -> ValueType? {
        switch expression {
        case let .literal(value, _):
            return value.type
        case let .reference(reference):
            switch resolveReference(reference) {
            case let .success(type): return type
            case let .failure(problem):
                diagnostics.append(.error(at: reference.location, problem.message))
                return nil
            }
        case let .unary(op, operand, location):
            let operandType = type(of: operand)
            let accepted: Set<ValueType> = op == .not ? [.bool] : [.int, .duration]
            if let operandType, operandType != .any, !accepted.contains(operandType) {
                let expected = op == .not ? "a bool" : "an int or a duration"
                diagnostics.append(.error(at: location, "'\(op.rawValue)' needs \(expected); found \(operandType.withArticle)"))
                return nil
            }
            return op == .not ? .bool : operandType
        case let .binary(op, lhs, rhs, location):
            return binaryType(op, type(of: lhs), type(of: rhs), at: location)
        case let .call(name, arguments, location):
            return callType(name, arguments, at: location)
        }
    }

    private mutating func binaryType(_ op: BinaryOperator, _ lhs: ValueType?, _ rhs: ValueType?, at location: SourceLocation) -> ValueType? {
        guard let lhs, let rhs, lhs != .any, rhs != .any else {
            for known in [lhs, rhs].compactMap({ $0 }) where known != .any && !op.operandTypes.contains(known) {
                diagnostics.append(.error(at: location, op.mismatchMessage(lhs ?? known, rhs ?? known)))
                return nil
            }
            return op.resultTypeWithUnknownOperand
        }
        guard let result = op.resultType(lhs, rhs) else {
            diagnostics.append(.error(at: location, op.mismatchMessage(lhs, rhs)))
            return nil
        }
        return result
    }

    private mutating func callType(_ name: String, _ arguments: [Expression], at location: SourceLocation) -> ValueType? {
        let argumentTypes = arguments.map { type(of: $0) }
        guard let function = BuiltinFunction(rawValue: name) else {
            diagnostics.append(.error(at: location, "unknown function '\(name)'; expected one of: \(BuiltinFunction.known)"))
            return nil
        }
        do {
            try function.checkArity(arguments.count, at: location)
        } catch {
            diagnostics.append(error.diagnostic)
            return function.resultType
        }
        for (index, argumentType) in argumentTypes.enumerated() {
            if let argumentType, argumentType != .any, !function.parameters[index].contains(argumentType) {
                diagnostics.append(.error(at: arguments[index].location, function.argumentMismatch(index, found: argumentType)))
            }
        }
        // A literal argument can be checked now rather than at 3 a.m.
        if function == .duration, case let .literal(.string(text), literalLocation) = arguments[0],
            case let .failure(failure) = RunbookDuration.read(text) {
            diagnostics.append(.error(at: literalLocation, BuiltinFunction.durationMessage(text, failure)))
        }
        return function.resultType
    }
}
