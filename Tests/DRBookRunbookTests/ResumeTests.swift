import Foundation
import Testing
@testable import DRBookRunbook

@Suite("Resuming a run from its journal")
struct ResumeTests {
    static let interruptedRunbook = runbookYAML("""
          - id: first
            uses: test.echo
            with:
              text: from-first
          - id: creds
            uses: test.echo
          - id: wait
            uses: test.block
          - id: change
            uses: test.count
            destructive: true
            with:
              file: COUNT
              label: ${{ steps.first.outputs.text }}
          - id: use
            uses: test.echo
            with:
              text: ${{ steps.first.outputs.text }}
              token: ${{ steps.creds.outputs.secret }}
        """)

    /// Runs until step `wait` blocks, then cancels, as Ctrl-C would.
    func interruptedRun(_ fixture: EngineFixture, _ request: RunRequest) async throws -> RunOutcome {
        let executor = fixture.executor(assumeYes: true)
        let run = Task { try await executor.run(request) }
        await fixture.blockStarted.value
        run.cancel()
        let outcome = try await run.value
        #expect(outcome.exitCode == 4)
        return outcome
    }

    @Test("a run interrupted after two steps resumes and runs only the rest, with restored outputs, in the same journal")
    func resumesTheRest() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.interruptedRunbook)
        let interrupted = try await interruptedRun(fixture, request)
        #expect(fixture.log.steps == ["first", "creds", "wait"])
        let linesBefore = try fixture.journalText(interrupted).split(separator: "\n").count

        let resumed = try await fixture.executor(assumeYes: true).resume(runID: interrupted.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(resumed.exitCode == 0)
        #expect(resumed.runID == interrupted.runID)
        #expect(fixture.log.count("first") == 1)
        #expect(fixture.log.count("change") == 1)
        #expect(fixture.countLines == ["from-first"])
        // The restored, non-secret output of 'first' reached the later step.
        #expect(fixture.log.inputs(of: "use").first?.string("text") == "from-first")
        #expect(resumed.steps.map(\.status) == [.passed, .passed, .passed, .passed, .passed])

        let events = try fixture.journal(resumed)
        #expect(events.count > linesBefore)
        #expect(events.types.filter { $0 == "run-start" }.count == 1)
        let resume = try #require(events.compactMap { if case let .runResume(r) = $0.kind { return r } else { return nil } }.first)
        #expect(resume.restored == ["first"])
        #expect(resume.rerun == ["creds"])
        #expect(events.runEnd?.verdict == .passed)
    }

    @Test("a read-only step whose secret output a later step needs is run again, since the secret was never journaled")
    func rerunsForSecretOutputs() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.interruptedRunbook)
        let interrupted = try await interruptedRun(fixture, request)
        _ = try await fixture.executor(assumeYes: true).resume(runID: interrupted.runID, request)
        #expect(fixture.log.count("creds") == 2)
        #expect(fixture.log.inputs(of: "use").first?.string("token") == "output-secret-Zq9#x/y+w=v")
        // And the secret still never reached the journal.
        #expect(!(try fixture.journalText(interrupted)).contains("output-secret-Zq9"))
    }

    @Test("a resumed run that is interrupted again can be resumed again")
    func resumeTwice() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.interruptedRunbook)
        let interrupted = try await interruptedRun(fixture, request)
        let second = try await fixture.executor(assumeYes: true).resume(runID: interrupted.runID, request)
        #expect(second.verdict == .passed)
        await #expect(throws: ExecutorError.cannotResume("run \(interrupted.runID) passed; there is nothing to resume")) {
            try await fixture.executor(assumeYes: true).resume(runID: interrupted.runID, request)
        }
        #expect(fixture.countLines == ["from-first"])
    }

    static let mutatingRunbook = runbookYAML("""
          - id: check
            uses: test.echo
          - id: change
            uses: test.count
            destructive: true
            with:
              file: COUNT
          - id: after
            uses: test.echo
        """)

    /// A journal as a SIGKILL during step `stepID` leaves it: everything after its step-start gone, the last line torn.
    func killedDuring(_ stepID: String, _ fixture: EngineFixture, _ outcome: RunOutcome) throws {
        let url = fixture.store.journal(of: outcome.runID)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex { $0.contains("\"type\":\"step-start\"") && $0.contains("\"stepID\":\"\(stepID)\"") })
        let kept = lines[...start].joined(separator: "\n") + "\n" + String(lines[start + 1].prefix(17))
        try kept.write(to: url, atomically: true, encoding: .utf8)
    }

    @Test("an unfinished mutating step is not re-run silently: the operator is told which step, what it touches and when it started")
    func unfinishedMutatingStepAsks() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.mutatingRunbook)
        let first = try await fixture.executor(assumeYes: true).run(request)
        try killedDuring("change", fixture, first)
        #expect(fixture.countLines.count == 1)
        let startedAt = try #require(try fixture.journal(first).compactMap { event -> Date? in
            if case let .stepStart(start) = event.kind, start.stepID == "change" { return event.time } else { return nil }
        }.last)

        let prompt = ScriptedPrompt(unfinished: [.stop])
        let stopped = try await fixture.executor(prompt: prompt).resume(runID: first.runID, request)
        #expect(stopped.exitCode == 3)
        #expect(stopped.verdict == .stopped)
        #expect(fixture.countLines.count == 1)
        let asked = try #require(prompt.requests.first)
        #expect(prompt.requests.count == 1)
        #expect(asked.stepID == "change")
        #expect(asked.reason == .unfinishedBeforeResume)
        #expect(asked.startedAt == startedAt)
        #expect(asked.touches == ["append '?' to \(fixture.countFile)"])
        #expect(asked.explanation.contains("never finished"))
        #expect(asked.explanation.contains(JournalTime.format(startedAt)))
        #expect(fixture.log.count("check") == 1)
        #expect(try fixture.journal(stopped).decisions.last.map { [$0.answer.rawValue, $0.by.rawValue] } == ["denied", "operator"])
    }

    @Test("the question about an unfinished step shows what it touches with secrets redacted")
    func unfinishedQuestionRedacted() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.count
                destructive: true
                with:
                  file: COUNT
                  token: ${{ params.token }}
            """, params: """
              token:
                type: string
                secret: true
            """), params: ["token=tok-UNFINISHED-77a1"])
        let first = try await fixture.executor(assumeYes: true).run(request)
        try killedDuring("change", fixture, first)
        let prompt = ScriptedPrompt(unfinished: [.stop])
        _ = try await fixture.executor(prompt: prompt).resume(runID: first.runID, request)
        let asked = try #require(prompt.requests.first)
        #expect(asked.touches.contains("authenticate with [redacted]"))
        #expect(!asked.touches.joined().contains("tok-UNFINISHED"))
        #expect(!(try fixture.journalText(first)).contains("tok-UNFINISHED"))
    }

    @Test("without a terminal, resume stops before an unfinished step (exit 3) even with --yes, and says which flags answer")
    func unfinishedWithoutTerminal() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.mutatingRunbook)
        let first = try await fixture.executor(assumeYes: true).run(request)
        try killedDuring("change", fixture, first)
        let outcome = try await fixture.executor(prompt: NoTerminalPrompt(), assumeYes: true).resume(runID: first.runID, request)
        #expect(outcome.verdict == .needsConfirmation)
        #expect(outcome.exitCode == 3)
        #expect(fixture.countLines.count == 1)
        let message = try #require(outcome.message)
        #expect(message.contains("step 'change'"))
        #expect(message.contains("--skip-unfinished"))
        #expect(message.contains("--rerun-unfinished"))
        let decision = try #require(try fixture.journal(outcome).decisions.last)
        #expect(decision.answer == .unanswered)
        #expect(decision.by == .nobody)
    }

    @Test("the operator's three answers: rerun runs it again, skip counts it as done without running it, stop stops", arguments: [
        (UnfinishedStepAnswer.rerun, 2, RunVerdict.passed, JournalEvent.Decision.Answer.rerun),
        (UnfinishedStepAnswer.skip, 1, RunVerdict.passed, JournalEvent.Decision.Answer.done),
        (UnfinishedStepAnswer.stop, 1, RunVerdict.stopped, JournalEvent.Decision.Answer.denied),
    ])
    func operatorAnswers(answer: UnfinishedStepAnswer, effects: Int, verdict: RunVerdict, journaled: JournalEvent.Decision.Answer) async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.mutatingRunbook)
        let first = try await fixture.executor(assumeYes: true).run(request)
        try killedDuring("change", fixture, first)
        let resumed = try await fixture.executor(prompt: ScriptedPrompt(unfinished: [answer])).resume(runID: first.runID, request)
        #expect(resumed.verdict == verdict)
        #expect(fixture.countLines.count == effects)
        let events = try fixture.journal(resumed)
        let decision = try #require(events.decisions.last)
        #expect(decision.stepID == "change")
        #expect(decision.answer == journaled)
        #expect(decision.by == .operator)
        if answer == .skip {
            #expect(resumed.status(of: "change") == .skipped)
            #expect(events.stepEnd("change")?.reason?.contains("said it completed") == true)
            #expect(fixture.log.count("after") == 2)
        }
    }

    @Test("--skip-unfinished and --rerun-unfinished answer without a terminal, and the decision names the flag", arguments: [
        (UnfinishedStepPolicy.skip, 1, JournalEvent.Decision.Source.skipUnfinished),
        (UnfinishedStepPolicy.rerun, 2, JournalEvent.Decision.Source.rerunUnfinished),
    ])
    func flagsAnswer(policy: UnfinishedStepPolicy, effects: Int, source: JournalEvent.Decision.Source) async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.mutatingRunbook)
        let first = try await fixture.executor(assumeYes: true).run(request)
        try killedDuring("change", fixture, first)
        let resumed = try await fixture.executor(prompt: NoTerminalPrompt(), unfinishedSteps: policy).resume(runID: first.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.countLines.count == effects)
        #expect(try fixture.journal(resumed).decisions.last?.by == source)
        // A step skipped as done stays done: another resume finds nothing to do.
        await #expect(throws: ExecutorError.self) {
            try await fixture.executor(unfinishedSteps: policy).resume(runID: first.runID, request)
        }
    }

    @Test("a run killed after its last step but before its run-end resumes to passed without running anything")
    func killedBeforeRunEnd() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.mutatingRunbook)
        let first = try await fixture.executor(assumeYes: true).run(request)
        let url = fixture.store.journal(of: first.runID)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.last?.contains("\"type\":\"run-end\"") == true)
        try (lines.dropLast().joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let resumed = try await fixture.executor().resume(runID: first.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.countLines.count == 1)
        #expect(fixture.log.steps == ["check", "change", "after"])
    }

    @Test("a completed mutating step is never repeated by a resume")
    func completedMutatingStepNotRepeated() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.mutatingRunbook)
        let first = try await fixture.executor(assumeYes: true).run(request)
        try killedDuring("after", fixture, first)
        let resumed = try await fixture.executor(assumeYes: true).resume(runID: first.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.countLines.count == 1)
        #expect(fixture.log.count("change") == 1)
        #expect(fixture.log.count("after") == 2)
    }

    @Test("an idempotent mutating step that never finished gets only the usual destructive confirmation")
    func idempotentUnfinished() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: ensure
                uses: test.ensure
                destructive: true
                with:
                  file: COUNT
            """))
        let first = try await fixture.executor(assumeYes: true).run(request)
        try killedDuring("ensure", fixture, first)
        let prompt = ScriptedPrompt(answers: [true])
        let resumed = try await fixture.executor(prompt: prompt).resume(runID: first.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(prompt.requests.map(\.reason) == [.destructive])
    }

    @Test("resume refuses a runbook file that changed since the run started")
    func changedRunbook() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.mutatingRunbook)
        let first = try await fixture.executor(assumeYes: true).run(request)
        try killedDuring("after", fixture, first)
        var changed = request
        changed.source += "# edited\n"
        await #expect {
            try await fixture.executor(assumeYes: true).resume(runID: first.runID, changed)
        } throws: { error in
            guard let error = error as? ExecutorError, case let .cannotResume(message) = error else { return false }
            return message.contains("has changed since run") && error.exitCode == 2
        }
    }

    @Test("resume(runID:) finds the runbook through the journal, and non-secret params keep their first values")
    func resumeByID() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: check
                uses: test.echo
                with:
                  text: ${{ params.name }}
                  token: ${{ params.token }}
              - id: after
                uses: test.echo
                with:
                  text: ${{ params.name }}
                  token: ${{ params.token }}
            """, params: """
              name:
                type: string
                default: from-default
              token:
                type: string
                secret: true
            """), params: ["name=from-flag", "token=first-token"])
        let first = try await fixture.executor().run(request)
        try killedDuring("after", fixture, first)
        // The secret param must be given again; the non-secret one comes from the journal.
        await #expect(throws: ExecutorError.self) { try await fixture.executor().resume(runID: first.runID) }
        let resumed = try await fixture.executor().resume(runID: first.runID, paramFlags: ["token=second-token"])
        #expect(resumed.verdict == .passed)
        let after = try #require(fixture.log.inputs(of: "after").last)
        #expect(after.string("text") == "from-flag")
        #expect(after.string("token") == "second-token")
    }

    @Test("an unknown run id is refused with a pointer to `drbook runs`")
    func unknownRun() async throws {
        let fixture = try EngineFixture()
        let id = RunID.make(at: Date())
        await #expect(throws: ExecutorError.cannotResume("there is no run \(id) in \(fixture.store.root.path); `drbook runs` lists the runs")) {
            try await fixture.executor().resume(runID: id)
        }
    }
}
