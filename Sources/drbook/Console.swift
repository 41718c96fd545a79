import DRBookRunbook
import Foundation

/// Shows a run as it happens: for people, the `ConsoleRenderer`'s lines (one per finished step)
/// and, on a terminal, its status line redrawn in place ten times a second; for machines, every
/// journal event as one JSON line. Events arrive already redacted by the engine.
final class ConsoleObserver: ExecutionObserver, @unchecked Sendable {
    enum Mode { case text, json }

    private let mode: Mode
    private let dryRun: Bool
    private let lock = NSLock()
    private var renderer: ConsoleRenderer
    /// Set on a terminal: redraws the status line.
    private var timer: DispatchSourceTimer?
    private var statusShown: String?
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// `live`: stdout is a terminal that can redraw a line (see `liveStatus`).
    init(mode: Mode, color: Bool, live: Bool, dryRun: Bool = false) {
        self.mode = mode
        self.dryRun = dryRun
        renderer = ConsoleRenderer(color: color)
        guard live, mode == .text else { return }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "drbook.console"))
        timer.schedule(deadline: .now(), repeating: .milliseconds(Int(ConsoleRenderer.frameInterval * 1000)))
        timer.setEventHandler { [weak self] in self?.redraw() }
        timer.resume()
        self.timer = timer
    }

    func record(_ event: JournalEvent) {
        lock.lock()
        defer { lock.unlock() }
        // A dry run's document is its plan; its events are not a journal.
        if mode == .json, dryRun { return }
        if mode == .json {
            if let data = try? encoder.encode(event) { write(String(decoding: data, as: UTF8.self) + "\n") }
            return
        }
        let lines = renderer.lines(for: event)
        if !lines.isEmpty {
            clearStatus()
            write(lines.map { $0 + "\n" }.joined())
        }
        if case .runEnd = event.kind {
            timer?.cancel()
            timer = nil
        } else if timer != nil {
            drawStatus()
        }
    }

    func planned(_ plan: DryRunPlan) {
        lock.lock()
        defer { lock.unlock() }
        clearStatus()
        if mode == .json {
            try? printDocument(.json, plan)
            return
        }
        write(plan.lines.map { $0 + "\n" }.joined())
    }

    private func redraw() {
        lock.lock()
        defer { lock.unlock() }
        drawStatus()
    }

    /// Call with the lock held.
    private func drawStatus() {
        let line = renderer.statusLine(at: Date(), width: terminalWidth())
        guard line != statusShown else { return }
        if let line {
            write("\r\u{1B}[2K" + line)
        } else {
            clearStatus()
        }
        statusShown = line
    }

    /// Call with the lock held.
    private func clearStatus() {
        guard statusShown != nil else { return }
        write("\r\u{1B}[2K")
        statusShown = nil
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Whether stdout can show a status line redrawn in place: a terminal that is not `TERM=dumb`.
func liveStatus() -> Bool {
    isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
}

/// The terminal's width in columns (80 when it cannot be asked).
func terminalWidth() -> Int {
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 80
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
        guard let line = readLine() else {
            // End of input: nobody will answer; end the prompt's line so what follows starts on its own.
            FileHandle.standardOutput.write(Data("\n".utf8))
            return nil
        }
        return line.trimmingCharacters(in: .whitespaces).lowercased()
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
