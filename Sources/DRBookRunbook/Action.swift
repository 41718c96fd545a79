import Foundation

/// A built-in step type: what it declares about itself, then what it does.
///
/// An action is the only glue between the engine and a system (Velero,
/// Kubernetes, a webhook). The engine knows actions only through this
/// protocol: it evaluates a step's inputs, converts them to the declared
/// types, asks for confirmation when the action mutates, and journals
/// everything the action reports through its `ActionContext`.
///
/// Actions are values: the module that defines them builds each one with
/// whatever clients it needs and hands the instances to an `ActionRegistry`.
public protocol Action: Sendable {
    /// Name, inputs, outputs, whether it mutates, doc text: the single source for lint, `drbook show` and docs/actions.md.
    static var descriptor: ActionDescriptor { get }

    /// Does the work. Inputs have their declared types; outputs must use declared names.
    /// Throw an `ActionError` to fail the step with a message and a fix.
    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs

    /// What running it would touch, one line per object ("delete PVC monitoring/prometheus-db-0").
    /// Shown to the operator before a mutating step runs and printed by --dry-run; it must not do I/O.
    func plan(_ inputs: ActionInputs) -> [String]

    /// The read-only checks that must pass before the step is confirmed or run (objects exist,
    /// permissions, traps such as live pods on a volume about to be replaced), or nil when the
    /// action has none for these inputs. Building it must not do I/O; running it may.
    ///
    /// The engine runs it before the step's confirmation and in --dry-run, and every preflight
    /// whose inputs are known at run start before the first question of the run; a blocking
    /// finding stops the run before the step. See docs/runbook-format.md, "Preflight".
    func preflight(_ inputs: ActionInputs) -> Preflight?
}

extension Action {
    /// Read-only actions touch nothing.
    public func plan(_ inputs: ActionInputs) -> [String] { [] }

    /// Most actions have nothing to check beyond what their run checks anyway.
    public func preflight(_ inputs: ActionInputs) -> Preflight? { nil }

    public var descriptor: ActionDescriptor { Self.descriptor }
}

/// A step's inputs after templates are evaluated and each value converted to its declared type.
public struct ActionInputs: Sendable, Equatable {
    public var values: [String: Value]

    public init(_ values: [String: Value] = [:]) {
        self.values = values
    }

    public subscript(name: String) -> Value? {
        guard let value = values[name], value != .null else { return nil }
        return value
    }

    public func string(_ name: String) -> String? {
        if case let .string(text)? = self[name] { return text }
        return nil
    }

    public func int(_ name: String) -> Int? {
        if case let .int(number)? = self[name] { return number }
        return nil
    }

    public func bool(_ name: String) -> Bool? {
        if case let .bool(flag)? = self[name] { return flag }
        return nil
    }

    public func duration(_ name: String) -> Duration? {
        if case let .duration(duration)? = self[name] { return duration }
        return nil
    }

    public func time(_ name: String) -> Date? {
        if case let .time(date)? = self[name] { return date }
        return nil
    }

    public func list(_ name: String) -> [Value]? {
        if case let .list(items)? = self[name] { return items }
        return nil
    }

    /// A string input the action cannot do without; the error names the input.
    public func requiredString(_ name: String) throws(ActionError) -> String {
        guard let text = string(name) else {
            throw ActionError("input '\(name)' is missing", fix: "give it under with: in the runbook")
        }
        return text
    }
}

/// What an action produced, by output name.
public struct ActionOutputs: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public var values: [String: Value]

    public init(_ values: [String: Value] = [:]) {
        self.values = values
    }

    public init(dictionaryLiteral elements: (String, Value)...) {
        self.values = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    public subscript(name: String) -> Value? {
        get { values[name] }
        set { values[name] = newValue }
    }
}

/// Why an action failed: what went wrong, on which object, and what to do about it.
public struct ActionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The object or place concerned ("Secret flux-system/variables-cluster", a redacted URL), if any.
    public var subject: String?
    /// The command or doc section that fixes it.
    public var fix: String?
    /// Only a person can answer it and nobody could be asked (no terminal, no flag): the run
    /// stops as needing confirmation (exit 3, resumable), not as a failure of the platform.
    public var needsOperator: Bool

    public init(_ message: String, subject: String? = nil, fix: String? = nil, needsOperator: Bool = false) {
        self.message = message
        self.subject = subject
        self.fix = fix
        self.needsOperator = needsOperator
    }

    public var description: String {
        subject.map { "\($0): \(message)" } ?? message
    }
}

/// An action's read-only checks for one step, described without I/O and run by the engine
/// before anyone is asked to confirm the step.
///
/// Its work may read anything (the cluster, the store) but must change nothing: it also runs
/// in --dry-run, and before steps the operator may still decline.
public struct Preflight: Sendable {
    /// What it checks, one line each, for the journal, the console and the dry-run plan
    /// ("backup daily-full-20261124 is synced to the cluster").
    public var checks: [String]
    /// Returns what it found; an empty list, or only warnings, lets the step go ahead. A thrown
    /// `ActionError` is a blocking finding (a check that cannot be made has not passed);
    /// cancellation ends the run as interrupted.
    public var run: @Sendable (ActionContext) async throws -> [PreflightFinding]

    public init(checks: [String], run: @escaping @Sendable (ActionContext) async throws -> [PreflightFinding]) {
        self.checks = checks
        self.run = run
    }
}

/// One thing a preflight found: what, on which object, and what to do about it.
public struct PreflightFinding: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable {
        /// The step must not run: the run stops before it.
        case blocking
        /// Shown and journaled; the step may still run.
        case warning
    }

    public var severity: Severity
    public var message: String
    /// The object or place concerned ("PVC monitoring/prometheus-db-0"), if any.
    public var subject: String?
    /// The command or doc section that fixes it.
    public var fix: String?

    public init(_ severity: Severity, _ message: String, subject: String? = nil, fix: String? = nil) {
        self.severity = severity
        self.message = message
        self.subject = subject
        self.fix = fix
    }

    public static func blocking(_ message: String, subject: String? = nil, fix: String? = nil) -> PreflightFinding {
        PreflightFinding(.blocking, message, subject: subject, fix: fix)
    }

    public static func warning(_ message: String, subject: String? = nil, fix: String? = nil) -> PreflightFinding {
        PreflightFinding(.warning, message, subject: subject, fix: fix)
    }

    /// The same words an `ActionError` would show: "subject: message".
    public var description: String {
        subject.map { "\($0): \(message)" } ?? message
    }
}
