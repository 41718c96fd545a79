import DRBookRunbook
import Foundation

// The shapes of input the engine leaves to actions: items of a list, entries of a map,
// and regular expressions. Each failure names the input, so the operator knows which
// line of the runbook to correct.

extension ActionInputs {
    /// A list input whose items are all text (numbers and booleans are taken as written).
    func strings(_ name: String) throws(ActionError) -> [String]? {
        guard let items = list(name) else { return nil }
        return try items.enumerated().map { (index, item) throws(ActionError) in
            guard case let .success(.string(text)) = ValueConversion.convert(item, to: .string) else {
                throw ActionError("item \(index + 1) of input '\(name)' is \(item.type) \(item); expected text",
                                  fix: "write '\(name)' as a list of strings")
            }
            return text
        }
    }

    /// A list input whose items are all integers (or text that spells one).
    func ints(_ name: String) throws(ActionError) -> [Int]? {
        guard let items = list(name) else { return nil }
        return try items.enumerated().map { (index, item) throws(ActionError) in
            guard case let .success(.int(number)) = ValueConversion.convert(item, to: .int) else {
                throw ActionError("item \(index + 1) of input '\(name)' is '\(item)'; expected an integer",
                                  fix: "write '\(name)' as a list of integers, e.g. [0, 2]")
            }
            return number
        }
    }

    /// A map input whose values are all taken as text.
    func stringMap(_ name: String) throws(ActionError) -> [String: String]? {
        guard case let .map(entries)? = self[name] else { return nil }
        var result: [String: String] = [:]
        for (key, value) in entries {
            guard case let .success(.string(text)) = ValueConversion.convert(value, to: .string) else {
                throw ActionError("'\(key)' in input '\(name)' is \(value.type.rawValue); expected text",
                                  fix: "give each entry of '\(name)' a plain value")
            }
            result[key] = text
        }
        return result
    }

    /// A regular-expression input (Swift `Regex` syntax, which is PCRE-like), compiled;
    /// `^` and `$` match at line boundaries, as they would in grep.
    func pattern(_ name: String) throws(ActionError) -> TextPattern? {
        guard let source = string(name) else { return nil }
        do {
            return TextPattern(source: source, regex: try Regex(source).anchorsMatchLineEndings())
        } catch {
            throw ActionError("input '\(name)' is not a valid regular expression: \(error)",
                              fix: "correct the pattern '\(source)'; escape literal characters such as . ( [ with \\")
        }
    }
}

/// A compiled regular expression and the text it was written as, for messages.
struct TextPattern {
    var source: String
    var regex: Regex<AnyRegexOutput>

    /// Whether the pattern matches anywhere in `text`; `^` and `$` match at the start and end of each line.
    func matches(_ text: String) -> Bool { text.contains(regex) }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
