/// What an action declares about itself: the single source for lint, `drbook show` and docs/actions.md.
///
/// The engine only sees descriptors; the actions themselves live in another
/// module and register their descriptors with the catalog they build.
public struct ActionDescriptor: Sendable {
    public var name: String
    public var summary: String
    public var inputs: [InputSpec]
    public var outputs: [OutputSpec]
    /// Whether running it changes anything outside drbook. Mutating steps must be marked destructive and are skipped by --dry-run.
    public var mutates: Bool
    /// Whether running it twice has the same effect as once, so resume may repeat it without asking.
    public var idempotent: Bool
    /// Set for steps only a person can complete (`manual`, `confirm`): the engine asks on the
    /// terminal, or takes the answer from a flag, before the action runs.
    public var operatorStep: OperatorStep?
    /// Longer Markdown text for docs/actions.md.
    public var doc: String

    public init(
        name: String,
        summary: String,
        inputs: [InputSpec] = [],
        outputs: [OutputSpec] = [],
        mutates: Bool = false,
        idempotent: Bool = true,
        operatorStep: OperatorStep? = nil,
        doc: String = ""
    ) {
        self.name = name
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.mutates = mutates
        self.idempotent = idempotent
        self.operatorStep = operatorStep
        self.doc = doc
    }

    public func input(named name: String) -> InputSpec? { inputs.first { $0.name == name } }

    public func output(named name: String) -> OutputSpec? { outputs.first { $0.name == name } }
}

/// What a step only a person can complete asks of them, and which input answers in advance.
public struct OperatorStep: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Work done by hand; the operator says when it is done (`--assume-manual-done` says so in advance).
        case workByHand
        /// A yes/no question (`--yes` answers yes in advance).
        case question
    }

    public var kind: Kind
    /// A bool input that, when true on the step, gives the answer in advance (`assumeDone`, `assumeYes`).
    public var answeredByInput: String

    public init(_ kind: Kind, answeredByInput: String) {
        self.kind = kind
        self.answeredByInput = answeredByInput
    }
}

public struct InputSpec: Sendable {
    public var name: String
    public var type: ValueType
    public var required: Bool
    public var secret: Bool
    public var description: String

    public init(_ name: String, _ type: ValueType, required: Bool = false, secret: Bool = false, description: String = "") {
        self.name = name
        self.type = type
        self.required = required
        self.secret = secret
        self.description = description
    }
}

public struct OutputSpec: Sendable {
    public var name: String
    public var type: ValueType
    public var secret: Bool
    public var description: String

    public init(_ name: String, _ type: ValueType, secret: Bool = false, description: String = "") {
        self.name = name
        self.type = type
        self.secret = secret
        self.description = description
    }
}

/// The actions a runbook may use, by name.
public struct ActionCatalog: Sendable {
    private var descriptors: [String: ActionDescriptor]

    /// Later descriptors with the same name replace earlier ones.
    public init(_ descriptors: [ActionDescriptor]) {
        self.descriptors = Dictionary(descriptors.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    public subscript(name: String) -> ActionDescriptor? { descriptors[name] }

    public var names: [String] { descriptors.keys.sorted() }

    public var all: [ActionDescriptor] { names.compactMap { descriptors[$0] } }
}
