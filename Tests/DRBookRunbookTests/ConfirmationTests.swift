import Foundation
import Testing
@testable import DRBookRunbook

@Suite("Destructive steps ask first")
struct ConfirmationTests {
    static let runbook = runbookYAML("""
          - id: check
            uses: test.echo
          - id: change
            title: Change the world
            uses: test.count
            destructive: true
            with:
              file: COUNT
              label: changed
          - id: after
            uses: test.echo
        """)

    @Test("the operator sees exactly what the step touches and confirms; the step runs")
    func confirmed() async throws {
        let fixture = try EngineFixture()
        let prompt = ScriptedPrompt(answers: [true])
        let outcome = try await fixture.executor(prompt: prompt).run(try fixture.request(Self.runbook))
        #expect(outcome.verdict == .passed)
        #expect(fixture.countLines == ["changed"])
        let request = try #require(prompt.requests.first)
        #expect(prompt.requests.count == 1)
        #expect(request.stepID == "change")
        #expect(request.reason == .destructive)
        #expect(request.touches == ["append 'changed' to \(fixture.countFile)"])
        let decision = try #require(try fixture.journal(outcome).decisions.first)
        #expect(decision.answer == .confirmed)
        #expect(decision.by == .operator)
        #expect(decision.touches == request.touches)
    }

    @Test("a denial stops the run before the step (exit 3) and is journaled as a decision")
    func denied() async throws {
        let fixture = try EngineFixture()
        let prompt = ScriptedPrompt(answers: [false])
        let outcome = try await fixture.executor(prompt: prompt).run(try fixture.request(Self.runbook))
        #expect(outcome.verdict == .stopped)
        #expect(outcome.exitCode == 3)
        #expect(fixture.countLines.isEmpty)
        #expect(fixture.log.steps == ["check"])
        let events = try fixture.journal(outcome)
        let decision = try #require(events.decisions.first)
        #expect(decision.stepID == "change")
        #expect(decision.answer == .denied)
        #expect(decision.touches == ["append 'changed' to \(fixture.countFile)"])
        #expect(events.runEnd?.verdict == .stopped)
        #expect(events.runEnd?.exitCode == 3)
        #expect(outcome.status(of: "after") == .aborted)
        #expect(outcome.message?.contains("declined step 'change'") == true)
    }

    @Test("without a terminal and without --yes the run stops before the step, says why, and touches nothing")
    func nonInteractiveWithoutYes() async throws {
        let fixture = try EngineFixture()
        let outcome = try await fixture.executor(prompt: NoTerminalPrompt()).run(try fixture.request(Self.runbook))
        #expect(outcome.verdict == .needsConfirmation)
        #expect(outcome.exitCode == 3)
        #expect(!FileManager.default.fileExists(atPath: fixture.countFile))
        #expect(fixture.log.steps == ["check"])
        let message = try #require(outcome.message)
        #expect(message.contains("step 'change'"))
        #expect(message.contains("no terminal"))
        #expect(message.contains("--yes"))
        let events = try fixture.journal(outcome)
        #expect(events.decisions.first?.answer == .unanswered)
        #expect(events.runEnd?.verdict == .needsConfirmation)
        #expect(events.stepEnd("change")?.started == false)
    }

    @Test("--yes accepts without asking, and the decision says so")
    func assumeYes() async throws {
        let fixture = try EngineFixture()
        let prompt = ScriptedPrompt(interactive: false)
        let outcome = try await fixture.executor(prompt: prompt, assumeYes: true).run(try fixture.request(Self.runbook))
        #expect(outcome.verdict == .passed)
        #expect(fixture.countLines == ["changed"])
        #expect(prompt.requests.isEmpty)
        #expect(try fixture.journal(outcome).decisions.map(\.by) == [.assumeYes])
    }
}

@Suite("Dry run")
struct DryRunTests {
    static let runbook = runbookYAML("""
          - id: check
            uses: test.echo
            with:
              text: ${{ params.name }}
              token: ${{ params.token }}
          - id: change
            uses: test.count
            destructive: true
            with:
              file: COUNT
              label: ${{ steps.check.outputs.text }}
              token: ${{ params.token }}
          - id: needs-change
            uses: test.echo
            when: ${{ steps.change.outputs.line != null }}
          - id: skipped
            uses: test.echo
            when: ${{ params.name == 'other' }}
        """, params: """
          name:
            type: string
            default: prod
          token:
            type: string
            secret: true
        """)

    static let token = "tok-DRY-run-9f8e7d"

    @Test("runs no mutating action: the side-effect file stays untouched and no journal is written")
    func noMutation() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.runbook, params: ["token=\(Self.token)"])
        let outcome = try await fixture.executor(assumeYes: true, dryRun: true).run(request)
        #expect(!FileManager.default.fileExists(atPath: fixture.countFile))
        #expect(fixture.log.count("change") == 0)
        #expect(fixture.log.count("check") == 1)
        #expect(outcome.journal == nil)
        #expect(fixture.store.runs().isEmpty)
        #expect(outcome.verdict == .passed)
    }

    @Test("the plan lists every step, its resolved inputs with secrets redacted, and what mutating steps would touch")
    func planContents() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.runbook, params: ["token=\(Self.token)"])
        let outcome = try await fixture.executor(dryRun: true).run(request)
        let plan = try #require(outcome.plan)
        #expect(fixture.observer.plan == plan)
        #expect(plan.entries.map(\.stepID) == ["check", "change", "needs-change", "skipped"])
        #expect(plan.entries.map(\.disposition) == [.checked, .wouldChange, .unresolved, .skipped])
        let change = try #require(plan.entry("change"))
        #expect(change.inputs.map(\.name) == ["file", "label", "token"])
        #expect(change.inputs.map(\.value) == [fixture.countFile, "prod", "[redacted]"])
        #expect(change.touches == ["append 'prod' to \(fixture.countFile)", "authenticate with [redacted]"])
        #expect(plan.entry("needs-change")?.note?.contains("step 'change'") == true)
        let text = plan.lines.joined(separator: "\n")
        #expect(text.contains("would touch: append 'prod' to \(fixture.countFile)"))
        #expect(!text.contains(Self.token))
        #expect(!fixture.observer.text.contains(Self.token))
    }
}

@Suite("Cancellation")
struct CancellationTests {
    @Test("cancelling the run ends the journal cleanly with verdict interrupted (exit 4)")
    func interrupted() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: first
                uses: test.echo
              - id: wait
                uses: test.block
              - id: never
                uses: test.echo
            """))
        let executor = fixture.executor()
        let run = Task { try await executor.run(request) }
        await fixture.blockStarted.value
        run.cancel()
        let outcome = try await run.value
        #expect(outcome.verdict == .interrupted)
        #expect(outcome.exitCode == 4)
        let events = try fixture.journal(outcome)
        #expect(events.last?.kind.type == "run-end")
        #expect(events.runEnd?.verdict == .interrupted)
        #expect(events.runEnd?.exitCode == 4)
        #expect(events.stepEnd("wait")?.status == .aborted)
        #expect(events.stepEnd("wait")?.reason == "interrupted")
        #expect(events.stepEnd("never")?.status == .aborted)
        #expect(!fixture.log.steps.contains("never"))
    }
}
