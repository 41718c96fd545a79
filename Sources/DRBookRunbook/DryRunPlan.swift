/// What a run would do, as printed by `--dry-run`: every step and cleanup step, its inputs
/// (secrets redacted), what each mutating step would touch, and what each preflight found.
///
/// Dry-run policy: actions that change nothing do run (so later steps' inputs
/// and `when` conditions can be shown with real values); actions that mutate
/// never run, but their preflights (read-only by contract) do. Steps whose
/// inputs need a mutating step's outputs are listed with a note instead of
/// values. Cleanup steps are planned after the steps, as a run reaching its
/// end would run them. No journal is written.
public struct DryRunPlan: Sendable, Equatable {
    public var runbook: String
    public var entries: [Entry]

    public struct Entry: Sendable, Equatable {
        public enum Disposition: String, Sendable, Equatable {
            /// A mutating step: not run; `touches` says what it would change.
            case wouldChange = "would change"
            /// A read-only step, run for real.
            case checked
            /// A read-only step that ran and failed.
            case failed
            /// Its `when` is false.
            case skipped
            /// Its inputs or `when` need values that only a real run has.
            case unresolved
            /// Its preflight found a reason not to run it; a real run would stop before it.
            case blocked = "blocked by its preflight"
        }

        /// A step's preflight in the dry run: what it checked and what it found.
        public struct PreflightResult: Sendable, Equatable {
            public var checks: [String]
            public var passed: Bool
            public var findings: [PreflightFinding]
        }

        public var stepID: String
        public var title: String
        public var action: String
        /// The parallel group's title, or "parallel" for an untitled group; nil for a step on its own.
        public var group: String?
        public var disposition: Disposition
        /// Each input as text, in name order; secret inputs are `[redacted]`.
        public var inputs: [(name: String, value: String)]
        public var touches: [String]
        public var note: String?
        /// A step of the runbook's `cleanup:` list.
        public var cleanup: Bool = false
        /// Nil when the step has no preflight, or it was not run (the step is skipped or unresolved).
        public var preflight: PreflightResult? = nil

        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.stepID == rhs.stepID && lhs.title == rhs.title && lhs.action == rhs.action && lhs.group == rhs.group
                && lhs.disposition == rhs.disposition && lhs.touches == rhs.touches && lhs.note == rhs.note
                && lhs.inputs.map(\.name) == rhs.inputs.map(\.name) && lhs.inputs.map(\.value) == rhs.inputs.map(\.value)
                && lhs.cleanup == rhs.cleanup && lhs.preflight == rhs.preflight
        }
    }

    public func entry(_ stepID: String) -> Entry? { entries.first { $0.stepID == stepID } }

    /// The plan as plain text, one block per step.
    public var lines: [String] {
        var lines = ["Dry run of \(runbook): mutating steps do not run; read-only checks and preflights do."]
        var inCleanup = false
        for entry in entries {
            if entry.cleanup, !inCleanup {
                lines.append("Cleanup, run however the run ends:")
                inCleanup = true
            }
            let group = entry.group.map { " [\($0)]" } ?? ""
            lines.append("- \(entry.stepID): \(entry.title) (\(entry.action))\(group) — \(entry.disposition.rawValue)")
            for input in entry.inputs { lines.append("    \(input.name): \(input.value)") }
            for touched in entry.touches { lines.append("    would touch: \(touched)") }
            if let preflight = entry.preflight {
                for check in preflight.checks { lines.append("    preflight checks: \(check)") }
                lines.append("    preflight: \(preflight.passed ? "passed" : "failed")")
                for finding in preflight.findings {
                    lines.append("      \(finding.severity.rawValue): \(finding.description)")
                    if let fix = finding.fix { lines.append("      fix: \(fix)") }
                }
            }
            if let note = entry.note { lines.append("    note: \(note)") }
        }
        return lines
    }
}

/// The plan for scripts (`drbook run --dry-run -o json`): the same entries as the text, inputs
/// as a map (secrets already `[redacted]`).
extension DryRunPlan: Encodable {
    private enum Key: String, CodingKey { case runbook, dryRun, steps }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(runbook, forKey: .runbook)
        try container.encode(true, forKey: .dryRun)
        try container.encode(entries, forKey: .steps)
    }
}

extension DryRunPlan.Entry: Encodable {
    private enum Key: String, CodingKey { case id, title, action, group, disposition, inputs, touches, note, cleanup, preflight }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(stepID, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(action, forKey: .action)
        try container.encodeIfPresent(group, forKey: .group)
        try container.encode(disposition.rawValue, forKey: .disposition)
        try container.encode(Dictionary(inputs.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }), forKey: .inputs)
        try container.encode(touches, forKey: .touches)
        try container.encodeIfPresent(note, forKey: .note)
        try container.encode(cleanup, forKey: .cleanup)
        try container.encodeIfPresent(preflight, forKey: .preflight)
    }
}

extension DryRunPlan.Entry.PreflightResult: Encodable {}
