import DRBookYAML
import Yams

/// Reads Yams nodes into plain values, collecting a diagnostic with a position for everything unexpected.
///
/// Reading never stops at the first problem: the reader records it, returns
/// nil for that piece, and the caller carries on, so one lint run shows
/// everything that is wrong.
struct YAMLReader {
    let file: String
    let source: SourceText
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String, text: String) {
        self.file = file
        self.source = SourceText(text)
    }

    struct Entry {
        var key: String
        var keyLocation: SourceLocation
        var value: Node
    }

    mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    mutating func error(at location: SourceLocation, _ message: String) {
        diagnostics.append(.error(at: location, message))
    }

    func location(of node: Node) -> SourceLocation {
        guard let mark = node.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    /// The entries of a mapping, or nil (and a diagnostic) when `node` is something else.
    mutating func mapping(_ node: Node, _ what: String) -> [Entry]? {
        guard let mapping = node.mapping else {
            error(at: location(of: node), "\(what) is \(shape(of: node)); expected a mapping of keys to values")
            return nil
        }
        var entries: [Entry] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                error(at: location(of: key), "\(what) has a key that is \(shape(of: key)); expected a plain name")
                continue
            }
            entries.append(Entry(key: name, keyLocation: location(of: key), value: value))
        }
        return entries
    }

    /// Reports every key that is not in `allowed`; typos are the commonest runbook mistake.
    mutating func checkKeys(_ entries: [Entry], allowed: [String], in what: String) {
        for entry in entries where !allowed.contains(entry.key) {
            let hint = NameSuggestion.hint(for: entry.key, among: allowed)
            error(at: entry.keyLocation, "\(what) has unknown key '\(entry.key)'\(hint); expected one of: \(allowed.joined(separator: ", "))")
        }
    }

    mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard let sequence = node.sequence else {
            error(at: location(of: node), "\(what) is \(shape(of: node)); expected a list")
            return nil
        }
        return Array(sequence)
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            error(at: location(of: node), "\(what) is \(shape(of: node)); expected a string")
            return nil
        }
        return scalar.string
    }

    mutating func int(_ node: Node, _ what: String) -> Int? {
        guard case let .int(number)? = plainValue(node) else {
            error(at: location(of: node), "\(what) is \(describe(node)); expected an integer")
            return nil
        }
        return number
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard case let .bool(flag)? = plainValue(node) else {
            error(at: location(of: node), "\(what) is \(describe(node)); expected true or false")
            return nil
        }
        return flag
    }

    mutating func duration(_ node: Node, _ what: String) -> Duration? {
        switch node.scalar.map({ RunbookDuration.read($0.string) }) ?? .failure(.malformed) {
        case let .success(duration):
            return duration
        case let .failure(failure):
            error(at: location(of: node), "\(what) is \(describe(node)); expected \(failure.expected)")
            return nil
        }
    }

    mutating func stringList(_ node: Node, _ what: String) -> [String]? {
        guard let items = sequence(node, what) else { return nil }
        return items.compactMap { string($0, "an item of \(what)") }
    }

    /// A scalar as drbook types it. Only unquoted scalars are typed, and only
    /// by the obvious spellings: `yes` stays the string "yes", unlike YAML 1.1.
    func plainValue(_ node: Node) -> Value? {
        guard let scalar = node.scalar else { return nil }
        guard scalar.style == .plain || scalar.style == .any else { return .string(scalar.string) }
        switch scalar.string {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null", "~", "": return .null
        default: return Int(scalar.string).map(Value.int) ?? .string(scalar.string)
        }
    }

    /// A scalar, list or map under `with:` or a profile, with `${{ }}` expressions parsed.
    mutating func templateValue(_ node: Node, _ what: String) -> TemplateValue? {
        let at = location(of: node)
        switch node {
        case .scalar:
            guard case let .string(text)? = plainValue(node) else { return plainValue(node).map { .literal($0, at) } }
            do {
                return .template(try Template.parse(text, at: at, locator: source.find))
            } catch {
                report(error.diagnostic)
                return nil
            }
        case let .sequence(items):
            return .list(items.compactMap { templateValue($0, what) }, at)
        case .mapping:
            guard let entries = mapping(node, what) else { return nil }
            return .map(entries.compactMap { entry in
                templateValue(entry.value, "'\(entry.key)' in \(what)").map {
                    TemplateValue.Entry(key: Located(entry.key, at: entry.keyLocation), value: $0)
                }
            }, at)
        case .alias:
            error(at: at, "\(what) is a YAML alias; expected a value written out")
            return nil
        }
    }

    /// "a list", "a mapping", "the string 'x'" — what the reader actually wrote.
    func describe(_ node: Node) -> String {
        guard let value = plainValue(node) else { return shape(of: node) }
        switch value {
        case let .string(text): return "'\(text)'"
        case .null: return "empty"
        default: return "\(value.type.withArticle) (\(value))"
        }
    }

    private func shape(of node: Node) -> String {
        switch node {
        case .scalar: return "a single value"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }
}

extension YAMLReader {
    /// Parses YAML text into its root node, or a diagnostic at the place the syntax broke.
    static func compose(_ text: String, file: String) throws(RunbookError) -> Node? {
        do {
            try YAMLExpansionLimit.check(text)
        } catch {
            throw RunbookError([.error(at: SourceLocation(file: file, line: error.line, column: error.column), error.message, fix: error.fix)])
        }
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw RunbookError([diagnostic(for: error, file: file)])
        } catch {
            throw RunbookError([.error(at: SourceLocation(file: file, line: 1, column: 1), "invalid YAML: \(error)")])
        }
    }

    private static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return .error(at: at(mark), "invalid YAML: \(problem)\(during)")
        case let .reader(problem, offset, value, yaml):
            // A byte YAML does not allow (a control character, say): offset counts characters.
            let start = SourceLocation(file: file, line: 1, column: 1)
            let location = offset.map { start.advanced(over: yaml.prefix($0)) } ?? start
            return .error(at: location, "not YAML text: \(problem) (character code \(value))",
                          fix: "give a runbook file (YAML text); check that this is not a binary file")
        case let .duplicatedKeysInMapping(duplicates, context):
            let names = Set(duplicates).sorted().map { "'\($0)'" }.joined(separator: ", ")
            return .error(at: at(context.mark), "invalid YAML: key \(names) appears more than once in one mapping; expected each key once")
        default:
            return .error(at: SourceLocation(file: file, line: 1, column: 1), "invalid YAML: \(error)")
        }
    }
}
