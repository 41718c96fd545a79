import DRBookRunbook
import DRBookTestSupport
import Foundation
import Testing

@Suite("The console on a terminal and off it", .offPoolOneAtATime)
struct ConsoleTerminalTests {
    /// A runbook whose one step runs until the test creates `go`.
    func blockingRunbook(_ directory: TemporaryDirectory) throws {
        try """
        apiVersion: drbook/v1
        metadata: {name: slow, title: A slow step}
        steps:
          - id: slow
            title: Wait for the signal
            uses: exec
            destructive: true
            with:
              argv: [sh, -c, "while [ ! -e \(directory.path("go")) ]; do sleep 0.05; done"]
        """.write(toFile: directory.path("slow.yaml"), atomically: true, encoding: .utf8)
    }

    @Test("on a terminal a step running longer than 2 s gets a spinner with its elapsed time, redrawn in place; NO_COLOR keeps it but drops colour", arguments: [false, true])
    func spinnerOnTerminal(noColor: Bool) async throws {
        let directory = try TemporaryDirectory()
        try blockingRunbook(directory)
        let terminal = try PseudoTerminal()
        let running = try await RunningDrbook.start(["run", "slow", "--yes", "--runbooks", directory.url.path, "--runs-dir", directory.path("runs")],
                                                    terminal: terminal, environment: noColor ? ["NO_COLOR": "1", "TERM": "xterm"] : ["TERM": "xterm"],
                                                    in: directory.url)
        // Two redraws of the status line with different spinner frames, each starting with a carriage return and a line erase.
        let redraw = "\r\u{1B}[2K"
        try await waitUntil("two spinner frames on the terminal:\n\(terminal.transcript.debugDescription)") {
            let frames = Set(terminal.transcript.components(separatedBy: redraw).dropFirst().compactMap(\.first).filter(ConsoleRenderer.frames.contains))
            return frames.count >= 2 || !running.process.isRunning
        }
        let transcript = terminal.transcript
        // The elapsed time follows the title ("Wait for the signal  2s"); which second depends on the machine's speed.
        let status = try #require(transcript.components(separatedBy: redraw).last { $0.contains("Wait for the signal  ") })
        #expect(status.components(separatedBy: "Wait for the signal  ")[1].first?.isNumber == true, "\(status.debugDescription)")
        _ = FileManager.default.createFile(atPath: directory.path("go"), contents: nil)
        #expect(try await running.waitForExit() == 0, "\(terminal.transcript)")
        let final = terminal.transcript
        #expect(final.contains(redraw + "✔") || final.contains(redraw + "\u{1B}[32m✔"), "the status line is erased before the step's line")
        #expect(final.contains("\u{1B}[32m✔") == !noColor)
    }

    @Test("without a terminal: plain lines, one per step — no spinner, no carriage returns, no colour")
    func plainWithoutTerminal() async throws {
        let directory = try TemporaryDirectory()
        try blockingRunbook(directory)
        _ = FileManager.default.createFile(atPath: directory.path("go"), contents: nil)
        let result = try await drbook(["run", "slow", "--yes", "--runbooks", directory.url.path, "--runs-dir", directory.path("runs")])
        #expect(result.status == 0, "\(result.all)")
        #expect(!result.all.contains("\r"))
        #expect(!result.all.contains("\u{1B}"))
        #expect(result.all.split(separator: "\n").contains { $0.hasPrefix("✔ Wait for the signal (") })
    }
}
