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
        operatorStep: OperatorStep(.workByHand, answeredByInput: "assumeDone"),
        doc: """
            Shows the instructions and waits for the operator to say the work is done. On a \
            terminal, drbook prints them before the step and asks; typing `done` lets the step \
            pass, anything else stops the run (exit 3, resumable). Without a terminal nobody can \
            answer, so the step **fails with "needs an operator"** — unless the run was started \
            (or resumed) with `--assume-manual-done`, or the step has `assumeDone: true`. The \
            operator's answer, or the flag's, is journaled as a decision, and the step's log \
            says whether an operator confirmed the work or it was assumed. Under `--dry-run` the instructions \
            are shown and the step passes.

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
        if inputs.bool("assumeDone") == true {
            context.log("assumed done (assumeDone: true); no operator confirmed it in this run")
            return [:]
        }
        switch context.operatorAnswer {
        case .givenByOperator:
            context.log("the operator said it is done")
        case let .assumed(flag):
            context.log("assumed done (\(flag)); no operator confirmed it in this run")
        case nil:
            throw ActionError("needs an operator: \(Self.headline(instructions))",
                              subject: "step \(context.stepID)",
                              fix: "do what the instructions above say, then resume the run from a terminal to say so, or with --assume-manual-done", needsOperator: true)
        }
        return [:]
    }

    /// The instructions, shown to the operator when they are asked whether the work is done.
    func plan(_ inputs: ActionInputs) -> [String] {
        (inputs.string("instructions") ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The first non-empty line, without Markdown heading marks, shortened.
    static func headline(_ markdown: String) -> String {
        let first = markdown.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? ""
        let plain = first.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
        return plain.count > 120 ? plain.prefix(120) + "…" : plain
    }
}
