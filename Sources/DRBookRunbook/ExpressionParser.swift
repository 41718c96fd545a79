/// Reads the text between `${{` and `}}` into an `Expression`.
///
/// Grammar, loosest binding first:
///
///     or         = and ( "||" and )*
///     and        = comparison ( "&&" comparison )*
///     comparison = additive ( ("==" | "!=" | "<" | "<=" | ">" | ">=") additive )?
///     additive   = unary ( ("+" | "-") unary )*
///     unary      = ("!" | "-") unary | primary
///     primary    = literal | name ( "(" arguments ")" )? | "(" or ")"
///
/// A name is dotted (`steps.backup.outputs.name`); a `-` between two name
/// characters belongs to the name (`steps.latest-backup`), so subtraction is
/// written with spaces (`now() - duration('1h')`).
///
/// The parser, the type checker and the evaluator recurse over the tree, so its size is
/// bounded where it is read: at most `maxTokens` tokens (which bounds a flat chain such as
/// `a && b && …`) and at most `maxNesting` parentheses, calls and prefix operators inside
/// one another. Real conditions use a few dozen tokens and three or four levels.
public struct ExpressionParser {
    public static let maxTokens = 256
    public static let maxNesting = 32

    private var tokens: [Token]
    private var index = 0
    private var nesting = 0

    /// Parses `text`, whose first character sits at `start`.
    public static func parse(_ text: String, at start: SourceLocation) throws(ExpressionError) -> Expression {
        var parser = ExpressionParser(tokens: try ExpressionLexer.tokens(in: text, at: start))
        let expression = try parser.parseOr()
        let next = parser.peek
        if next.kind != .end {
            throw ExpressionError("unexpected \(next.kind.shown) after the end of the expression; expected an operator or '}}'", at: next.location)
        }
        return expression
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    private var peek: Token { tokens[index] }

    private mutating func advance() -> Token {
        defer { if index < tokens.count - 1 { index += 1 } }
        return tokens[index]
    }

    private mutating func parseOr() throws(ExpressionError) -> Expression {
        var lhs = try parseAnd()
        while peek.kind == .symbol("||") {
            let location = advance().location
            lhs = .binary(.or, lhs, try parseAnd(), location)
        }
        return lhs
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expression {
        var lhs = try parseComparison()
        while peek.kind == .symbol("&&") {
            let location = advance().location
            lhs = .binary(.and, lhs, try parseComparison(), location)
        }
        return lhs
    }

    private static let comparisons: [String: BinaryOperator] = [
        "==": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    private mutating func parseComparison() throws(ExpressionError) -> Expression {
        let lhs = try parseAdditive()
        guard case let .symbol(symbol) = peek.kind, let op = Self.comparisons[symbol] else { return lhs }
        let location = advance().location
        let rhs = try parseAdditive()
        if case let .symbol(next) = peek.kind, Self.comparisons[next] != nil {
            throw ExpressionError("comparisons cannot be chained; expected '&&' or '||' between them", at: peek.location)
        }
        return .binary(op, lhs, rhs, location)
    }

    private mutating func parseAdditive() throws(ExpressionError) -> Expression {
        var lhs = try parseUnary()
        while case let .symbol(symbol) = peek.kind, symbol == "+" || symbol == "-" {
            let location = advance().location
            lhs = .binary(symbol == "+" ? .plus : .minus, lhs, try parseUnary(), location)
        }
        return lhs
    }

    private mutating func parseUnary() throws(ExpressionError) -> Expression {
        if case let .symbol(symbol) = peek.kind, symbol == "!" || symbol == "-" {
            let location = advance().location
            try enter(at: location)
            defer { nesting -= 1 }
            return .unary(symbol == "!" ? .not : .negate, try parseUnary(), location)
        }
        return try parsePrimary()
    }

    /// One level deeper: a '(', a call's arguments or a prefix operator.
    private mutating func enter(at location: SourceLocation) throws(ExpressionError) {
        nesting += 1
        guard nesting <= Self.maxNesting else { throw Self.tooDeep(at: location) }
    }

    static func tooDeep(at location: SourceLocation) -> ExpressionError {
        ExpressionError("parentheses, calls and '!' or '-' are nested more than \(maxNesting) levels deep here; expected a flatter expression",
                        at: location)
    }

    private mutating func parsePrimary() throws(ExpressionError) -> Expression {
        let token = advance()
        switch token.kind {
        case let .literal(value):
            return .literal(value, token.location)
        case let .name(path):
            guard peek.kind == .symbol("(") else {
                return .reference(Reference(path: path, location: token.location))
            }
            guard path.count == 1 else {
                throw ExpressionError("'\(path.joined(separator: "."))' cannot be called; functions have plain names such as age(...)", at: token.location)
            }
            _ = advance()
            try enter(at: token.location)
            defer { nesting -= 1 }
            return .call(path[0], try parseArguments(), token.location)
        case .symbol("("):
            try enter(at: token.location)
            defer { nesting -= 1 }
            let inner = try parseOr()
            guard peek.kind == .symbol(")") else {
                throw ExpressionError("found \(peek.kind.shown); expected ')' to close the '(' at column \(token.location.column)", at: peek.location)
            }
            _ = advance()
            return inner
        default:
            throw ExpressionError("found \(token.kind.shown); expected a value, a name such as params.x, or a function call", at: token.location)
        }
    }

    private mutating func parseArguments() throws(ExpressionError) -> [Expression] {
        var arguments: [Expression] = []
        if peek.kind == .symbol(")") {
            _ = advance()
            return arguments
        }
        while true {
            arguments.append(try parseOr())
            let token = advance()
            if token.kind == .symbol(")") { return arguments }
            guard token.kind == .symbol(",") else {
                throw ExpressionError("found \(token.kind.shown) in an argument list; expected ',' or ')'", at: token.location)
            }
        }
    }
}

/// A problem in an expression: what and where.
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation

    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }

    public var description: String { "\(location): \(message)" }

    public var diagnostic: Diagnostic { .error(at: location, message) }
}
