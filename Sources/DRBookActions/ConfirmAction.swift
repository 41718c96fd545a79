import DRBookRunbook
import Foundation

/// `confirm`: a yes/no gate before the rest of the run.
struct ConfirmAction: Action {
    static let descriptor = ActionDescriptor(
        name: "confirm",
        summary: "A yes/no gate: the run goes on only when the operator has said yes.",
        inputs: [
            InputSpec("message", .string, required: true, description: "The question, e.g. \"Restore backup X into monitoring?\""),
            InputSpec("assumeYes", .bool, description: "Answer yes without asking (for unattended runs). Default: false."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Shows the question and lets the run go on only with a yes. An action cannot ask \
            the terminal itself, so today the step **fails with "needs an operator"** unless it \
            is given `assumeYes: true`; the step's log then says the answer was assumed, never \
            that someone gave it. Under `--dry-run` the question is shown and the step passes.

            To guard a step that changes things, prefer marking that step `destructive: true`: \
            the engine then shows exactly what it will touch and asks on the terminal (or \
            stops without `--yes`). Use `confirm` for decisions the engine cannot see, such as \
            "the old cluster is really gone".
            """)

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let message = try inputs.requiredString("message")
        context.log(message)
        if context.dryRun {
            context.log("(dry run: the operator would be asked this)")
            return [:]
        }
        guard inputs.bool("assumeYes") == true else {
            throw ActionError("needs an operator: \(message)", subject: "step \(context.stepID)",
                              fix: "answer it yourself, then resume the run with assumeYes: true on this step")
        }
        context.log("answered yes by assumption (assumeYes: true); no operator was asked in this run")
        return [:]
    }
}
