import Foundation
import Testing
@testable import DRBookRunbook

@Suite("Steps only a person can complete (manual, confirm)")
struct OperatorStepTests {
    static let runbook = runbookYAML("""
          - id: rotate
            title: Rotate the webhook by hand
            uses: test.byHand
            with:
              instructions: Run sops set on the webhook URL.
          - id: after
            uses: test.echo
        """)

    @Test("without a terminal and without --assume-manual-done the step runs unanswered and fails; nothing is journaled as decided")
    func unattendedFails() async throws {
        let fixture = try EngineFixture()
        let outcome = try await fixture.executor().run(try fixture.request(Self.runbook))
        #expect(outcome.verdict == .failed)
        #expect(outcome.status(of: "rotate") == .failed)
        #expect(outcome.message?.contains("needs an operator") == true)
        #expect(try fixture.journal(outcome).decisions.isEmpty)
    }

    @Test("--assume-manual-done answers for the operator, and the journal says it was the flag")
    func assumedByFlag() async throws {
        let fixture = try EngineFixture()
        let outcome = try await fixture.executor(assumeManualDone: true).run(try fixture.request(Self.runbook))
        #expect(outcome.verdict == .passed)
        let decision = try #require(try fixture.journal(outcome).decisions.first)
        #expect(decision.stepID == "rotate")
        #expect(decision.answer == .done)
        #expect(decision.by == .assumeManualDone)
        #expect(decision.touches == ["Run sops set on the webhook URL."])
    }

    @Test("--yes does not stand in for work by hand")
    func yesIsNotDone() async throws {
        let fixture = try EngineFixture()
        let outcome = try await fixture.executor(assumeYes: true).run(try fixture.request(Self.runbook))
        #expect(outcome.status(of: "rotate") == .failed)
    }

    @Test("on a terminal the operator sees the instructions; done lets the step pass, anything else stops the run (exit 3)")
    func operatorAnswers() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.runbook)
        let yes = ScriptedPrompt(answers: [true])
        let passed = try await fixture.executor(prompt: yes).run(request)
        #expect(passed.verdict == .passed)
        #expect(yes.requests.map(\.reason) == [.workByHand])
        #expect(yes.requests.first?.touches == ["Run sops set on the webhook URL."])
        #expect(try fixture.journal(passed).decisions.map(\.by) == [.operator])

        let no = ScriptedPrompt(answers: [false])
        let stopped = try await fixture.executor(prompt: no).run(request)
        #expect(stopped.verdict == .stopped)
        #expect(stopped.exitCode == 3)
        #expect(stopped.status(of: "after") == .aborted)
        #expect(try fixture.journal(stopped).decisions.first?.answer == .denied)
    }
}
