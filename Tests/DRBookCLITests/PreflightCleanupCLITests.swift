import DRBookTestSupport
import Foundation
import Testing

/// Two runbooks on the real binary. `guarded`: one destructive `exec` step whose preflight
/// program fails while the param `mounted` is true. `cleaned`: steps `a` and `b` and, when the
/// param `fail` is true, a failing step, then the cleanup step `put-back`; each of `a`, `b` and
/// `put-back` appends its name to `effects`, and `b` blocks while `hold-b` exists (after writing
/// its pid to `at-b`), so the test can interrupt or kill the run inside it. Nothing waits for time.
final class GuardedWorkspace: @unchecked Sendable {
    let directory: TemporaryDirectory
    var root: URL { directory.url }
    var runs: String { directory.path("runs") }

    init() throws {
        directory = try TemporaryDirectory()
        let step = directory.path("step.sh")
        try """
        #!/bin/sh
        # step.sh ID DIR: one side effect; blocks first while DIR/hold-ID exists.
        id=$1; d=$2
        if [ -e "$d/hold-$id" ]; then
          echo $$ > "$d/at-$id.tmp" && mv "$d/at-$id.tmp" "$d/at-$id"
          while :; do sleep 1; done
        fi
        echo "$id" >> "$d/effects"
        """.write(toFile: step, atomically: true, encoding: .utf8)
        try """
        #!/bin/sh
        # preflight.sh MOUNTED: read-only; fails while the volume is mounted.
        if [ "$1" = true ]; then echo "pod prometheus-0 mounts PVC monitoring/prometheus-db-0" >&2; exit 3; fi
        echo "no pod mounts PVC monitoring/prometheus-db-0"
        """.write(toFile: directory.path("preflight.sh"), atomically: true, encoding: .utf8)
        try """
        apiVersion: drbook/v1
        metadata: {name: guarded, title: Replace a volume}
        params:
          mounted: {type: bool, default: true}
        steps:
          - id: delete-pvcs
            title: Delete the PVCs
            uses: exec
            destructive: true
            with:
              argv: [sh, \(step), delete-pvcs, \(root.path)]
              preflight: [sh, \(directory.path("preflight.sh")), "${{ params.mounted }}"]
              preflightFix: scale statefulset monitoring/prometheus to 0, then run again
        """.write(toFile: directory.path("guarded.yaml"), atomically: true, encoding: .utf8)
        try """
        apiVersion: drbook/v1
        metadata: {name: cleaned, title: Change and put back}
        params:
          fail: {type: bool, default: false}
        steps:
          - id: a
            uses: exec
            destructive: true
            with:
              argv: [sh, \(step), a, \(root.path)]
          - id: b
            uses: exec
            destructive: true
            with:
              argv: [sh, \(step), b, \(root.path)]
          - id: fails
            uses: exec
            destructive: true
            when: ${{ params.fail }}
            with:
              argv: [sh, -c, "exit 7"]
        cleanup:
          - id: put-back
            title: Put things back
            uses: exec
            destructive: true
            with:
              argv: [sh, \(step), put-back, \(root.path)]
        """.write(toFile: directory.path("cleaned.yaml"), atomically: true, encoding: .utf8)
    }

    /// The folders each command takes: runbooks for those that read runbooks, runs for those that read runs.
    func arguments(_ command: [String]) -> [String] {
        let verb = command.first ?? ""
        return command + (["run", "show", "lint", "list"].contains(verb) ? ["--runbooks", root.path] : [])
            + (["run", "resume", "runs", "report"].contains(verb) ? ["--runs-dir", runs] : [])
    }

    var preflightCommand: String { "sh \(directory.path("preflight.sh")) true" }

    var effects: [String] {
        ((try? String(contentsOfFile: directory.path("effects"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func hold(_ id: String) { _ = FileManager.default.createFile(atPath: directory.path("hold-\(id)"), contents: nil) }

    func release(_ id: String) { try? FileManager.default.removeItem(atPath: directory.path("hold-\(id)")) }

    /// Waits until step `id`'s program blocks; returns its pid, which is its process group.
    func reached(_ id: String, by running: RunningDrbook) async throws -> Int32 {
        let marker = directory.path("at-\(id)")
        try await waitUntil("step \(id) to block; drbook said:\n\(running.output)") {
            FileManager.default.fileExists(atPath: marker) || !running.process.isRunning
        }
        let text = try String(contentsOfFile: marker, encoding: .utf8)
        try FileManager.default.removeItem(atPath: marker)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    var runID: String {
        get throws {
            let ids = try FileManager.default.contentsOfDirectory(atPath: runs).filter { !$0.hasPrefix(".") }
            return try #require(ids.count == 1 ? ids.first : nil, "expected one run in \(runs), found \(ids)")
        }
    }

    func journal() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: "\(runs)/\(try runID)/journal.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func events(_ type: String) throws -> [[String: Any]] { try journal().filter { $0["type"] as? String == type } }
}

@Suite("Preflight from the command line: nobody is asked before the checks pass", .offPoolOneAtATime)
struct PreflightCLITests {
    @Test("on a terminal, a failing preflight stops the run before any question: exit 1, the finding and its fix printed and journaled, the step not run")
    func failsBeforeAnyQuestion() async throws {
        let workspace = try GuardedWorkspace()
        let terminal = try PseudoTerminal()
        let running = try await RunningDrbook.start(workspace.arguments(["run", "guarded"]), terminal: terminal, in: workspace.root)
        let status = try await running.waitForExit()
        let transcript = terminal.transcript
        #expect(status == 1, "\(transcript)")
        #expect(!transcript.contains("Type 'yes'"), "a question was printed:\n\(transcript)")
        #expect(!transcript.contains("which changes things"), "a question was printed:\n\(transcript)")
        #expect(transcript.contains("preflight of Delete the PVCs"), "\(transcript)")
        #expect(transcript.contains("blocking: \(workspace.preflightCommand): sh exited with 3; the step runs only once it exits 0"), "\(transcript)")
        #expect(transcript.contains("pod prometheus-0 mounts PVC monitoring/prometheus-db-0"), "\(transcript)")
        #expect(transcript.contains("Fix: scale statefulset monitoring/prometheus to 0, then run again"), "\(transcript)")
        #expect(transcript.contains("Verdict: failed — step 'delete-pvcs' failed its preflight"), "\(transcript)")
        #expect(workspace.effects.isEmpty, "the mutating step ran")

        let preflight = try #require(try workspace.events("preflight-end").first)
        #expect(preflight["passed"] as? Bool == false)
        let finding = try #require((preflight["findings"] as? [[String: Any]])?.first)
        #expect(finding["severity"] as? String == "blocking")
        #expect(finding["subject"] as? String == workspace.preflightCommand)
        #expect((finding["message"] as? String)?.hasPrefix("sh exited with 3; the step runs only once it exits 0\n--- stderr (end) ---\npod prometheus-0 mounts PVC monitoring/prometheus-db-0") == true)
        #expect(finding["fix"] as? String == "scale statefulset monitoring/prometheus to 0, then run again")
        let start = try #require(try workspace.events("preflight-start").first)
        #expect(start["checks"] as? [String] == ["\(workspace.preflightCommand) exits 0"])
        let end = try #require(try workspace.events("step-end").first { $0["stepID"] as? String == "delete-pvcs" })
        #expect(end["status"] as? String == "failed")
        #expect(end["started"] as? Bool == false)
        #expect(end["fix"] as? String == "scale statefulset monitoring/prometheus to 0, then run again")
        #expect(try workspace.events("decision").isEmpty)
        #expect(try workspace.events("step-start").isEmpty)

        let report = try await drbook(workspace.arguments(["report", try workspace.runID]))
        #expect(report.stdout.contains("## Preflights"), "\(report.all)")
        #expect(report.stdout.contains("  - **Fix:** scale statefulset monitoring/prometheus to 0, then run again"), "\(report.all)")
    }

    @Test("once the preflight passes, the question comes, and the step runs after the yes")
    func passesThenAsks() async throws {
        let workspace = try GuardedWorkspace()
        let terminal = try PseudoTerminal()
        let running = try await RunningDrbook.start(workspace.arguments(["run", "guarded", "--no-color", "--param", "mounted=false"]), terminal: terminal, in: workspace.root)
        try await waitUntil("the confirmation:\n\(terminal.transcript)") { terminal.transcript.contains("Type 'yes'") || !running.process.isRunning }
        let beforeQuestion = try #require(terminal.transcript.components(separatedBy: "Type 'yes'").first)
        #expect(beforeQuestion.contains("✔ preflight of Delete the PVCs"), "\(terminal.transcript)")
        terminal.type("yes\n")
        #expect(try await running.waitForExit() == 0, "\(terminal.transcript)")
        #expect(workspace.effects == ["delete-pvcs"])
    }

    @Test("drbook show names a step's preflight checks when its inputs are written out")
    func show() async throws {
        let workspace = try GuardedWorkspace()
        try """
        apiVersion: drbook/v1
        metadata: {name: literal, title: A literal preflight}
        steps:
          - id: reconcile
            uses: exec
            destructive: true
            with:
              argv: [flux, reconcile, kustomization, monitoring]
              preflight: [flux, get, kustomization, monitoring]
        """.write(toFile: workspace.directory.path("literal.yaml"), atomically: true, encoding: .utf8)
        let shown = try await drbook(workspace.arguments(["show", "literal"]))
        #expect(shown.status == 0, "\(shown.all)")
        #expect(shown.stdout.contains("     preflight: flux get kustomization monitoring exits 0"), "\(shown.all)")
        // With an expression among its inputs only the run can tell: show says nothing rather than guess.
        let guarded = try await drbook(workspace.arguments(["show", "guarded"]))
        #expect(!guarded.stdout.contains("preflight:"), "\(guarded.all)")
    }

    @Test("--dry-run runs the preflight of the mutating step and prints its finding and fix; exit 1 when it blocks, 0 when it passes")
    func dryRun() async throws {
        let workspace = try GuardedWorkspace()
        let blocked = try await drbook(workspace.arguments(["run", "guarded", "--dry-run"]))
        #expect(blocked.status == 1, "\(blocked.all)")
        #expect(blocked.stdout.contains("""
            - delete-pvcs: Delete the PVCs (exec) — blocked by its preflight
            """), "\(blocked.all)")
        #expect(blocked.stdout.contains("""
                preflight checks: \(workspace.preflightCommand) exits 0
                preflight: failed
                  blocking: \(workspace.preflightCommand): sh exited with 3; the step runs only once it exits 0
            """), "\(blocked.all)")
        #expect(blocked.stdout.contains("      fix: scale statefulset monitoring/prometheus to 0, then run again"), "\(blocked.all)")
        #expect(workspace.effects.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace.runs), "a dry run writes no journal")

        let passed = try await drbook(workspace.arguments(["run", "guarded", "--dry-run", "--param", "mounted=false"]))
        #expect(passed.status == 0, "\(passed.all)")
        #expect(passed.stdout.contains("- delete-pvcs: Delete the PVCs (exec) — would change"), "\(passed.all)")
        #expect(passed.stdout.contains("    preflight: passed"), "\(passed.all)")
        #expect(workspace.effects.isEmpty)
    }
}

@Suite("Cleanup from the command line: once per run, on every way it ends", .offPoolOneAtATime)
struct CleanupCLITests {
    @Test("after success")
    func afterSuccess() async throws {
        let workspace = try GuardedWorkspace()
        let result = try await drbook(workspace.arguments(["run", "cleaned", "--yes"]))
        #expect(result.status == 0, "\(result.all)")
        #expect(workspace.effects == ["a", "b", "put-back"])
        #expect(result.stdout.contains("Cleanup (every step passed): put-back"), "\(result.all)")
    }

    @Test("after a failure: the run still exits 1")
    func afterFailure() async throws {
        let workspace = try GuardedWorkspace()
        let result = try await drbook(workspace.arguments(["run", "cleaned", "--yes", "--param", "fail=true"]))
        #expect(result.status == 1, "\(result.all)")
        #expect(workspace.effects == ["a", "b", "put-back"])
        #expect(result.stdout.contains("Cleanup (step 'fails' failed: "), "\(result.all)")
        #expect(try workspace.events("cleanup-start").count == 1)
    }

    @Test("after SIGINT in the middle of a step: the cleanup runs, exit 4; the resume finishes the step and does not run the cleanup again")
    func afterInterrupt() async throws {
        let workspace = try GuardedWorkspace()
        workspace.hold("b")
        let running = try await RunningDrbook.start(workspace.arguments(["run", "cleaned", "--yes"]), in: workspace.root)
        _ = try await workspace.reached("b", by: running)
        kill(running.pid, SIGINT)
        #expect(try await running.waitForExit() == 4, "\(running.output)")
        #expect(workspace.effects == ["a", "put-back"], "\(running.output)")
        #expect(running.output.contains("Cleanup (interrupted during step 'b'"), "\(running.output)")
        workspace.release("b")

        let resumed = try await drbook(workspace.arguments(["resume", try workspace.runID, "--yes", "--rerun-unfinished"]))
        #expect(resumed.status == 0, "\(resumed.all)")
        #expect(workspace.effects == ["a", "put-back", "b"], "the cleanup ran exactly once in the run")
        #expect(try workspace.events("cleanup-start").count == 1)
        #expect(try workspace.events("run-end").last?["verdict"] as? String == "passed")
    }

    @Test("after SIGKILL in the middle of a step nothing can run; the resume finishes the steps and then runs the cleanup, once")
    func afterKillAndResume() async throws {
        let workspace = try GuardedWorkspace()
        workspace.hold("b")
        let running = try await RunningDrbook.start(workspace.arguments(["run", "cleaned", "--yes"]), in: workspace.root)
        let group = try await workspace.reached("b", by: running)
        running.killHard()
        let status = try await running.waitForExit()
        #expect(running.process.terminationReason == .uncaughtSignal && status == SIGKILL, "drbook was not killed: \(running.output)")
        // The step's program lives on in its own process group, as after a real crash; here it must not finish later.
        kill(-group, SIGKILL)
        workspace.release("b")
        #expect(workspace.effects == ["a"])
        #expect(try workspace.events("cleanup-start").isEmpty)

        let resumed = try await drbook(workspace.arguments(["resume", try workspace.runID, "--yes", "--rerun-unfinished"]))
        #expect(resumed.status == 0, "\(resumed.all)")
        #expect(workspace.effects == ["a", "b", "put-back"])
        #expect(try workspace.events("cleanup-start").count == 1)
        // A second resume finds nothing to do: the run passed, and its cleanup is never repeated.
        let again = try await drbook(workspace.arguments(["resume", try workspace.runID, "--yes"]))
        #expect(again.status == 2, "\(again.all)")
        #expect(workspace.effects == ["a", "b", "put-back"])
    }

    @Test("after SIGKILL inside the cleanup step, the resume asks about it like any unfinished step and runs it once")
    func killedDuringCleanup() async throws {
        let workspace = try GuardedWorkspace()
        workspace.hold("put-back")
        let running = try await RunningDrbook.start(workspace.arguments(["run", "cleaned", "--yes"]), in: workspace.root)
        let group = try await workspace.reached("put-back", by: running)
        running.killHard()
        _ = try await running.waitForExit()
        kill(-group, SIGKILL)
        workspace.release("put-back")
        #expect(workspace.effects == ["a", "b"])

        let refused = try await drbook(workspace.arguments(["resume", try workspace.runID, "--yes"]))
        #expect(refused.status == 3, "\(refused.all)")
        #expect(refused.all.contains("stopped before step 'put-back'"), "\(refused.all)")
        #expect(workspace.effects == ["a", "b"])
        let resumed = try await drbook(workspace.arguments(["resume", try workspace.runID, "--yes", "--rerun-unfinished"]))
        #expect(resumed.status == 0, "\(resumed.all)")
        #expect(workspace.effects == ["a", "b", "put-back"])
    }

    @Test("drbook show and --dry-run list the cleanup steps")
    func showAndDryRun() async throws {
        let workspace = try GuardedWorkspace()
        let shown = try await drbook(workspace.arguments(["show", "cleaned"]))
        #expect(shown.status == 0, "\(shown.all)")
        #expect(shown.stdout.contains("""
            Cleanup (runs however the run ends: passed, failed, Ctrl-C, or on the resume after a crash):
              1. put-back: Put things back  [exec, destructive, mutates]
            """), "\(shown.all)")
        let planned = try await drbook(workspace.arguments(["run", "cleaned", "--dry-run"]))
        #expect(planned.status == 0, "\(planned.all)")
        #expect(planned.stdout.contains("""
            Cleanup, run however the run ends:
            - put-back: Put things back (exec) — would change
            """), "\(planned.all)")
        #expect(workspace.effects.isEmpty)
    }
}
