/// The actions a drbook build knows, by name: what the executor runs and what lint checks against.
///
/// The catalog the linter uses is derived from the registry, so the two can never disagree.
public struct ActionRegistry: Sendable {
    private var actions: [String: any Action]

    /// Later actions with the same name replace earlier ones.
    public init(_ actions: [any Action]) {
        self.actions = Dictionary(actions.map { (type(of: $0).descriptor.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    public subscript(name: String) -> (any Action)? { actions[name] }

    public func descriptor(of name: String) -> ActionDescriptor? {
        actions[name].map { type(of: $0).descriptor }
    }

    public var names: [String] { actions.keys.sorted() }

    /// The descriptors, for `RunbookLinter`, `drbook show` and docs/actions.md.
    public var catalog: ActionCatalog {
        ActionCatalog(actions.values.map { type(of: $0).descriptor })
    }
}
