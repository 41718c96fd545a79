import DRBookActions
import DRBookRunbook
import Foundation
import Testing

@Suite("manual and confirm never pretend an operator answered")
struct OperatorActionTests {
    let instructions = """
        ## Rotate the heartbeat URL
        Run `sops set k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml …`.
        """

    @Test("manual without assumeDone shows the instructions and fails with 'needs an operator'")
    func manualNeedsOperator() async throws {
        let run = ActionRun()
        let error = await actionError { try await run("manual", ["instructions": .string(instructions)]) }
        #expect(error?.message == "needs an operator: Rotate the heartbeat URL")
        #expect(error?.fix?.contains("--assume-manual-done") == true)
        #expect(run.reports.lines.contains("## Rotate the heartbeat URL"))
    }

    @Test("manual with assumeDone passes and says the completion was assumed, not confirmed")
    func manualAssumed() async throws {
        let run = ActionRun()
        _ = try await run("manual", ["instructions": .string(instructions), "assumeDone": .bool(true)])
        #expect(run.reports.lines.last == "assumed done (assumeDone: true); no operator confirmed it in this run")
    }

    @Test("manual under --dry-run shows the instructions and passes")
    func manualDryRun() async throws {
        let run = ActionRun()
        _ = try await run("manual", ["instructions": .string(instructions)], dryRun: true)
        #expect(run.reports.lines.first == "## Rotate the heartbeat URL")
    }

    @Test("confirm without assumeYes fails with 'needs an operator' and the question")
    func confirmNeedsOperator() async throws {
        let run = ActionRun()
        let error = await actionError { try await run("confirm", ["message": .string("Is the old cluster gone?")]) }
        #expect(error?.message == "needs an operator: Is the old cluster gone?")
    }

    @Test("confirm with assumeYes passes and logs that the answer was assumed")
    func confirmAssumed() async throws {
        let run = ActionRun()
        _ = try await run("confirm", ["message": .string("Is the old cluster gone?"), "assumeYes": .bool(true)])
        #expect(run.reports.lines.last == "answered yes by assumption (assumeYes: true); no operator was asked in this run")
    }
}
