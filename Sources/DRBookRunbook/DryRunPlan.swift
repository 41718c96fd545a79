/// What a run would do, as printed by `--dry-run`: every step, its inputs (secrets redacted),
/// and what each mutating step would touch.
///
/// Dry-run policy: actions that change nothing do run (so later steps' inputs
/// and `when` conditions can be shown with real values); actions that mutate
/// never run. Steps whose inputs need a mutating step's outputs are listed
/// with a note instead of values. No journal is written.
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

        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.stepID == rhs.stepID && lhs.title == rhs.title && lhs.action == rhs.action && lhs.group == rhs.group
                && lhs.disposition == rhs.disposition && lhs.touches == rhs.touches && lhs.note == rhs.note
                && lhs.inputs.map(\.name) == rhs.inputs.map(\.name) && lhs.inputs.map(\.value) == rhs.inputs.map(\.value)
        }
    }

    public func entry(_ stepID: String) -> Entry? { entries.first { $0.stepID == stepID } }

    /// The plan as plain text, one block per step.
    public var lines: [String] {
        var lines = ["Dry run of \(runbook): mutating steps do not run; read-only checks do."]
        for entry in entries {
            let group = entry.group.map { " [\($0)]" } ?? ""
            lines.append("- \(entry.stepID): \(entry.title) (\(entry.action))\(group) — \(entry.disposition.rawValue)")
            for input in entry.inputs { lines.append("    \(input.name): \(input.value)") }
            for touched in entry.touches { lines.append("    would touch: \(touched)") }
            if let note = entry.note { lines.append("    note: \(note)") }
        }
        return lines
    }
}
