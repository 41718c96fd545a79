import DRBookTestSupport
import Foundation
import Testing

@Suite("manual steps from the command line: an operator, --assume-manual-done, or a failure that says so", .offPoolOneAtATime)
struct OperatorStepCLITests {
    func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try """
        apiVersion: drbook/v1
        metadata: {name: by-hand, title: Work by hand}
        steps:
          - id: rotate
            title: Rotate the webhook
            uses: manual
            with:
              instructions: "Run sops set on the webhook URL, then push."
          - id: after
            title: Record it
            uses: exec
            destructive: true
            with:
              argv: [sh, -c, "echo after >> \(directory.path("effects"))"]
        """.write(toFile: directory.path("by-hand.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    func journal(_ runs: String) throws -> [[String: Any]] {
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: runs).first)
        let text = try String(contentsOfFile: "\(runs)/\(id)/journal.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test("unattended, a manual step stops the run with 'needs an operator' (exit 3); resuming with --assume-manual-done passes and journals the flag's decision")
    func unattendedThenAssumed() async throws {
        let directory = try workspace()
        let runs = directory.path("runs")
        let failed = try await drbook(["run", "by-hand", "--yes", "--runbooks", directory.url.path, "--runs-dir", runs])
        #expect(failed.status == 3, "\(failed.all)")
        #expect(failed.all.contains("Next: drbook resume "))
        #expect(failed.all.contains("needs an operator: Run sops set on the webhook URL, then push."))
        #expect(failed.all.contains("--assume-manual-done"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("effects")))
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: runs).first)
        let resumed = try await drbook(["resume", id, "--yes", "--assume-manual-done", "--runs-dir", runs])
        #expect(resumed.status == 0, "\(resumed.all)")
        #expect(resumed.all.contains("assumed done (--assume-manual-done); no operator confirmed it in this run"))
        let decision = try #require(try journal(runs).first { $0["type"] as? String == "decision" && $0["stepID"] as? String == "rotate" })
        #expect(decision["answer"] as? String == "done")
        #expect(decision["by"] as? String == "assumeManualDone")
    }

    @Test("on a terminal the operator reads the instructions and types done; the step passes and the journal says the operator confirmed it")
    func operatorOnTerminal() async throws {
        let directory = try workspace()
        let runs = directory.path("runs")
        let terminal = try PseudoTerminal()
        let running = try await RunningDrbook.start(["run", "by-hand", "--yes", "--runbooks", directory.url.path, "--runs-dir", runs],
                                                    terminal: terminal, in: directory.url)
        try await waitUntil("the manual step's question:\n\(terminal.transcript)") { terminal.transcript.contains("Type 'done'") || !running.process.isRunning }
        #expect(terminal.transcript.contains("step 'rotate' (Rotate the webhook) is work for a person"))
        #expect(terminal.transcript.contains("Run sops set on the webhook URL, then push."))
        terminal.type("done\n")
        #expect(try await running.waitForExit() == 0, "\(terminal.transcript)")
        #expect(terminal.transcript.contains("the operator said it is done"))
        let decision = try #require(try journal(runs).first { $0["type"] as? String == "decision" && $0["stepID"] as? String == "rotate" })
        #expect(decision["by"] as? String == "operator")
        #expect(try String(contentsOfFile: directory.path("effects"), encoding: .utf8) == "after\n")
    }
}
