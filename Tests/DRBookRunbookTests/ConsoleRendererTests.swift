import Foundation
import Testing
@testable import DRBookRunbook

@Suite("The console: one line per step, and a live status line for long steps")
struct ConsoleRendererTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func event(_ kind: JournalEvent.Kind, at seconds: Double) -> JournalEvent {
        JournalEvent(kind, at: t0.addingTimeInterval(seconds))
    }

    func start(_ id: String, _ title: String, at seconds: Double) -> JournalEvent {
        event(.stepStart(.init(stepID: id, title: title, action: "test.sleep", mutates: false, inputs: [:])), at: seconds)
    }

    func end(_ id: String, _ status: StepStatus, after duration: Double, at seconds: Double, error: String? = nil, fix: String? = nil) -> JournalEvent {
        event(.stepEnd(.init(stepID: id, status: status, durationSeconds: duration, attempts: 1, error: error, fix: fix,
                             reason: nil, started: true)), at: seconds)
    }

    func progress(_ id: String, _ progress: ActionProgress, at seconds: Double) -> JournalEvent {
        event(.stepProgress(.init(stepID: id, progress: progress)), at: seconds)
    }

    @Test("a finished step is one line with its status, title and duration; a failure adds the error and the fix")
    func finishedLines() {
        var renderer = ConsoleRenderer(color: false)
        #expect(renderer.lines(for: start("a", "Check the store", at: 0)).isEmpty)
        #expect(renderer.lines(for: end("a", .passed, after: 0.42, at: 0.42)) == ["✔ Check the store (0.4 s)"])
        _ = renderer.lines(for: start("b", "Restore", at: 1))
        #expect(renderer.lines(for: end("b", .failed, after: 2, at: 3, error: "restore failed", fix: "look at velero restore logs"))
            == ["✘ Restore (2.0 s)", "    restore failed", "    Fix: look at velero restore logs"])
    }

    @Test("a step that never started (aborted, skipped) is shown by the title its step-end carries")
    func neverStarted() {
        var renderer = ConsoleRenderer(color: false)
        let end = event(.stepEnd(.init(stepID: "look", status: .aborted, durationSeconds: 0, attempts: 0, error: nil, fix: nil,
                                       reason: "step 'a' failed", started: false, title: "Look at Grafana")), at: 1)
        #expect(renderer.lines(for: end) == ["■ Look at Grafana (0.0 s): step 'a' failed"])
    }

    @Test("a step shorter than two seconds never gets a status line; a longer one does, with spinner and elapsed time")
    func statusAfterTwoSeconds() throws {
        var renderer = ConsoleRenderer(color: false)
        _ = renderer.lines(for: start("a", "Restore into the scratch namespace", at: 0))
        #expect(renderer.statusLine(at: t0.addingTimeInterval(1.9), width: 80) == nil)
        let line = try #require(renderer.statusLine(at: t0.addingTimeInterval(2.05), width: 80))
        #expect(line == "⠋ Restore into the scratch namespace  2s")
        #expect(renderer.statusLine(at: t0.addingTimeInterval(75.15), width: 80) == "⠙ Restore into the scratch namespace  1m15s")
        _ = renderer.lines(for: end("a", .passed, after: 80, at: 80))
        #expect(renderer.statusLine(at: t0.addingTimeInterval(81), width: 80) == nil)
    }

    @Test("the spinner turns with time: one frame per tenth of a second")
    func spinnerFrames() throws {
        var renderer = ConsoleRenderer(color: false)
        _ = renderer.lines(for: start("a", "Wait", at: 0))
        let frames = (0..<10).compactMap { renderer.statusLine(at: t0.addingTimeInterval(3 + Double($0) * 0.1 + 0.01), width: 80)?.first }
        #expect(frames == ConsoleRenderer.frames)
    }

    @Test("the action's last progress is shown: fraction, counts, bytes and its message", arguments: [
        (ActionProgress(fraction: 0.456), "45%"),
        (ActionProgress.items(3, of: 7, "PodVolumeRestores"), "42% · 3/7 · PodVolumeRestores"),
        (ActionProgress.bytes(1_572_864, of: 10_485_760), "15% · 1.5 MiB/10.0 MiB"),
        (ActionProgress.bytes(512, of: nil), "512 B"),
    ])
    func progressShown(progress: ActionProgress, shown: String) throws {
        var renderer = ConsoleRenderer(color: false)
        _ = renderer.lines(for: start("a", "Restore", at: 0))
        _ = renderer.lines(for: self.progress("a", progress, at: 1))
        #expect(renderer.statusLine(at: t0.addingTimeInterval(4), width: 120) == "⠋ Restore  4s  \(shown)")
    }

    @Test("with steps running in parallel the longest-running one is shown, with how many more")
    func parallel() {
        var renderer = ConsoleRenderer(color: false)
        _ = renderer.lines(for: start("a", "First", at: 0))
        _ = renderer.lines(for: start("b", "Second", at: 1))
        #expect(renderer.statusLine(at: t0.addingTimeInterval(5), width: 80) == "⠋ First  5s  +1 more running")
    }

    @Test("the status line never wraps: it is cut to the terminal's width")
    func truncated() throws {
        var renderer = ConsoleRenderer(color: false)
        _ = renderer.lines(for: start("a", String(repeating: "long title ", count: 20), at: 0))
        let line = try #require(renderer.statusLine(at: t0.addingTimeInterval(3), width: 40))
        #expect(line.count == 39)
        #expect(line.hasSuffix("…"))
    }

    @Test("colour only when asked: status symbols are painted, nothing else")
    func color() {
        var painted = ConsoleRenderer(color: true)
        _ = painted.lines(for: start("a", "A", at: 0))
        #expect(painted.lines(for: end("a", .passed, after: 1, at: 1)) == ["\u{1B}[32m✔\u{1B}[0m A (1.0 s)"])
        var plain = ConsoleRenderer(color: false)
        _ = plain.lines(for: start("a", "A", at: 0))
        #expect(!plain.lines(for: end("a", .passed, after: 1, at: 1)).joined().contains("\u{1B}"))
    }
}
