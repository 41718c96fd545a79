// Yams keeps libyaml as an internal module of its package; its event parser is the only
// way to see aliases before Yams resolves them into a tree.
internal import CYaml

/// Refuses YAML whose aliases would expand it past a bound, or whose nesting would
/// overflow a recursive reader, before any tree is built.
///
/// Yams resolves each alias into a copy of the anchored node, so nine anchors of nine
/// aliases each ("billion laughs") become 387 million nodes for whoever walks the tree
/// next, and a key that is such an alias is hashed in full while Yams composes. Counting
/// the nodes an alias stands for on libyaml's events costs one pass over the text as
/// written, whatever the aliases would expand to.
public enum YAMLExpansionLimit {
    /// The most nodes all aliases of a file may stand for together. Hand-written runbooks,
    /// kubeconfigs and SOPS files reuse a few small blocks, far below it.
    public static let aliasedNodes = 10_000
    /// The deepest nesting of lists and mappings; drbook's files use fewer than 15 levels.
    public static let depth = 100

    /// Throws at the alias or the collection that goes past a bound. Syntax errors are left
    /// for Yams to report with its own message: this check stops at the first one.
    public static func check(_ text: String) throws(YAMLExpansionError) {
        var copy = text
        let problem: YAMLExpansionError? = copy.withUTF8 { bytes in scan(bytes) }
        if let problem { throw problem }
    }

    private struct Collection {
        var anchor: String?
        var nodes = 1
    }

    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> YAMLExpansionError? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)

        // Nodes each anchor stands for, counting what its own aliases stand for; a later
        // anchor of the same name replaces an earlier one, as in YAML.
        var anchored: [String: Int] = [:]
        var open: [Collection] = []
        var aliased = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_ALIAS_EVENT:
                let name = string(event.data.alias.anchor) ?? ""
                let nodes = anchored[name] ?? 1
                aliased += nodes
                if aliased > aliasedNodes {
                    return YAMLExpansionError(
                        "the alias *\(name) brings the nodes YAML aliases stand for in this file past \(aliasedNodes) (it stands for \(nodes)); "
                            + "nested anchors like these expand exponentially", line: line, column: column,
                        fix: "write the values out instead of through aliases, or reuse fewer nested anchors")
                }
                if !open.isEmpty { open[open.count - 1].nodes += nodes }
            case YAML_SCALAR_EVENT:
                if let name = string(event.data.scalar.anchor) { anchored[name] = 1 }
                if !open.isEmpty { open[open.count - 1].nodes += 1 }
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let anchor = event.type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                open.append(Collection(anchor: string(anchor)))
                if open.count > depth {
                    return YAMLExpansionError("lists and mappings are nested more than \(depth) levels deep here", line: line, column: column,
                                              fix: "flatten the structure; drbook's files need only a few levels")
                }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let closed = open.popLast() else { break }
                if let name = closed.anchor { anchored[name] = closed.nodes }
                if !open.isEmpty { open[open.count - 1].nodes += closed.nodes }
            default:
                break
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }
}

/// A YAML file over a bound of `YAMLExpansionLimit`: what and where (1-based line and column).
public struct YAMLExpansionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int
    /// What to do about it, for the callers' own error types.
    public var fix: String

    public init(_ message: String, line: Int, column: Int, fix: String) {
        self.message = message
        self.line = line
        self.column = column
        self.fix = fix
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
