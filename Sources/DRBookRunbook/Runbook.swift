/// A runbook as loaded from YAML (`apiVersion: drbook/v1`). See docs/runbook-format.md.
public struct Runbook: Sendable {
    public static let apiVersion = "drbook/v1"
    public static let kind = "Runbook"

    public var file: String
    /// As written; the loader accepts only `drbook/v1`.
    public var apiVersion: String
    public var kind: String?
    public var metadata: Metadata
    public var params: [ParamSpec]
    public var steps: [StepNode]
    /// Steps run one at a time on every way the run ends — passed, failed, stopped, Ctrl-C, and
    /// the next resume after a crash — each at most once per run (docs/runbook-format.md, "Cleanup").
    public var cleanup: [Step] = []

    public func param(named name: String) -> ParamSpec? {
        params.first { $0.name == name }
    }

    /// Every step of `steps:` in run order, parallel groups flattened, then the cleanup steps.
    public var allSteps: [Step] { mainSteps + cleanup }

    /// The steps of `steps:` in run order, parallel groups flattened; no cleanup steps.
    public var mainSteps: [Step] {
        steps.flatMap { node -> [Step] in
            switch node {
            case let .step(step): return [step]
            case let .parallel(group): return group.steps
            }
        }
    }

    public func isCleanup(_ stepID: String) -> Bool { cleanup.contains { $0.id.value == stepID } }

    public struct Metadata: Sendable {
        public var name: String
        public var title: String
        public var doc: Located<DocLink>?
        public var tags: [String]
        public var location: SourceLocation
    }
}

/// A link to a section of the DR documentation: `dr/alerting.md#restore-from-backup`, relative to docs/.
public struct DocLink: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var anchor: String?

    public init(path: String, anchor: String?) {
        self.path = path
        self.anchor = anchor
    }

    public init(parsing text: String) {
        if let hash = text.firstIndex(of: "#") {
            self.init(path: String(text[..<hash]), anchor: String(text[text.index(after: hash)...]))
        } else {
            self.init(path: text, anchor: nil)
        }
    }

    public var description: String { anchor.map { "\(path)#\($0)" } ?? path }
}

/// A runbook input, set by `--param`, the profile, or its default (in that order of precedence).
public struct ParamSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case string, int, bool, duration
        case `enum`([String])

        /// The value type a resolved param of this kind has; enums are strings.
        public var valueType: ValueType {
            switch self {
            case .string, .enum: return .string
            case .int: return .int
            case .bool: return .bool
            case .duration: return .duration
            }
        }

        public var name: String {
            switch self {
            case .string: return "string"
            case .int: return "int"
            case .bool: return "bool"
            case .duration: return "duration"
            case .enum: return "enum"
            }
        }
    }

    public var name: String
    public var kind: Kind
    /// Already converted to `kind`; nil when absent or invalid (the loader reported it).
    public var defaultValue: Located<Value>?
    /// A default the platform profile gives (`default: ${{ platform.namespaces.velero }}`):
    /// the path below `platform`, resolved when the run starts, so the runbook names no
    /// platform and serves every profile.
    public var platformDefault: Located<[String]>? = nil
    /// A param with no default is required unless it says `required: false`, in which case it is null.
    public var required: Bool
    public var description: String?
    /// Never printed, journaled or reported in clear.
    public var secret: Bool
    public var location: SourceLocation

    /// `raw` (from YAML, a flag or a profile) as this param's type, or why not.
    public func convert(_ raw: Value) -> Result<Value, ConversionFailure> {
        let converted = ValueConversion.convert(raw, to: kind.valueType)
        guard case let .enum(values) = kind, case let .success(.string(text)) = converted else { return converted }
        if values.contains(text) { return converted }
        return .failure(ConversionFailure(found: raw, expected: "one of: \(values.joined(separator: ", "))"))
    }
}

/// An element of a runbook's step list: one step, or a group of steps that run concurrently.
public enum StepNode: Sendable {
    case step(Step)
    case parallel(ParallelGroup)
}

/// Independent steps run together, at most `maxConcurrency` at a time.
public struct ParallelGroup: Sendable {
    public var title: String?
    public var maxConcurrency: Int?
    public var steps: [Step]
    public var location: SourceLocation
}

public struct Step: Sendable {
    public enum FailurePolicy: String, Sendable, CaseIterable {
        /// Stop the run: later steps assume this one succeeded.
        case abort
        /// Record the failure and go on: for checks whose verdict is reported, not relied on.
        case `continue`
    }

    public struct RetryPolicy: Sendable, Equatable {
        public var attempts: Int
        public var backoff: Duration
    }

    public var id: Located<String>
    public var title: String
    public var doc: Located<DocLink>?
    public var uses: Located<String>
    public var with: [Input]
    /// The step runs only when this evaluates to true.
    public var when: Expression?
    public var timeout: Duration?
    public var retry: RetryPolicy?
    public var onFailure: FailurePolicy
    /// The operator confirms before it runs; required for actions that mutate.
    public var destructive: Bool
    public var location: SourceLocation
    /// A cleanup step's: the steps whose effect it reverses (`flux.resume` undoes `flux.suspend`).
    /// When a run that already cleaned up is resumed, those steps run again before the rest, and
    /// this step runs again at the end: the resumed steps must not work on an undone state.
    public var undoes: [Located<String>] = []

    public struct Input: Sendable, Equatable {
        public var name: Located<String>
        public var value: TemplateValue
    }

    public func input(named name: String) -> Input? {
        with.first { $0.name.value == name }
    }
}
