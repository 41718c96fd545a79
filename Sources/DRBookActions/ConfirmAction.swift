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
        operatorStep: OperatorStep(.question, answeredByInput: "assumeYes"),
        doc: """
            Asks the question and lets the run go on only with a yes. On a terminal, drbook asks \
            before the step; `yes` lets it pass, anything else stops the run (exit 3, \
            resumable). Without a terminal the step **fails with "needs an operator"** unless the \
            run has `--yes` (which answers every question and confirms every destructive step in \
            advance) or the step has `assumeYes: true`. The operator's answer, or the flag's, is \
            journaled as a decision, and the step's log says whether an operator gave it or it was assumed. Under `--dry-run` \
            the question is shown and the step passes.

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
        if inputs.bool("assumeYes") == true {
            context.log("answered yes by assumption (assumeYes: true); no operator was asked in this run")
            return [:]
        }
        switch context.operatorAnswer {
        case .givenByOperator:
            context.log("the operator answered yes")
        case let .assumed(flag):
            context.log("answered yes by assumption (\(flag)); no operator was asked in this run")
        case nil:
            throw ActionError("needs an operator: \(message)", subject: "step \(context.stepID)",
                              fix: "answer it yourself, then resume the run from a terminal, or with --yes (assumeYes: true on this step)", needsOperator: true)
        }
        return [:]
    }

    /// The question, shown to the operator when they are asked.
    func plan(_ inputs: ActionInputs) -> [String] { [inputs.string("message") ?? ""] }
}
