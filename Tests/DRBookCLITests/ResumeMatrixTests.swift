import DRBookTestSupport
import Foundation
import Testing

/// A runbook of four mutating `exec` steps, each appending one line (its id) to `effects` —
/// an atomic side effect per step — and able to stop at a point the test chooses: the step's
/// script blocks before or after its side effect while a `hold-<id>-before|after` file exists,
/// after writing its pid to `at-<id>-before|after`. Nothing waits for time: the test waits for
/// those markers, for prompts on a pseudo-terminal, and for exits.
final class CountedRun: @unchecked Sendable {
    static let steps = ["a", "b", "c", "d"]

    let directory: TemporaryDirectory
    var root: URL { directory.url }
    var runs: String { directory.path("runs") }

    init() throws {
        directory = try TemporaryDirectory()
        let script = directory.path("step.sh")
        try """
        #!/bin/sh
        # step.sh ID DIR: one side effect, with the holds the test controls.
        id=$1; d=$2
        hold() {  # $1: before|after. Tell the test where we are (pid written atomically), then block until killed.
          echo $$ > "$d/at-$id-$1.tmp" && mv "$d/at-$id-$1.tmp" "$d/at-$id-$1"
          while :; do sleep 1; done
        }
        if [ -e "$d/hold-$id-before" ]; then hold before; fi
        echo "$id" >> "$d/effects"
        if [ -e "$d/hold-$id-after" ]; then hold after; fi
        exit 0
        """.write(toFile: script, atomically: true, encoding: .utf8)
        var yaml = """
            apiVersion: drbook/v1
            metadata: {name: counted, title: Four counted changes}
            steps:

            """
        for id in Self.steps {
            yaml += """
                  - id: \(id)
                    title: Change \(id.uppercased())
                    uses: exec
                    destructive: true
                    with:
                      argv: [sh, \(script), \(id), \(root.path)]

                """
        }
        try yaml.write(toFile: directory.path("counted.yaml"), atomically: true, encoding: .utf8)
    }

    /// The folders each command takes: runbooks for those that read runbooks, runs for those that read runs.
    func arguments(_ command: [String]) -> [String] {
        let verb = command.first ?? ""
        return command + (["run", "show", "lint", "list"].contains(verb) ? ["--runbooks", root.path] : [])
            + (["run", "resume", "runs", "report"].contains(verb) ? ["--runs-dir", runs] : [])
    }

    func hold(_ id: String, _ point: String) { _ = FileManager.default.createFile(atPath: directory.path("hold-\(id)-\(point)"), contents: nil) }

    func release(_ id: String, _ point: String) { try? FileManager.default.removeItem(atPath: directory.path("hold-\(id)-\(point)")) }

    /// Waits until the step's script reached `point`; returns its pid (its process group: exec starts each program in one of its own).
    func reached(_ id: String, _ point: String, by running: RunningDrbook) async throws -> Int32 {
        let marker = directory.path("at-\(id)-\(point)")
        try await waitUntil("step \(id) to reach \(point) its side effect; drbook said:\n\(running.output)") {
            FileManager.default.fileExists(atPath: marker) || !running.process.isRunning
        }
        let text = try String(contentsOfFile: marker, encoding: .utf8)
        try FileManager.default.removeItem(atPath: marker)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// SIGKILL for drbook, and for the step's program, which lives on in its own process group
    /// (a real crash would leave it running too; here it must not finish its work later).
    func killBoth(_ running: RunningDrbook, step group: Int32?) async throws {
        running.killHard()
        let status = try await running.waitForExit()
        #expect(running.process.terminationReason == .uncaughtSignal && status == SIGKILL, "drbook was not killed: \(running.output)")
        if let group { kill(-group, SIGKILL) }
    }

    var effects: [String] {
        ((try? String(contentsOfFile: directory.path("effects"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    var runID: String {
        get throws {
            let ids = try FileManager.default.contentsOfDirectory(atPath: runs).filter { !$0.hasPrefix(".") }
            return try #require(ids.count == 1 ? ids.first : nil, "expected one run in \(runs), found \(ids)")
        }
    }

    /// The journal's events as JSON objects.
    func journal() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: "\(runs)/\(try runID)/journal.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    var lastVerdict: String? {
        get throws { try journal().last { $0["type"] as? String == "run-end" }?["verdict"] as? String }
    }

    /// Resumes until the run passes, answering for the unfinished step as the test knows it happened; asserts the whole story.
    func resumeToTheEnd(unfinished answer: String?) async throws {
        let id = try runID
        if let answer {
            // Unattended and unanswered, a resume must refuse to guess, touching nothing.
            let before = effects
            let refused = try await drbook(arguments(["resume", id, "--yes"]))
            #expect(refused.status == 3, "\(refused.all)")
            #expect(refused.all.contains("--skip-unfinished") && refused.all.contains("--rerun-unfinished"), "\(refused.all)")
            #expect(effects == before)
            let resumed = try await drbook(arguments(["resume", id, "--yes", answer]))
            #expect(resumed.status == 0, "\(resumed.all)")
        } else {
            let resumed = try await drbook(arguments(["resume", id, "--yes"]))
            #expect(resumed.status == 0, "\(resumed.all)")
        }
        #expect(effects.sorted() == Self.steps, "each side effect exactly once")
        #expect(try lastVerdict == "passed")
    }
}

@Suite("SIGKILL at every point of a run, then resume: every side effect exactly once", .offPoolOneAtATime)
struct ResumeMatrixTests {
    @Test("killed at the boundary before each step (waiting at its confirmation on a terminal), resume finishes the rest", arguments: CountedRun.steps)
    func killedAtBoundary(step: String) async throws {
        let run = try CountedRun()
        let terminal = try PseudoTerminal()
        let running = try await RunningDrbook.start(run.arguments(["run", "counted"]), terminal: terminal, in: run.root)
        let target = CountedRun.steps.firstIndex(of: step)!
        // Confirm each step before the target as its prompt appears; the target's prompt is the boundary.
        for index in 0...target {
            try await waitUntil("confirmation prompt \(index + 1) on the terminal:\n\(terminal.transcript)") {
                terminal.transcript.components(separatedBy: "Type 'yes' to run it").count - 1 > index || !running.process.isRunning
            }
            guard index < target else { break }
            #expect(terminal.transcript.contains("step '\(CountedRun.steps[index])' (Change"))
            terminal.type("yes\n")
        }
        #expect(terminal.transcript.contains("step '\(step)' (Change \(step.uppercased())) uses exec"))
        try await run.killBoth(running, step: nil)
        #expect(run.effects == Array(CountedRun.steps[..<target]))
        // At the boundary: the previous step ended, the target never started.
        let types = try run.journal().compactMap { $0["stepID"] as? String == step ? $0["type"] as? String : nil }
        #expect(!types.contains("step-start"))
        try await run.resumeToTheEnd(unfinished: nil)
    }

    @Test("killed in the middle of each step, before or after its side effect; resume is told which, and finishes", arguments: CountedRun.steps, ["before", "after"])
    func killedMidStep(step: String, point: String) async throws {
        let run = try CountedRun()
        run.hold(step, point)
        let running = try await RunningDrbook.start(run.arguments(["run", "counted", "--yes"]), in: run.root)
        let group = try await run.reached(step, point, by: running)
        try await run.killBoth(running, step: group)
        run.release(step, point)
        let target = CountedRun.steps.firstIndex(of: step)!
        #expect(run.effects == Array(CountedRun.steps[..<(point == "after" ? target + 1 : target)]))
        // The side effect happened after the point "after": the step completed, skip it; before, it did not: run it again.
        try await run.resumeToTheEnd(unfinished: point == "after" ? "--skip-unfinished" : "--rerun-unfinished")
    }

    @Test("a resume killed in the middle of a step is itself resumed")
    func killedDuringResume() async throws {
        let run = try CountedRun()
        run.hold("b", "after")
        let first = try await RunningDrbook.start(run.arguments(["run", "counted", "--yes"]), in: run.root)
        try await run.killBoth(first, step: try await run.reached("b", "after", by: first))
        run.release("b", "after")
        run.hold("c", "before")
        let id = try run.runID
        let resume = try await RunningDrbook.start(run.arguments(["resume", id, "--yes", "--skip-unfinished"]), in: run.root)
        try await run.killBoth(resume, step: try await run.reached("c", "before", by: resume))
        run.release("c", "before")
        #expect(run.effects == ["a", "b"])
        try await run.resumeToTheEnd(unfinished: "--rerun-unfinished")
        let decisions = try run.journal().filter { $0["type"] as? String == "decision" && $0["answer"] as? String != "confirmed" }
        #expect(decisions.map { "\($0["stepID"]!) \($0["answer"]!) \($0["by"]!)" }
            == ["b done skipUnfinished", "c unanswered nobody", "c rerun rerunUnfinished"])
    }

    @Test("on a terminal, resume says which step, what it touches and when it started, and takes the operator's 'skip'")
    func operatorAnswersOnTerminal() async throws {
        let run = try CountedRun()
        run.hold("b", "after")
        let first = try await RunningDrbook.start(run.arguments(["run", "counted", "--yes"]), in: run.root)
        try await run.killBoth(first, step: try await run.reached("b", "after", by: first))
        run.release("b", "after")
        let terminal = try PseudoTerminal()
        let resume = try await RunningDrbook.start(run.arguments(["resume", try run.runID, "--yes"]), terminal: terminal, in: run.root)
        try await waitUntil("the question about step b:\n\(terminal.transcript)") { terminal.transcript.contains("'skip'") || !resume.process.isRunning }
        let started = try #require(try run.journal().last { $0["type"] as? String == "step-start" && $0["stepID"] as? String == "b" }?["time"] as? String)
        #expect(terminal.transcript.contains("step 'b' (Change B) started at \(started) before the run stopped but never finished"))
        #expect(terminal.transcript.contains("sh \(run.directory.path("step.sh")) b"))
        terminal.type("skip\n")
        #expect(try await resume.waitForExit() == 0, "\(terminal.transcript)")
        #expect(run.effects == ["a", "b", "c", "d"])
        let decision = try #require(try run.journal().last { $0["type"] as? String == "decision" && $0["stepID"] as? String == "b" })
        #expect(decision["answer"] as? String == "done")
        #expect(decision["by"] as? String == "operator")
    }

    @Test("a second process cannot drive a run that is in progress; it names the holder, and the lock of a killed run is taken over")
    func lockAgainstTwoProcesses() async throws {
        let run = try CountedRun()
        run.hold("a", "before")
        let first = try await RunningDrbook.start(run.arguments(["run", "counted", "--yes"]), in: run.root)
        let group = try await run.reached("a", "before", by: first)
        let id = try run.runID
        let second = try await drbook(run.arguments(["resume", id, "--yes", "--rerun-unfinished"]))
        #expect(second.status == 2, "\(second.all)")
        #expect(second.all.contains("run \(id) is in use: drbook run (pid \(first.pid) on \(ProcessInfo.processInfo.hostName)"), "\(second.all)")
        #expect(second.all.contains("has held it since"))
        #expect(run.effects.isEmpty)
        let listed = try await drbook(["runs", "--runs-dir", run.runs])
        #expect(listed.all.contains("running: drbook run, pid \(first.pid)"), "\(listed.all)")
        try await run.killBoth(first, step: group)
        let crashed = try await drbook(["runs", "--runs-dir", run.runs])
        #expect(crashed.all.contains("crashed or killed (resumable)"), "\(crashed.all)")
        run.release("a", "before")
        try await run.resumeToTheEnd(unfinished: "--rerun-unfinished")
    }
}
