import Foundation
import Yams

/// A document of a SOPS file as plain values with their positions, read once from Yams's
/// nodes so the rest of the module never touches the parser.
public indirect enum SopsTree: Sendable {
    public struct Entry: Sendable {
        public var key: String
        public var keyPosition: SourcePosition
        public var value: SopsTree
    }

    case mapping([Entry], SourcePosition)
    case sequence([SopsTree], SourcePosition)
    /// A scalar's text; `isNull` for `~`, `null` and an absent value.
    case scalar(String, isNull: Bool, SourcePosition)

    public var position: SourcePosition {
        switch self {
        case let .mapping(_, position), let .sequence(_, position), let .scalar(_, _, position): position
        }
    }

    public var entries: [Entry]? {
        if case let .mapping(entries, _) = self { return entries }
        return nil
    }

    public subscript(key: String) -> SopsTree? {
        entries?.first { $0.key == key }?.value
    }

    public var text: String? {
        if case let .scalar(text, isNull, _) = self, !isNull { return text }
        return nil
    }

    /// The node at `path`, or nil when any step of it is not there.
    public func node(at path: SopsKeyPath) -> SopsTree? {
        var node = self
        for component in path.components {
            switch (component, node) {
            case let (.key(name), .mapping(entries, _)):
                guard let next = entries.first(where: { $0.key == name }) else { return nil }
                node = next.value
            case let (.index(index), .sequence(items, _)):
                guard items.indices.contains(index) else { return nil }
                node = items[index]
            default:
                return nil
            }
        }
        return node
    }

    /// Every scalar leaf with the key names above it (list items take their parent's path, as in sops).
    public func leaves(under names: [String] = [], path: SopsKeyPath = SopsKeyPath([])) -> [(names: [String], path: SopsKeyPath, leaf: SopsTree)] {
        switch self {
        case let .mapping(entries, _):
            return entries.flatMap { entry in
                entry.value.leaves(under: names + [entry.key], path: SopsKeyPath(path.components + [.key(entry.key)]))
            }
        case let .sequence(items, _):
            return items.enumerated().flatMap { index, item in
                item.leaves(under: names, path: SopsKeyPath(path.components + [.index(index)]))
            }
        case .scalar:
            return [(names, path, self)]
        }
    }

    /// Converts a Yams node; aliases are followed by Yams already, so none remain here.
    static func from(_ node: Node, file: String) -> SopsTree {
        let position = SourcePosition(file: file, line: node.mark?.line, column: node.mark?.column)
        switch node {
        case let .mapping(mapping):
            return .mapping(mapping.map { key, value in
                Entry(key: key.string ?? key.scalar?.string ?? "",
                      keyPosition: SourcePosition(file: file, line: key.mark?.line, column: key.mark?.column),
                      value: from(value, file: file))
            }, position)
        case let .sequence(sequence):
            return .sequence(sequence.map { from($0, file: file) }, position)
        case let .scalar(scalar):
            return .scalar(scalar.string, isNull: node.null != nil, position)
        case .alias:
            return .scalar("", isNull: true, position)
        }
    }
}
