/// A path to one value in a SOPS file, such as `stringData.some_key`.
///
/// Accepted as written by people (`stringData.k`, `items[0].k`) or as sops writes it
/// (`["stringData"]["k"]`, `["items"][0]`); `sopsIndex` gives the form `sops --extract`
/// and `sops set` take. Key names containing a dot need the bracket form.
public struct SopsKeyPath: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Component: Sendable, Hashable, Codable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component]) {
        self.components = components
    }

    /// Parses either form; nil when the text is neither (the caller names the input in its error).
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        let parsed = trimmed.hasPrefix("[") ? Self.parseBrackets(trimmed) : Self.parseDotted(trimmed)
        guard let parsed, !parsed.isEmpty else { return nil }
        components = parsed
    }

    /// The map keys along the path, which sops's encryption rules look at (list indexes are not names).
    public var keyNames: [String] {
        components.compactMap { if case let .key(name) = $0 { name } else { nil } }
    }

    /// The last key name: `some_key` for `stringData.some_key`.
    public var leafName: String? { keyNames.last }

    /// `["stringData"]["k"]`, the form of `sops decrypt --extract` and `sops set`.
    public var sopsIndex: String {
        components.map { component in
            switch component {
            case let .key(name): "[\"\(name)\"]"
            case let .index(index): "[\(index)]"
            }
        }.joined()
    }

    /// `stringData.k` (or `items[0].k`), the form people write.
    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case let .key(name): text += (text.isEmpty ? "" : ".") + name
            case let .index(index): text += "[\(index)]"
            }
        }
        return text
    }

    private static func parseDotted(_ text: String) -> [Component]? {
        var components: [Component] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            let name = rest.prefix { $0 != "[" }
            guard !name.isEmpty else { return nil }
            components.append(.key(String(name)))
            rest = rest.dropFirst(name.count)
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]"),
                      let index = Int(rest[rest.index(after: rest.startIndex)..<close]), index >= 0 else { return nil }
                components.append(.index(index))
                rest = rest[rest.index(after: close)...]
            }
        }
        return components
    }

    /// sops's own grammar: `["key"]`, `['key']` or `[0]`; no escapes inside (sops has none).
    private static func parseBrackets(_ text: String) -> [Component]? {
        var components: [Component] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
            let inner = rest[rest.index(after: rest.startIndex)..<close]
            if let quote = inner.first, quote == "\"" || quote == "'" {
                guard inner.count >= 2, inner.last == quote else { return nil }
                components.append(.key(String(inner.dropFirst().dropLast())))
            } else {
                guard let index = Int(inner), index >= 0 else { return nil }
                components.append(.index(index))
            }
            rest = rest[rest.index(after: close)...]
        }
        return components
    }
}
