/// One token of an expression.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case literal(Value)
        case name([String])
        case symbol(String)
        case end

        /// How the token is named in messages.
        var shown: String {
            switch self {
            case let .literal(value): return value.type == .string ? "'\(value)'" : "\(value)"
            case let .name(path): return "'\(path.joined(separator: "."))'"
            case let .symbol(symbol): return "'\(symbol)'"
            case .end: return "the end of the expression"
            }
        }
    }

    var kind: Kind
    var location: SourceLocation
}

/// Splits expression text into tokens, tracking each token's line and column.
enum ExpressionLexer {
    private static let symbols = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "+", "-", "(", ")", ","]

    static func tokens(in text: String, at start: SourceLocation) throws(ExpressionError) -> [Token] {
        let scalars = Array(text.unicodeScalars)
        var tokens: [Token] = []
        var position = 0
        var location = start
        var parentheses = 0

        func move(to newPosition: Int) {
            location = location.advanced(over: Substring(String(String.UnicodeScalarView(scalars[position..<newPosition]))))
            position = newPosition
        }

        while position < scalars.count {
            let scalar = scalars[position]
            if scalar.properties.isWhitespace {
                move(to: position + 1)
                continue
            }
            let tokenStart = location
            // Stop reading here rather than build a tree too deep to walk (see ExpressionParser.maxTokens).
            if tokens.count == ExpressionParser.maxTokens {
                throw ExpressionError(
                    "the expression is longer than \(ExpressionParser.maxTokens) values, names and operators; "
                        + "expected a shorter one (compute parts in earlier steps, or split the condition)", at: tokenStart)
            }
            if scalar == "'" {
                let (value, end) = try readString(scalars, from: position, at: tokenStart)
                tokens.append(Token(kind: .literal(.string(value)), location: tokenStart))
                move(to: end)
            } else if scalar == "\"" {
                throw ExpressionError("found '\"'; strings in expressions use single quotes, e.g. 'text'", at: tokenStart)
            } else if isDigit(scalar) {
                var end = position
                while end < scalars.count, isNameCharacter(scalars[end]) { end += 1 }
                let word = String(String.UnicodeScalarView(scalars[position..<end]))
                if let number = Int(word) {
                    tokens.append(Token(kind: .literal(.int(number)), location: tokenStart))
                } else if word.unicodeScalars.allSatisfy(isDigit) {
                    throw ExpressionError("the integer \(word) is out of range; expected at most \(Int.max)", at: tokenStart)
                } else {
                    switch RunbookDuration.read(word) {
                    case let .success(duration):
                        tokens.append(Token(kind: .literal(.duration(duration)), location: tokenStart))
                    case .failure(.tooLong):
                        throw ExpressionError("the duration \(word) is too long; expected \(RunbookDuration.Failure.tooLong.expected)", at: tokenStart)
                    case .failure(.malformed):
                        throw ExpressionError("'\(word)' is neither a number nor a duration; expected e.g. 3, 30s, 5m or 1h30m", at: tokenStart)
                    }
                }
                move(to: end)
            } else if isNameStart(scalar) {
                let (path, end) = readName(scalars, from: position)
                if end < scalars.count, scalars[end] == "." {
                    // `params.` or `steps.x.` with nothing usable after the dot.
                    let written = path.joined(separator: ".")
                    let expected = switch path {
                    case ["params"]: "a param name after 'params.', e.g. params.region"
                    case ["env"]: "a variable name after 'env.', e.g. env.HOME"
                    default: "a name after '\(written).'"
                    }
                    move(to: end)
                    throw ExpressionError("expected \(expected)", at: location)
                }
                tokens.append(Token(kind: nameToken(path), location: tokenStart))
                move(to: end)
            } else if let symbol = symbols.first(where: { matches($0, scalars, at: position) }) {
                // Parentheses are counted here too, so 5,000 of them are called too deep rather than too long.
                if symbol == "(" {
                    parentheses += 1
                    if parentheses > ExpressionParser.maxNesting { throw ExpressionParser.tooDeep(at: tokenStart) }
                } else if symbol == ")" {
                    parentheses -= 1
                }
                tokens.append(Token(kind: .symbol(symbol), location: tokenStart))
                move(to: position + symbol.unicodeScalars.count)
            } else if scalar == "=" || scalar == "&" || scalar == "|" {
                throw ExpressionError("found '\(scalar)'; expected '\(scalar)\(scalar)'", at: tokenStart)
            } else {
                throw ExpressionError("unexpected character '\(scalar)'", at: tokenStart)
            }
        }
        tokens.append(Token(kind: .end, location: location))
        return tokens
    }

    private static func nameToken(_ path: [String]) -> Token.Kind {
        guard path.count == 1 else { return .name(path) }
        switch path[0] {
        case "true": return .literal(.bool(true))
        case "false": return .literal(.bool(false))
        case "null": return .literal(.null)
        default: return .name(path)
        }
    }

    /// A single-quoted string; `''` inside stands for one quote, as in YAML.
    private static func readString(_ scalars: [Unicode.Scalar], from start: Int, at location: SourceLocation) throws(ExpressionError) -> (String, Int) {
        var text = String.UnicodeScalarView()
        var position = start + 1
        while position < scalars.count {
            if scalars[position] == "'" {
                if position + 1 < scalars.count, scalars[position + 1] == "'" {
                    text.append("'")
                    position += 2
                    continue
                }
                return (String(text), position + 1)
            }
            text.append(scalars[position])
            position += 1
        }
        throw ExpressionError("string is not closed; expected a closing single quote", at: location)
    }

    /// A dotted name. A `-` joins two name characters (`latest-backup`) and is otherwise an operator.
    private static func readName(_ scalars: [Unicode.Scalar], from start: Int) -> ([String], Int) {
        var path: [String] = []
        var position = start
        while true {
            var segment = String.UnicodeScalarView()
            while position < scalars.count {
                let scalar = scalars[position]
                if isNameCharacter(scalar) {
                    segment.append(scalar)
                    position += 1
                } else if scalar == "-", !segment.isEmpty, position + 1 < scalars.count, isNameCharacter(scalars[position + 1]) {
                    segment.append(scalar)
                    position += 1
                } else {
                    break
                }
            }
            path.append(String(segment))
            guard position + 1 < scalars.count, scalars[position] == ".", isNameStart(scalars[position + 1]) else { break }
            position += 1
        }
        return (path, position)
    }

    private static func matches(_ symbol: String, _ scalars: [Unicode.Scalar], at position: Int) -> Bool {
        let wanted = Array(symbol.unicodeScalars)
        guard position + wanted.count <= scalars.count else { return false }
        return Array(scalars[position..<position + wanted.count]) == wanted
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool { isNameStart(scalar) || isDigit(scalar) }
}
