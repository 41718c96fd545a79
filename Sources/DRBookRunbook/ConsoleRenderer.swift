import Foundation

/// What a person sees of a run, computed from its events and a clock: lines that stay (one per
/// finished step, its log, decisions, the verdict) and, for a terminal, one status line redrawn
/// in place while a step has been running longer than `liveAfter` — a spinner, the elapsed
/// time and the action's last progress.
///
/// It is a value with no I/O, so it is tested without a terminal; the CLI only decides whether
/// there is one, prints the lines, and redraws the status line on a timer.
public struct ConsoleRenderer: Sendable {
    /// Steps shorter than this never get a status line: it would only flicker.
    public static let liveAfter: TimeInterval = 2
    /// Braille spinner frames, one per `frameInterval`.
    public static let frames: [Character] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
    public static let frameInterval: TimeInterval = 0.1

    private struct Running: Sendable {
        var title: String
        var started: Date
        var progress: ActionProgress?
    }

    public var color: Bool
    private var titles: [String: String] = [:]
    /// Steps started and not yet ended, in order of start (a preflight's key is `preflight:<id>`).
    private var running: [(id: String, step: Running)] = []
    /// Steps whose preflight blocked them: their findings are on screen already, so their
    /// step-end shows only its status line.
    private var blocked: Set<String> = []

    public init(color: Bool) {
        self.color = color
    }

    /// The lines that stay for `event`, and updates what the status line shows.
    public mutating func lines(for event: JournalEvent) -> [String] {
        switch event.kind {
        case let .runStart(start):
            return ["Run \(start.runID) of \(start.runbook)"]
        case let .runResume(resume):
            let rerun = resume.rerun.isEmpty ? "" : ", re-running \(resume.rerun.joined(separator: ", ")) for their secret outputs"
            return ["Resuming: \(resume.restored.count) finished step(s) kept\(rerun)"]
        case let .stepStart(start):
            titles[start.stepID] = start.title
            running.removeAll { $0.id == start.stepID }
            running.append((start.stepID, Running(title: start.title, started: event.time)))
            return []
        case let .stepProgress(progress):
            if let index = running.firstIndex(where: { $0.id == progress.stepID || $0.id == "preflight:\(progress.stepID)" }) { running[index].step.progress = progress.progress }
            return []
        case let .stepLog(log):
            return ["    \(log.line)"]
        case let .stepEnd(end):
            running.removeAll { $0.id == end.stepID }
            var line = "\(symbol(end.status)) \(end.title ?? titles[end.stepID] ?? end.stepID) (\(String(format: "%.1f", end.durationSeconds)) s)"
            if let reason = end.reason, end.status != .passed { line += ": \(reason)" }
            var lines = [line]
            if blocked.remove(end.stepID) != nil, !end.started { return lines }
            if let error = end.error { lines.append("    \(error)") }
            if let fix = end.fix { lines.append("    Fix: \(fix)") }
            return lines
        case let .preflightStart(start):
            titles[start.stepID] = start.title
            let key = "preflight:\(start.stepID)"
            running.removeAll { $0.id == key }
            running.append((key, Running(title: "preflight of \(start.title)", started: event.time)))
            return []
        case let .preflightEnd(end):
            running.removeAll { $0.id == "preflight:\(end.stepID)" }
            let title = titles[end.stepID] ?? end.stepID
            let outcome = end.interrupted == true ? ": interrupted" : end.passed ? "" : ": it found a reason not to run the step"
            var lines = ["\(end.passed ? symbol(.passed) : symbol(.failed)) preflight of \(title) (\(String(format: "%.1f", end.durationSeconds)) s)\(outcome)"]
            if !end.passed, end.interrupted != true { blocked.insert(end.stepID) }
            for finding in end.findings {
                lines.append("    \(finding.severity.rawValue): \(finding.description)")
                if let fix = finding.fix { lines.append("    Fix: \(fix)") }
            }
            return lines
        case let .cleanupStart(cleanup):
            return ["Cleanup (\(cleanup.reason)): \(cleanup.steps.joined(separator: ", "))"]
        case let .decision(decision):
            return ["    decision on '\(decision.stepID)': \(decision.answer.rawValue) (by \(decision.by.rawValue))"]
        case let .runEnd(end):
            running.removeAll()
            return ["Verdict: \(end.verdict.rawValue)\(end.message.map { " — \($0)" } ?? "")"]
        case .stepMetric, .stepResult, .stepOutput:
            return []
        }
    }

    /// The status line at `now`, at most `width` characters; nil while no step has run for `liveAfter`.
    /// With several steps running (a parallel group) it shows the longest-running one and how many more.
    public func statusLine(at now: Date, width: Int) -> String? {
        let long = running.filter { now.timeIntervalSince($0.step.started) >= Self.liveAfter }
        guard let (_, step) = long.first else { return nil }
        let elapsed = now.timeIntervalSince(step.started)
        let frame = Self.frames[Int((elapsed / Self.frameInterval).rounded(.down)) % Self.frames.count]
        var parts = ["\(frame) \(step.title)", Self.elapsed(elapsed)]
        if let progress = step.progress.flatMap(Self.describe) { parts.append(progress) }
        if running.count > 1 { parts.append("+\(running.count - 1) more running") }
        return Self.truncate(parts.joined(separator: "  "), to: width)
    }

    /// Whether a status line could appear, so the CLI can stop its timer between steps.
    public var hasRunningSteps: Bool { !running.isEmpty }

    static func elapsed(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds)
        return whole < 60 ? "\(whole)s" : whole < 3600 ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s"
            : "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }

    /// "45%", "3/7", "1.5 MiB/10.0 MiB", and the action's message — whichever the action reported.
    static func describe(_ progress: ActionProgress) -> String? {
        var parts: [String] = []
        let fraction = progress.fraction ?? progress.total.flatMap { total in
            total > 0 ? progress.completed.map { Double($0) / Double(total) } : nil
        }
        if let fraction { parts.append("\(Int((min(max(fraction, 0), 1) * 100).rounded(.down)))%") }
        if let completed = progress.completed {
            let shown = { (value: Int64) in progress.unit == .bytes ? bytes(value) : String(value) }
            parts.append(progress.total.map { "\(shown(completed))/\(shown($0))" } ?? shown(completed))
        }
        if let message = progress.message, !message.isEmpty { parts.append(message) }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// A status line longer than the terminal would wrap, and `\r` could no longer redraw it.
    static func truncate(_ line: String, to width: Int) -> String {
        let limit = max(width - 1, 10)
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }

    private func symbol(_ status: StepStatus) -> String {
        switch status {
        case .passed: return paint("✔", 32)
        case .failed: return paint("✘", 31)
        case .skipped: return paint("–", 33)
        case .aborted: return paint("■", 33)
        }
    }

    private func paint(_ text: String, _ code: Int) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
}
