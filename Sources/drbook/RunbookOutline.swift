import DRBookRunbook
import Foundation

/// What `drbook show` tells about a runbook without running it: each param with its type,
/// default and description; each step with its condition, parallel group, doc link, what it
/// checks first and, for a step that changes things, what it touches.
struct RunbookOutline: Encodable {
    struct Param: Encodable {
        var name: String
        var type: String
        /// enum params: the values allowed.
        var values: [String]?
        var required: Bool
        var secret: Bool
        /// As written: a literal, or `${{ platform.… }}`; nil when there is none.
        var defaultValue: String?
        var description: String?
    }

    struct Step: Encodable {
        var id: String
        var title: String
        var action: String
        var summary: String?
        var doc: String?
        /// The `when:` condition as written back from the runbook.
        var when: String?
        /// The parallel group's title ("parallel" when untitled).
        var parallelGroup: String?
        var destructive: Bool
        var mutates: Bool
        /// For a step that changes things: what it touches, when its inputs are known before
        /// the run; else the inputs it will be decided from.
        var touches: [String]
        var preflight: [String]
    }

    var name: String
    var title: String
    var doc: String?
    var tags: [String]
    var params: [Param]
    var steps: [Step]
    var cleanup: [Step]

    init(_ runbook: Runbook, registry: ActionRegistry) {
        name = runbook.metadata.name
        title = runbook.metadata.title
        doc = runbook.metadata.doc.map { "docs/\($0.value)" }
        tags = runbook.metadata.tags
        params = runbook.params.map { param in
            var values: [String]?
            if case let .enum(allowed) = param.kind { values = allowed }
            let fromPlatform = param.platformDefault.map { "${{ platform.\($0.value.joined(separator: ".")) }}" }
            return Param(name: param.name, type: param.kind.name, values: values, required: param.required && param.defaultValue == nil && fromPlatform == nil,
                         secret: param.secret, defaultValue: param.secret ? nil : param.defaultValue.map { Self.written($0.value) } ?? fromPlatform,
                         description: param.description)
        }
        var main: [Step] = []
        for node in runbook.steps {
            switch node {
            case let .step(step): main.append(Self.describe(step, group: nil, registry))
            case let .parallel(group): main += group.steps.map { Self.describe($0, group: group.title ?? "parallel", registry) }
            }
        }
        steps = main
        cleanup = runbook.cleanup.map { Self.describe($0, group: nil, registry) }
    }

    /// A default as a runbook would write it: an empty string shows as "".
    private static func written(_ value: Value) -> String {
        if case .string("") = value { return "\"\"" }
        return value.description
    }

    private static func describe(_ step: DRBookRunbook.Step, group: String?, _ registry: ActionRegistry) -> Step {
        let descriptor = registry.descriptor(of: step.uses.value)
        let mutates = descriptor?.mutates == true
        let known = constantInputs(of: step, registry)
        var touches: [String] = []
        if mutates || step.destructive {
            if let known, let action = registry[step.uses.value] {
                touches = action.plan(known)
            } else {
                // Only the run can tell: show the inputs it will be decided from, as written.
                let templated = step.with.filter { !$0.value.expressions.isEmpty }
                touches = ["as its inputs say when the run reaches it: " + templated.map { "\($0.name.value) = \($0.value)" }.joined(separator: "; ")]
            }
        }
        let preflight = known.flatMap { registry[step.uses.value]?.preflight($0)?.checks } ?? []
        return Step(id: step.id.value, title: step.title, action: step.uses.value, summary: descriptor?.summary,
                    doc: step.doc.map { "docs/\($0.value)" }, when: step.when?.description, parallelGroup: group,
                    destructive: step.destructive, mutates: mutates, touches: touches, preflight: preflight)
    }

    /// The step's inputs when they are all written out (no expressions): describing a plan or a
    /// preflight does no I/O, so show can ask the action.
    private static func constantInputs(of step: DRBookRunbook.Step, _ registry: ActionRegistry) -> ActionInputs? {
        guard let action = registry[step.uses.value] else { return nil }
        var values: [String: Value] = [:]
        for input in step.with {
            guard let constant = input.value.constantValue, let spec = type(of: action).descriptor.input(named: input.name.value),
                case let .success(value) = ValueConversion.convert(constant, to: spec.type)
            else { return nil }
            values[input.name.value] = value
        }
        return ActionInputs(values)
    }

    var text: String {
        var lines = ["\(name): \(title)"]
        if let doc { lines.append("Doc: \(doc)") }
        if !tags.isEmpty { lines.append("Tags: \(tags.joined(separator: ", "))") }
        if !params.isEmpty {
            lines.append("")
            lines.append("Params:")
            for param in params {
                let type = param.values.map { "one of \($0.joined(separator: "|"))" } ?? param.type
                let value = param.secret ? "secret" : param.defaultValue.map { "default \($0)" } ?? (param.required ? "required" : "optional")
                lines.append("  \(param.name)  (\(type), \(value))" + (param.description.map { "  \($0)" } ?? ""))
            }
        }
        lines.append("")
        lines.append("Steps:")
        lines += Self.lines(steps)
        if !cleanup.isEmpty {
            lines.append("")
            lines.append("Cleanup (runs however the run ends: passed, failed, Ctrl-C, or on the resume after a crash):")
            lines += Self.lines(cleanup)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func lines(_ steps: [Step]) -> [String] {
        var lines: [String] = []
        var group: String?
        for (index, step) in steps.enumerated() {
            if step.parallelGroup != group {
                group = step.parallelGroup
                if let group { lines.append("  In parallel (\(group)):") }
            }
            let indent = step.parallelGroup == nil ? "  " : "    "
            let marks = [step.destructive ? "destructive" : nil, step.mutates ? "mutates" : nil].compactMap { $0 }
            lines.append("\(indent)\(index + 1). \(step.id): \(step.title)  [\(step.action)\(marks.isEmpty ? "" : ", " + marks.joined(separator: ", "))]")
            if let when = step.when { lines.append("\(indent)   when: \(when)") }
            if let doc = step.doc { lines.append("\(indent)   doc: \(doc)") }
            if let summary = step.summary { lines.append("\(indent)   \(summary)") }
            for touched in step.touches { lines.append("\(indent)   touches: \(touched)") }
            for check in step.preflight { lines.append("\(indent)   preflight: \(check)") }
        }
        return lines
    }
}
