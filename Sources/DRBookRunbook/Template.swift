/// A string from a runbook with `${{ … }}` expressions in it.
///
/// A string that is exactly one expression evaluates to that expression's
/// typed value (`${{ params.retries }}` is an int); any other text around
/// expressions makes the result a string, with each value interpolated.
public struct Template: Sendable, Equatable {
    public enum Segment: Sendable, Equatable {
        case text(String)
        case expression(Expression)
    }

    public var segments: [Segment]
    public var location: SourceLocation

    /// Finds where an expression's raw text (`${{ … }}`) sits in the file, searching at or after a location.
    ///
    /// YAML quoting and folding can move text away from where a naive count
    /// from the scalar's start would put it, so the loader looks the text up
    /// in the file itself.
    public typealias Locator = (_ raw: String, _ searchFrom: SourceLocation) -> SourceLocation?

    public init(segments: [Segment], location: SourceLocation) {
        self.segments = segments
        self.location = location
    }

    /// Plain text with no expressions.
    public static func text(_ text: String, at location: SourceLocation) -> Template {
        Template(segments: text.isEmpty ? [] : [.text(text)], location: location)
    }

    public var expressions: [Expression] {
        segments.compactMap { if case let .expression(expression) = $0 { return expression } else { return nil } }
    }

    /// The text when there are no expressions at all.
    public var literalText: String? {
        var text = ""
        for segment in segments {
            guard case let .text(part) = segment else { return nil }
            text += part
        }
        return text
    }

    /// The expression when the template is exactly one, with nothing around it.
    public var singleExpression: Expression? {
        if segments.count == 1, case let .expression(expression) = segments[0] { return expression }
        return nil
    }

    public static func parse(_ text: String, at location: SourceLocation, locator: Locator? = nil) throws(ExpressionError) -> Template {
        var segments: [Segment] = []
        var rest = Substring(text)
        var searchFrom = location
        while let open = rest.range(of: "${{") {
            if open.lowerBound > rest.startIndex { segments.append(.text(String(rest[..<open.lowerBound]))) }
            let naiveStart = location.advanced(over: Substring(text)[..<open.lowerBound])
            guard let close = closingBraces(in: rest[open.upperBound...]) else {
                throw ExpressionError("expression is not closed; expected '}}'", at: naiveStart)
            }
            let raw = String(rest[open.lowerBound..<close.upperBound])
            let start = locator?(raw, searchFrom) ?? naiveStart
            let body = String(rest[open.upperBound..<close.lowerBound])
            guard !body.allSatisfy(\.isWhitespace) else {
                throw ExpressionError("empty expression; expected something between '${{' and '}}'", at: start)
            }
            segments.append(.expression(try ExpressionParser.parse(body, at: start.advanced(over: "${{"))))
            searchFrom = start.advanced(over: Substring(raw))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { segments.append(.text(String(rest))) }
        return Template(segments: segments, location: location)
    }

    /// The `}}` that ends an expression, skipping any inside single-quoted strings.
    private static func closingBraces(in text: Substring) -> Range<Substring.Index>? {
        var inString = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "'" {
                inString.toggle()
            } else if !inString, text[index...].hasPrefix("}}") {
                return index..<text.index(index, offsetBy: 2)
            }
            index = text.index(after: index)
        }
        return nil
    }

    public func evaluate(with evaluator: ExpressionEvaluator) throws(ExpressionError) -> Value {
        if let expression = singleExpression { return try evaluator.evaluate(expression) }
        var text = ""
        for segment in segments {
            switch segment {
            case let .text(part): text += part
            case let .expression(expression): text += try evaluator.evaluate(expression).description
            }
        }
        return .string(text)
    }
}

/// An action input as written under `with:`: a template, a plain YAML scalar, or a list or map of them.
public indirect enum TemplateValue: Sendable, Equatable {
    case template(Template)
    /// An unquoted YAML int, bool or null.
    case literal(Value, SourceLocation)
    case list([TemplateValue], SourceLocation)
    case map([Entry], SourceLocation)

    public struct Entry: Sendable, Equatable {
        public var key: Located<String>
        public var value: TemplateValue
    }

    public var location: SourceLocation {
        switch self {
        case let .template(template): return template.location
        case let .literal(_, location), let .list(_, location), let .map(_, location): return location
        }
    }

    /// Every expression inside, at any depth.
    public var expressions: [Expression] {
        switch self {
        case let .template(template): return template.expressions
        case .literal: return []
        case let .list(items, _): return items.flatMap(\.expressions)
        case let .map(entries, _): return entries.flatMap(\.value.expressions)
        }
    }

    /// The value when it contains no expressions, so it can be checked before the run.
    public var constantValue: Value? {
        switch self {
        case let .template(template): return template.literalText.map(Value.string)
        case let .literal(value, _): return value
        case let .list(items, _):
            let values = items.compactMap(\.constantValue)
            return values.count == items.count ? .list(values) : nil
        case let .map(entries, _):
            var values: [String: Value] = [:]
            for entry in entries {
                guard let value = entry.value.constantValue else { return nil }
                values[entry.key.value] = value
            }
            return .map(values)
        }
    }

    public func evaluate(with evaluator: ExpressionEvaluator) throws(ExpressionError) -> Value {
        switch self {
        case let .template(template): return try template.evaluate(with: evaluator)
        case let .literal(value, _): return value
        case let .list(items, _):
            var values: [Value] = []
            for item in items { values.append(try item.evaluate(with: evaluator)) }
            return .list(values)
        case let .map(entries, _):
            var values: [String: Value] = [:]
            for entry in entries { values[entry.key.value] = try entry.value.evaluate(with: evaluator) }
            return .map(values)
        }
    }
}
