import Foundation
import Testing
@testable import DRBookRunbook

@Suite("Cleanup: steps that run however the run ends, once per run")
struct CleanupTests {
    static let cleanup = """
          - id: put-back
            title: Put it back
            uses: test.count
            destructive: true
            with:
              file: COUNT
              label: cleanup
        """

    @Test("after every step passed, the cleanup steps run, journaled like steps after a cleanup-start")
    func afterSuccess() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.count
                destructive: true
                with:
                  file: COUNT
            """, cleanup: Self.cleanup))
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        #expect(outcome.verdict == .passed)
        #expect(fixture.countLines == ["change", "cleanup"])
        #expect(outcome.steps.map(\.stepID) == ["change", "put-back"])
        let events = try fixture.journal(outcome)
        #expect(events.cleanupStarts == [.init(reason: "every step passed", steps: ["put-back"])])
        #expect(events.stepEnd("put-back")?.status == .passed)
        #expect(events.decisions.map(\.stepID) == ["change", "put-back"], "a destructive cleanup step is confirmed like any other")
    }

    @Test("after a failure the cleanup runs; outputs of steps that failed or never ran read as null")
    func afterFailure() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.count
                destructive: true
                with:
                  file: COUNT
              - id: broken
                uses: test.fail
                with:
                  times: 9
              - id: never
                uses: test.echo
                with:
                  number: 1
            """, cleanup: """
              - id: only-if-never-ran
                uses: test.count
                destructive: true
                when: ${{ steps.never.outputs.number == null && steps.broken.outputs.attempts == null }}
                with:
                  file: COUNT
                  label: "cleanup after ${{ steps.change.outputs.line }}"
              - id: not-if-never-ran
                uses: test.count
                destructive: true
                when: ${{ steps.never.outputs.number == 1 }}
                with:
                  file: COUNT
            """))
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        #expect(outcome.verdict == .failed)
        #expect(outcome.exitCode == 1)
        #expect(fixture.countLines == ["change", "cleanup after change"])
        #expect(outcome.status(of: "never") == .aborted)
        #expect(outcome.status(of: "only-if-never-ran") == .passed)
        #expect(outcome.status(of: "not-if-never-ran") == .skipped)
        let events = try fixture.journal(outcome)
        #expect(events.cleanupStarts.map(\.reason) == ["step 'broken' failed: test object: planned failure 1; later steps were not run"])
        #expect(events.runEnd?.message == "step 'broken' failed: test object: planned failure 1; later steps were not run")
    }

    @Test("after Ctrl-C the cleanup still runs (it is not cancelled with the run), and the run ends interrupted; a resume does not run it again")
    func afterInterruptAndResume() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.count
                destructive: true
                with:
                  file: COUNT
              - id: long
                uses: test.block
            """, cleanup: Self.cleanup))
        let executor = fixture.executor(assumeYes: true)
        let task = Task { try await executor.run(request) }
        await fixture.blockStarted.value
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.verdict == .interrupted)
        #expect(outcome.exitCode == 4)
        #expect(fixture.countLines == ["change", "cleanup"])
        let events = try fixture.journal(outcome)
        #expect(events.cleanupStarts.map(\.reason) == ["interrupted during step 'long'; `drbook resume` continues the run"])
        #expect(events.stepEnd("put-back")?.status == .passed)

        let resumed = try await fixture.executor(assumeYes: true).resume(runID: outcome.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.log.count("long") == 2)
        #expect(fixture.countLines == ["change", "cleanup"], "the cleanup ran once in the run, not once per process")
        #expect(try fixture.journal(resumed).cleanupStarts.count == 1)
    }

    @Test("a run in which no step started has nothing to clean up: its cleanup steps are aborted, and run on the resume that starts steps")
    func nothingStarted() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.count
                destructive: true
                with:
                  file: COUNT
            """, cleanup: Self.cleanup))
        let stopped = try await fixture.executor().run(request)
        #expect(stopped.verdict == .needsConfirmation)
        #expect(fixture.countLines.isEmpty)
        let events = try fixture.journal(stopped)
        #expect(events.cleanupStarts.isEmpty)
        #expect(events.stepEnd("put-back")?.status == .aborted)
        #expect(events.stepEnd("put-back")?.reason == "no step ran, so there was nothing to clean up")

        let resumed = try await fixture.executor(assumeYes: true).resume(runID: stopped.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.countLines == ["change", "cleanup"])
    }

    @Test("a failed cleanup step fails a run whose steps passed; the resume runs only it")
    func failedCleanup() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.count
                destructive: true
                with:
                  file: COUNT
            """, cleanup: """
              - id: flaky-cleanup
                uses: test.fail
                with:
                  times: 1
              - id: after-flaky
                uses: test.count
                destructive: true
                with:
                  file: COUNT
                  label: cleanup
            """))
        let first = try await fixture.executor(assumeYes: true).run(request)
        #expect(first.verdict == .failed)
        #expect(first.message == "step 'flaky-cleanup' failed: test object: planned failure 1; later steps were not run")
        #expect(first.status(of: "after-flaky") == .aborted)
        #expect(fixture.countLines == ["change"])
        let resumed = try await fixture.executor(assumeYes: true).resume(runID: first.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.countLines == ["change", "cleanup"])
        #expect(fixture.log.count("change") == 1)
    }

    @Test("after a failure and a failed cleanup, the verdict is the steps' and the message adds the cleanup's failure")
    func failureThenFailedCleanup() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.block
              - id: later
                uses: test.echo
            """, cleanup: """
              - id: flaky-cleanup
                uses: test.fail
                onFailure: continue
                with:
                  times: 1
            """))
        let executor = fixture.executor(assumeYes: true)
        let task = Task { try await executor.run(request) }
        await fixture.blockStarted.value
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.verdict == .interrupted)
        #expect(outcome.message == "interrupted during step 'change'; `drbook resume` continues the run; cleanup: step 'flaky-cleanup' failed: test object: planned failure 1")
    }

    @Test("a cleanup step skipped by its when is decided again by the resume, once the steps it looks at have run")
    func skippedCleanupIsDecidedAgain() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: look
                uses: test.echo
              - id: suspend
                uses: test.count
                destructive: true
                with:
                  file: COUNT
                  label: suspend
            """, cleanup: """
              - id: resume-flux
                uses: test.count
                destructive: true
                when: ${{ steps.suspend.outputs.line == 'suspend' }}
                with:
                  file: COUNT
                  label: resume
            """))
        let prompt = ScriptedPrompt(answers: [false])
        let declined = try await fixture.executor(prompt: prompt).run(request)
        #expect(declined.verdict == .stopped)
        #expect(declined.status(of: "resume-flux") == .skipped)
        let resumed = try await fixture.executor(assumeYes: true).resume(runID: declined.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.countLines == ["suspend", "resume"])
    }

    @Test("a dry run lists the cleanup steps after the steps, under their own heading")
    func dryRunLists() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.count
                destructive: true
                with:
                  file: COUNT
            """, cleanup: Self.cleanup + """

              - id: report
                uses: test.echo
                with:
                  text: done
            """))
        let outcome = try await fixture.executor(dryRun: true).run(request)
        #expect(outcome.verdict == .passed)
        #expect(fixture.countLines.isEmpty)
        let plan = try #require(outcome.plan)
        #expect(plan.entries.map(\.stepID) == ["change", "put-back", "report"])
        #expect(plan.entries.map(\.cleanup) == [false, true, true])
        #expect(plan.lines == [
            "Dry run of engine-test: mutating steps do not run; read-only checks and preflights do.",
            "- change: change (test.count) — would change",
            "    file: \(fixture.countFile)",
            "    would touch: append '?' to \(fixture.countFile)",
            "Cleanup, run however the run ends:",
            "- put-back: Put it back (test.count) — would change",
            "    file: \(fixture.countFile)",
            "    label: cleanup",
            "    would touch: append 'cleanup' to \(fixture.countFile)",
            "- report: report (test.echo) — checked",
            "    text: done",
        ])
    }

    @Test("the report lists cleanup steps last and marks them")
    func report() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: change
                uses: test.count
                destructive: true
                with:
                  file: COUNT
              - id: never
                uses: test.echo
            """, cleanup: Self.cleanup))
        let outcome = try await fixture.executor(prompt: ScriptedPrompt(answers: [true, true])).run(request)
        #expect(outcome.verdict == .passed)
        let report = RunReport(events: try fixture.journal(outcome), runbook: request.runbook)
        #expect(report.steps.map(\.id) == ["change", "never", "put-back"])
        #expect(report.steps.map(\.cleanup) == [nil, nil, true])
        #expect(report.markdown().contains("| 3 | `put-back` Put it back (mutates) (cleanup) | ✅ passed |"))
    }
}

@Suite("Cleanup steps are linted like steps")
struct CleanupLintTests {
    func lint(_ yaml: String) -> [String] {
        RunbookLinter(catalog: EngineFixtureCatalog.catalog, docsRoot: nil).lint(yaml: yaml, file: "t.yaml").map(\.description)
    }

    @Test("unknown actions, missing destructive, references to later cleanup steps, a step using a cleanup step's output, duplicate ids")
    func problems() {
        let lines = lint("""
            apiVersion: drbook/v1
            metadata: {name: t}
            steps:
              - id: a
                uses: test.echo
                with:
                  text: ${{ steps.c.outputs.line }}
            cleanup:
              - id: b
                uses: test.echo
                with:
                  text: ${{ steps.c.outputs.line }}
              - id: c
                uses: test.count
                with:
                  file: x
              - id: a
                uses: test.nothing
            """)
        #expect(lines == [
            "t.yaml:7:17: error: 'steps.c.outputs.line': step 'c' is a cleanup step, which runs after every step; a step can only use outputs of steps before it",
            "t.yaml:12:17: error: 'steps.c.outputs.line': step 'c' runs later (line 13); a step can only use outputs of steps before it",
            "t.yaml:14:11: error: step 'c' uses test.count, which changes things, but is not marked destructive; expected destructive: true so the operator confirms it",
            "t.yaml:17:9: error: duplicate step id 'a'; it is first used at line 4; expected ids unique in the runbook, parallel groups included",
            "t.yaml:18:11: error: step 'a' uses unknown action 'test.nothing'; expected an action listed in docs/actions.md",
        ])
    }

    @Test("a cleanup step may use any step's outputs; a parallel group or an empty list under cleanup is an error")
    func shape() {
        #expect(lint("""
            apiVersion: drbook/v1
            metadata: {name: t}
            steps:
              - id: a
                uses: test.echo
            cleanup:
              - id: b
                uses: test.echo
                when: ${{ steps.a.outputs.number == null }}
                with:
                  text: ${{ steps.a.outputs.text }}
            """) == [])
        #expect(lint("""
            apiVersion: drbook/v1
            metadata: {name: t}
            steps:
              - id: a
                uses: test.echo
            cleanup:
              - parallel:
                  - id: b
                    uses: test.echo
            """) == ["t.yaml:7:5: error: cleanup step 1 is a parallel group; cleanup steps run one at a time, so list them one after another"])
        #expect(lint("""
            apiVersion: drbook/v1
            metadata: {name: t}
            steps:
              - id: a
                uses: test.echo
            cleanup: []
            """) == ["t.yaml:6:10: error: cleanup is empty; expected at least one step, or no cleanup key"])
    }
}

/// The test actions' catalog, for lint tests that need no fixture directory.
enum EngineFixtureCatalog {
    static var catalog: ActionCatalog {
        let log = CallLog()
        return ActionRegistry([EchoAction(log: log), CountAction(log: log), FailAction(log: log)]).catalog
    }
}

@Suite("Cleanup that undoes a step: a resume after Ctrl-C does the step again, and the cleanup again")
struct UndoingCleanupTests {
    @Test("interrupted after the cleanup put things back, the resume runs the undone step before the rest and the cleanup at the end")
    func undoneStepRunsAgain() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: suspend
                uses: test.count
                destructive: true
                with:
                  file: COUNT
                  label: suspend
              - id: long
                uses: test.block
            """, cleanup: """
              - id: put-back
                uses: test.count
                destructive: true
                undoes: [suspend]
                with:
                  file: COUNT
                  label: resume
            """))
        let executor = fixture.executor(assumeYes: true)
        let task = Task { try await executor.run(request) }
        await fixture.blockStarted.value
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.verdict == .interrupted)
        #expect(fixture.countLines == ["suspend", "resume"])

        let resumed = try await fixture.executor(assumeYes: true).resume(runID: outcome.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.countLines == ["suspend", "resume", "suspend", "resume"], "suspended again before the rest, resumed again at the end")
        let resume = try fixture.journal(resumed).compactMap { if case let .runResume(event) = $0.kind { event } else { nil } }.last
        #expect(resume?.rerun == ["put-back", "suspend"])
    }

    @Test("undoes on a step of steps:, or naming no step of steps:, is a lint error with its position")
    func lintAndLoad() throws {
        let onMain = try lintLines(runbookYAML("""
              - id: a
                uses: test.count
                destructive: true
                undoes: [a]
                with: {file: COUNT}
            """))
        #expect(onMain.contains { $0.contains("undoes of step 'a': only a cleanup step undoes other steps") }, "\(onMain)")
        let unknown = try lintLines(runbookYAML("""
              - id: suspend
                uses: test.count
                destructive: true
                with: {file: COUNT}
            """, cleanup: """
              - id: put-back
                uses: test.count
                destructive: true
                undoes: [suspnd]
                with: {file: COUNT}
            """))
        #expect(unknown.contains { $0.contains("step 'put-back' undoes 'suspnd', which is not a step of the runbook's steps (did you mean 'suspend'?)") }, "\(unknown)")
    }
}
