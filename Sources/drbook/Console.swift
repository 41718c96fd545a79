import DRBookRunbook
import Foundation

/// Renders a run as it happens: one line per finished step (status, title, duration)
/// for people, or every journal event as one JSON line for machines. Events arrive
/// already redacted by the engine.
final class ConsoleObserver: ExecutionObserver, @unchecked Sendable {
    enum Mode { case text, json }

    private let mode: Mode
    private let color: Bool
    private let lock = NSLock()
    private var titles: [String: String] = [:]
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    init(mode: Mode, color: Bool) {
        self.mode = mode
        self.color = color
    }

    func record(_ event: JournalEvent) {
        lock.lock()
        defer { lock.unlock() }
        if mode == .json {
            if let data = try? encoder.encode(event) { emit(String(decoding: data, as: UTF8.self)) }
            return
        }
        switch event.kind {
        case let .runStart(start):
            emit("Run \(start.runID) of \(start.runbook)")
        case let .runResume(resume):
            emit("Resuming: \(resume.restored.count) finished step(s) kept\(resume.rerun.isEmpty ? "" : ", re-running \(resume.rerun.joined(separator: ", ")) for their secret outputs")")
        case let .stepStart(start):
            titles[start.stepID] = start.title
        case let .stepLog(log):
            emit("    \(log.line)")
        case let .stepEnd(end):
            let title = titles[end.stepID] ?? end.stepID
            let symbol: String
            switch end.status {
            case .passed: symbol = paint("✔", 32)
            case .failed: symbol = paint("✘", 31)
            case .skipped: symbol = paint("–", 33)
            case .aborted: symbol = paint("■", 33)
            }
            var line = "\(symbol) \(title) (\(String(format: "%.1f", end.durationSeconds)) s)"
            if let reason = end.reason, end.status != .passed { line += ": \(reason)" }
            emit(line)
            if let error = end.error { emit("    \(error)") }
            if let fix = end.fix { emit("    Fix: \(fix)") }
        case let .decision(decision):
            emit("    operator: \(decision.answer.rawValue)")
        case let .runEnd(end):
            emit("Verdict: \(end.verdict.rawValue)\(end.message.map { " — \($0)" } ?? "")")
        case .stepProgress, .stepMetric, .stepOutput:
            break
        }
    }

    func planned(_ plan: DryRunPlan) {
        lock.lock()
        defer { lock.unlock() }
        for line in plan.lines { emit(line) }
    }

    private func paint(_ text: String, _ code: Int) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// Asks on the terminal: before a step that changes things, for work by hand, for a yes/no
/// question, and about a step a crash left unfinished. Refuses to guess without a terminal.
struct TerminalPrompt: ConfirmationPrompt {
    var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    func confirm(_ request: ConfirmationRequest) async -> Bool {
        var text = Self.describe(request)
        switch request.reason {
        case .destructive, .unfinishedBeforeResume:
            text += "Type 'yes' to run it, anything else to stop: "
        case .workByHand:
            text += "Type 'done' once the work is done, anything else to stop: "
        case .question:
            text += "Type 'yes' to go on, anything else to stop: "
        }
        let expected = request.reason == .workByHand ? "done" : "yes"
        return Self.ask(text) == expected
    }

    func decideUnfinished(_ request: ConfirmationRequest) async -> UnfinishedStepAnswer {
        let text = Self.describe(request) + """
            Did it complete? Check what it touches, then type
              'skip'   it completed: do not run it again
              'rerun'  it did not run, or not completely: run it again
              anything else to stop here (resume later)
            : 
            """
        switch Self.ask(text) {
        case "skip": return .skip
        case "rerun": return .rerun
        default: return .stop
        }
    }

    private static func describe(_ request: ConfirmationRequest) -> String {
        var text = "\n\(request.explanation).\n"
        if !request.touches.isEmpty {
            let heading: String
            switch request.reason {
            case .destructive, .unfinishedBeforeResume: heading = "It touches:"
            case .workByHand: heading = "Instructions:"
            case .question: heading = "Question:"
            }
            text += heading + "\n" + request.touches.map { "  \($0)" }.joined(separator: "\n") + "\n"
        }
        return text
    }

    private static func ask(_ text: String) -> String? {
        FileHandle.standardOutput.write(Data(text.utf8))
        return readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
    }
}

/// Colour only on a terminal, and never when NO_COLOR is set.
func useColor(_ disabled: Bool) -> Bool {
    !disabled && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
}

/// Runs `operation`, cancelling it on Ctrl-C (SIGINT) or SIGTERM so the journal ends cleanly.
func cancellingOnInterrupt<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await operation() }
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    return try await task.value
}
