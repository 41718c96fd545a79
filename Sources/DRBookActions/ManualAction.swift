import DRBookRunbook
import Foundation

/// `manual`: a step a person does by hand, described in Markdown.
struct ManualAction: Action {
    static let descriptor = ActionDescriptor(
        name: "manual",
        summary: "A step the operator does by hand; it passes only when they have said it is done.",
        inputs: [
            InputSpec("instructions", .string, required: true, description: "What to do, in Markdown: commands to run, what to check."),
            InputSpec("assumeDone", .bool,
                      description: "Treat the step as done without asking (for unattended runs, after doing it beforehand). Default: false."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Shows the instructions (they go to the console and the journal) and needs the \
            operator to say the work is done. An action cannot ask the terminal itself, so \
            today the step **fails with "needs an operator"** unless the step is given \
            `assumeDone: true` — which the run's `--assume-manual-done` option is meant to \
            set for every `manual` step. Do the work, then resume the run (`drbook resume \
            RUN_ID`) with that option; the passed step's log says the completion was assumed, \
            never that someone confirmed it. Under `--dry-run` the instructions are shown and \
            the step passes.

            `manual` is read-only as far as drbook can tell: whatever the instructions change, \
            the operator changes. Put such a step after the checks that tell whether it is needed.
            """)

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let instructions = try inputs.requiredString("instructions")
        for line in instructions.split(separator: "\n", omittingEmptySubsequences: false) { context.log(String(line)) }
        if context.dryRun {
            context.log("(dry run: the operator would be asked to do this)")
            return [:]
        }
        guard inputs.bool("assumeDone") == true else {
            throw ActionError("needs an operator: \(Self.headline(instructions))",
                              subject: "step \(context.stepID)",
                              fix: "do what the instructions above say, then resume the run with --assume-manual-done (assumeDone: true on this step)")
        }
        context.log("assumed done (assumeDone: true); no operator confirmed it in this run")
        return [:]
    }

    /// The first non-empty line, without Markdown heading marks, shortened.
    static func headline(_ markdown: String) -> String {
        let first = markdown.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? ""
        let plain = first.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
        return plain.count > 120 ? plain.prefix(120) + "…" : plain
    }
}
