import ArgumentParser
import DRBookActions
import DRBookRunbook
import DRBookText
import Foundation

struct ActionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actions",
        abstract: "The built-in actions a runbook step can use.",
        discussion: "With --markdown, prints docs/actions.md, generated from the action registry."
    )

    @Flag(help: "Print the Markdown reference (docs/actions.md).")
    var markdown = false

    func run() throws {
        let registry = BuiltinActions.registry()
        if markdown {
            print(ActionReference.markdown(registry), terminator: "")
            return
        }
        let rows = registry.names.compactMap(registry.descriptor(of:)).map { descriptor in
            [descriptor.name, descriptor.mutates ? "yes" : "no", descriptor.summary]
        }
        print(TextTable(["ACTION", "MUTATES", "SUMMARY"], rows).render())
    }
}

/// docs/actions.md, rendered from the registry so it cannot drift from the code.
enum ActionReference {
    static func markdown(_ registry: ActionRegistry) -> String {
        var text = """
        # Actions

        The built-in step types, generated from the action registry by `drbook actions --markdown`.
        Do not edit by hand: a test fails when this file and the code disagree.

        """
        for descriptor in registry.names.compactMap(registry.descriptor(of:)) {
            text += "\n## `\(descriptor.name)`\n\n\(descriptor.summary)\n\n"
            text += "Mutates: \(descriptor.mutates ? "yes — steps using it must be `destructive: true`" : "no")"
            text += descriptor.mutates ? (descriptor.idempotent ? " (idempotent)" : " (not idempotent)") + ".\n\n" : ".\n\n"
            if !descriptor.doc.isEmpty { text += descriptor.doc.trimmingCharacters(in: .whitespacesAndNewlines) + "\n\n" }
            if !descriptor.inputs.isEmpty {
                text += "| input | type | required | description |\n| --- | --- | --- | --- |\n"
                for input in descriptor.inputs {
                    let secret = input.secret ? " (secret)" : ""
                    text += "| `\(input.name)` | \(input.type)\(secret) | \(input.required ? "yes" : "no") | \(cell(input.description)) |\n"
                }
                text += "\n"
            }
            if !descriptor.outputs.isEmpty {
                text += "| output | type | description |\n| --- | --- | --- |\n"
                for output in descriptor.outputs {
                    let secret = output.secret ? " (secret)" : ""
                    text += "| `\(output.name)` | \(output.type)\(secret) | \(cell(output.description)) |\n"
                }
                text += "\n"
            }
        }
        return text
    }

    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
