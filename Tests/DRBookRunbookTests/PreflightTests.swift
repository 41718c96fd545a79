import Foundation
import Testing
@testable import DRBookRunbook

@Suite("Preflight: an action's read-only checks run before anyone is asked to confirm its step")
struct PreflightTests {
    static let blocking = PreflightFinding.blocking(
        "is mounted by running pod prometheus-0", subject: "PVC monitoring/prometheus-db-0", fix: "scale statefulset prometheus to 0 first")

    @Test("a preflight that fails at the start stops the run before any step runs or any question is asked; the finding and its fix are journaled")
    func failsAtStart() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: look
                uses: test.echo
              - id: delete-pvcs
                title: Delete the PVCs
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: ${{ params.allow }}
            """, params: """
              allow:
                type: bool
                default: false
            """))
        let prompt = ScriptedPrompt(answers: [true, true])
        let outcome = try await fixture.executor(prompt: prompt).run(request)
        #expect(outcome.verdict == .failed)
        #expect(outcome.exitCode == 1)
        #expect(prompt.requests.isEmpty)
        #expect(fixture.countLines.isEmpty)
        #expect(fixture.log.steps == ["preflight:delete-pvcs"], "not even the read-only step before it ran")
        #expect(outcome.message == "step 'delete-pvcs' failed its preflight: PVC monitoring/prometheus-db-0: is mounted by running pod prometheus-0; the run stopped before any step ran")

        let events = try fixture.journal(outcome)
        #expect(events.types == ["run-start", "preflight-start", "step-log", "preflight-end", "step-end", "step-end", "run-end"])
        let preflight = try #require(events.preflightEnds.first)
        #expect(preflight.stepID == "delete-pvcs")
        #expect(!preflight.passed)
        #expect(preflight.findings == [Self.blocking])
        let end = try #require(events.stepEnd("delete-pvcs"))
        #expect(end.status == .failed)
        #expect(!end.started)
        #expect(end.error == "PVC monitoring/prometheus-db-0: is mounted by running pod prometheus-0")
        #expect(end.fix == "scale statefulset prometheus to 0 first")
        #expect(end.reason == "its preflight found a reason not to run it")
        #expect(events.stepEnd("look")?.status == .aborted)
        #expect(events.decisions.isEmpty)
    }

    @Test("a preflight whose inputs need an earlier step's outputs runs after that step, right before its own question, and blocks it there")
    func failsRightBeforeItsStep() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: count-pods
                uses: test.echo
                with:
                  number: 1
              - id: delete-pvcs
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: ${{ steps.count-pods.outputs.number == 0 }}
              - id: after
                uses: test.echo
            """))
        let prompt = ScriptedPrompt(answers: [true])
        let outcome = try await fixture.executor(prompt: prompt).run(request)
        #expect(outcome.verdict == .failed)
        #expect(prompt.requests.isEmpty)
        #expect(fixture.log.steps == ["count-pods", "preflight:delete-pvcs"])
        #expect(fixture.countLines.isEmpty)
        #expect(outcome.status(of: "delete-pvcs") == .failed)
        #expect(outcome.status(of: "after") == .aborted)
        #expect(outcome.message == "step 'delete-pvcs' failed its preflight: PVC monitoring/prometheus-db-0: is mounted by running pod prometheus-0; the run stopped before it")
    }

    @Test("onFailure: continue does not let a step whose preflight failed be skipped over: the run stops")
    func stopsWhateverOnFailureSays() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: first
                uses: test.echo
              - id: guarded
                uses: test.guarded
                destructive: true
                onFailure: continue
                with:
                  file: COUNT
                  allow: ${{ steps.first.outputs.number == 1 }}
              - id: later
                uses: test.count
                destructive: true
                with:
                  file: COUNT
            """))
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        #expect(outcome.verdict == .failed)
        #expect(fixture.countLines.isEmpty)
        #expect(outcome.status(of: "later") == .aborted)
    }

    @Test("every question comes after the preflight of its step and of every step before it; a preflight runs once")
    func questionsAfterPreflights() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: known
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: true
              - id: probe
                uses: test.echo
                with:
                  number: 1
              - id: dependent
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: ${{ steps.probe.outputs.number == 1 }}
              - id: skipped
                uses: test.guarded
                destructive: true
                when: ${{ steps.probe.outputs.number == 2 }}
                with:
                  file: COUNT
                  allow: false
            """))
        let prompt = PreflightWatchingPrompt(observer: fixture.observer)
        let outcome = try await fixture.executor(prompt: prompt).run(request)
        #expect(outcome.verdict == .passed)
        #expect(prompt.questions.map(\.stepID) == ["known", "dependent"])
        #expect(prompt.questions.map(\.preflightsDone) == [["known"], ["known", "dependent"]])
        #expect(fixture.log.steps == ["preflight:known", "known", "probe", "preflight:dependent", "dependent"])
        #expect(fixture.countLines == ["known", "dependent"])
        #expect(outcome.status(of: "skipped") == .skipped)
    }

    @Test("a warning is journaled and shown, and the step still runs")
    func warningDoesNotBlock() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: restore
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  warn: true
            """))
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        #expect(outcome.verdict == .passed)
        #expect(fixture.countLines == ["restore"])
        let preflight = try #require(try fixture.journal(outcome).preflightEnds.first)
        #expect(preflight.passed)
        #expect(preflight.findings == [.warning("the volume is larger than the backup", subject: "PVC monitoring/prometheus-db-0")])
        var renderer = ConsoleRenderer(color: false)
        let lines = fixture.observer.events.flatMap { renderer.lines(for: $0) }
        #expect(lines.contains("    warning: PVC monitoring/prometheus-db-0: the volume is larger than the backup"))
    }

    @Test("a check that cannot be made is a blocking finding with the action's error and fix")
    func errorIsBlocking() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: restore
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  fail: true
            """))
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        #expect(outcome.verdict == .failed)
        #expect(fixture.countLines.isEmpty)
        let events = try fixture.journal(outcome)
        #expect(events.preflightEnds.first?.findings == [.blocking("cannot list pods: connection refused", subject: "https://cluster.example", fix: "check the kubeconfig")])
        #expect(events.stepEnd("restore")?.error == "https://cluster.example: cannot list pods: connection refused")
        #expect(events.stepEnd("restore")?.fix == "check the kubeconfig")
        #expect(events.decisions.isEmpty, "--yes confirmed nothing: the step never got as far as its confirmation")
    }

    @Test("the console shows the preflight's finding and fix once, then the step's status line")
    func consoleLines() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: delete-pvcs
                title: Delete the PVCs
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: false
            """))
        _ = try await fixture.executor(assumeYes: true).run(request)
        var renderer = ConsoleRenderer(color: false)
        let lines = fixture.observer.events.flatMap { renderer.lines(for: $0) }.map {
            $0.replacingOccurrences(of: #"\(\d+\.\d s\)"#, with: "(t)", options: .regularExpression)
        }
        #expect(Array(lines.dropFirst()) == [
            "    looked at PVC monitoring/prometheus-db-0",
            "✘ preflight of Delete the PVCs (t): it found a reason not to run the step",
            "    blocking: PVC monitoring/prometheus-db-0: is mounted by running pod prometheus-0",
            "    Fix: scale statefulset prometheus to 0 first",
            "✘ Delete the PVCs (t): its preflight found a reason not to run it",
            "Verdict: failed — step 'delete-pvcs' failed its preflight: PVC monitoring/prometheus-db-0: is mounted by running pod prometheus-0; the run stopped before any step ran",
        ])
    }

    @Test("resume checks a blocked step again, and runs it once its preflight passes")
    func resumeChecksAgain() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: first
                uses: test.count
                destructive: true
                with:
                  file: COUNT
              - id: guarded
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: ${{ env.SCALED_DOWN == 'yes' && steps.first.outputs.line == 'first' }}
            """))
        let first = try await fixture.executor(assumeYes: true).run(request)
        #expect(first.verdict == .failed)
        #expect(fixture.countLines == ["first"])
        let resumed = try await fixture.executor(assumeYes: true, environment: ["SCALED_DOWN": "yes"]).resume(runID: first.runID, request)
        #expect(resumed.verdict == .passed)
        #expect(fixture.countLines == ["first", "guarded"])
        // At the start of the resume the restored step's outputs are known: the check ran before any question.
        let events = try fixture.journal(resumed)
        let afterResume = events.drop { $0.kind.type != "run-resume" }
        #expect(afterResume.map(\.kind.type).prefix(5) == ["run-resume", "preflight-start", "step-log", "preflight-end", "decision"])
    }

    @Test("a secret in a preflight's checks or findings is redacted in the journal, the console and the outcome")
    func findingsAreRedacted() async throws {
        let fixture = try EngineFixture()
        let secret = "hc-ping-key-Zq9x/y+w"
        let request = try fixture.request(runbookYAML("""
              - id: restore
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: false
                  subject: "check https://hc.example/${{ params.token }}"
            """, params: """
              token:
                type: string
                secret: true
            """), params: ["token=\(secret)"])
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        #expect(outcome.verdict == .failed)
        #expect(!(try fixture.journalText(outcome)).contains(secret))
        #expect(!fixture.observer.text.contains(secret))
        #expect(outcome.message?.contains(secret) == false)
        #expect(try fixture.journal(outcome).preflightEnds.first?.findings.first?.subject == "check https://hc.example/[redacted]")
    }

    @Test("Ctrl-C during a preflight ends the run as interrupted, with nothing run and nothing to clean up")
    func interruptedPreflight() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: restore
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  hang: true
            """, cleanup: """
              - id: put-back
                uses: test.count
                destructive: true
                with:
                  file: COUNT
            """))
        let executor = fixture.executor(assumeYes: true)
        let task = Task { try await executor.run(request) }
        await fixture.preflightStarted.value
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.verdict == .interrupted)
        #expect(outcome.message == "interrupted during the preflight of step 'restore'")
        #expect(fixture.countLines.isEmpty)
        let events = try fixture.journal(outcome)
        #expect(events.preflightEnds.map(\.interrupted) == [true])
        #expect(events.stepEnd("restore")?.status == .aborted)
        #expect(events.stepEnd("put-back")?.reason == "no step ran, so there was nothing to clean up")
    }

    @Test("a step a crash left unfinished is checked before the resume asks about it; when its check fails, the fix offers --skip-unfinished")
    func unfinishedStepBlocked() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: restore
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: ${{ env.FIRST == 'yes' }}
            """))
        let first = try await fixture.executor(assumeYes: true, environment: ["FIRST": "yes"]).run(request)
        #expect(first.verdict == .passed)
        // Make the journal look as a SIGKILL inside the step leaves it: a step-start and no end.
        let url = fixture.store.journal(of: first.runID)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let cut = try #require(lines.firstIndex { $0.contains("\"type\":\"step-start\"") })
        try (lines[...cut].joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)

        let prompt = ScriptedPrompt(unfinished: [.rerun])
        let resumed = try await fixture.executor(prompt: prompt).resume(runID: first.runID, request)
        #expect(resumed.verdict == .failed)
        #expect(prompt.requests.isEmpty)
        let end = try #require(try fixture.journal(resumed).stepEnd("restore"))
        #expect(end.fix == "scale statefulset prometheus to 0 first; if step 'restore' completed before the run stopped, resume with --skip-unfinished instead")

        let skipped = try await fixture.executor(unfinishedSteps: .skip).resume(runID: first.runID, request)
        #expect(skipped.verdict == .passed)
        #expect(fixture.log.steps.filter { $0.hasPrefix("preflight:") } == ["preflight:restore", "preflight:restore"], "not checked when it will not run")
    }

    @Test("a dry run runs the preflights of mutating steps and lists their checks and findings; it exits 1 when one blocks")
    func dryRun() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: scale-down
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  warn: true
                  subject: StatefulSet monitoring/prometheus
              - id: delete-pvcs
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: false
              - id: after
                uses: test.echo
            """))
        let outcome = try await fixture.executor(dryRun: true).run(request)
        #expect(outcome.verdict == .failed)
        #expect(outcome.exitCode == 1)
        #expect(fixture.countLines.isEmpty)
        #expect(fixture.log.steps == ["preflight:scale-down", "preflight:delete-pvcs", "after"])
        let plan = try #require(outcome.plan)
        #expect(plan.entry("scale-down")?.disposition == .wouldChange)
        #expect(plan.entry("delete-pvcs")?.disposition == .blocked)
        #expect(plan.lines == [
            "Dry run of engine-test: mutating steps do not run; read-only checks and preflights do.",
            "- scale-down: scale-down (test.guarded) — would change",
            "    file: \(fixture.countFile)",
            "    subject: StatefulSet monitoring/prometheus",
            "    warn: true",
            "    would touch: append a line to \(fixture.countFile)",
            "    preflight checks: no pod mounts StatefulSet monitoring/prometheus",
            "    preflight: passed",
            "      warning: StatefulSet monitoring/prometheus: the volume is larger than the backup",
            "- delete-pvcs: delete-pvcs (test.guarded) — blocked by its preflight",
            "    allow: false",
            "    file: \(fixture.countFile)",
            "    would touch: append a line to \(fixture.countFile)",
            "    preflight checks: no pod mounts PVC monitoring/prometheus-db-0",
            "    preflight: failed",
            "      blocking: PVC monitoring/prometheus-db-0: is mounted by running pod prometheus-0",
            "      fix: scale statefulset prometheus to 0 first",
            "- after: after (test.echo) — checked",
        ])
    }

    @Test("a journal with preflight events reads back, and its report shows the findings; a journal without them still reads")
    func journalAndReport() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: delete-pvcs
                uses: test.guarded
                destructive: true
                with:
                  file: COUNT
                  allow: false
            """))
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        let events = try fixture.journal(outcome)
        let report = RunReport(events: events, runbook: request.runbook)
        let row = try #require(report.steps.first { $0.id == "delete-pvcs" })
        #expect(row.status == .failed)
        #expect(row.preflight?.passed == false)
        #expect(row.preflight?.checks == ["no pod mounts PVC monitoring/prometheus-db-0"])
        #expect(row.preflight?.findings == [Self.blocking])
        let markdown = report.markdown()
        #expect(markdown.contains("### `delete-pvcs` delete-pvcs — ❌ failed\n\n- Checks: no pod mounts PVC monitoring/prometheus-db-0\n- **Blocking:** PVC monitoring/prometheus-db-0: is mounted by running pod prometheus-0\n  - **Fix:** scale statefulset prometheus to 0 first"))
        #expect(try RunReport.fromJSON(Data(report.json().utf8)) == report)
        // Journals written before preflights existed have none of these events and read as before.
        let old = events.filter { !["preflight-start", "preflight-end", "step-log"].contains($0.kind.type) }
        let lines = try old.map { String(decoding: try $0.jsonLine(), as: UTF8.self) }.joined(separator: "\n") + "\n"
        let reread = try JournalReader.read(Data(lines.utf8), url: URL(fileURLWithPath: "/old/journal.jsonl"))
        #expect(reread.events == old)
        #expect(RunReport(events: reread.events, runbook: nil).steps.first?.preflight == nil)
    }
}
