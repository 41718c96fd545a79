/// An expression written back as a runbook author would write it (`params.mode == 'drill'`),
/// for `drbook show`: the tree keeps no source text, and what a condition reads matters more
/// than its spelling.
extension Expression: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .literal(value, _):
            if case let .string(text) = value { return "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
            if case .null = value { return "null" }
            return value.description
        case let .reference(reference):
            return reference.text
        case let .unary(op, operand, _):
            return op.rawValue + operand.grouped(below: 5)
        case let .binary(op, lhs, rhs, _):
            // Chains are left-associative: the left side needs parentheses only when it binds looser,
            // the right side also when it binds the same (a - (b - c)). Comparisons do not chain at all.
            let left = op.precedence == BinaryOperator.equal.precedence ? op.precedence + 1 : op.precedence
            return "\(lhs.grouped(below: left)) \(op.rawValue) \(rhs.grouped(below: op.precedence + 1))"
        case let .call(name, arguments, _):
            return "\(name)(\(arguments.map(\.description).joined(separator: ", ")))"
        }
    }

    /// In parentheses when it is a binary expression binding looser than `precedence`.
    private func grouped(below precedence: Int) -> String {
        guard case let .binary(own, _, _, _) = self, own.precedence < precedence else { return description }
        return "(\(description))"
    }
}

extension BinaryOperator {
    /// How tightly it binds, as the parser reads it: || < && < comparisons < + and -.
    var precedence: Int {
        switch self {
        case .or: return 1
        case .and: return 2
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return 3
        case .plus, .minus: return 4
        }
    }
}

extension Template: CustomStringConvertible {
    /// As written, with each expression between `${{ }}`.
    public var description: String {
        segments.map { segment in
            switch segment {
            case let .text(part): return part
            case let .expression(expression): return "${{ \(expression) }}"
            }
        }.joined()
    }
}

extension TemplateValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .template(template): return template.description
        case let .literal(value, _): return value.description
        case let .list(items, _): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case let .map(entries, _): return "{" + entries.map { "\($0.key.value): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}
