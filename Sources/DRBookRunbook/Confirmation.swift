import Foundation

/// Asks the operator before a step that changes things, before a step only a person can do, and
/// about a step a crash left unfinished. The CLI asks on the terminal; tests answer themselves.
public protocol ConfirmationPrompt: Sendable {
    /// Whether someone can answer: stdin and stdout are a terminal. Without one, the run stops
    /// before a step that needs an answer (unless a flag gave it in advance).
    var isInteractive: Bool { get }

    /// Shows the request and returns the operator's answer: true to go on (run the step, or
    /// the work by hand is done, or yes to the question).
    func confirm(_ request: ConfirmationRequest) async -> Bool

    /// For a mutating step that started before the run stopped and never finished (reason
    /// `.unfinishedBeforeResume`): did it complete, should it run again, or stop here?
    func decideUnfinished(_ request: ConfirmationRequest) async -> UnfinishedStepAnswer
}

/// The operator's answer about a step a crash left unfinished. Only they can know whether its
/// change happened (they can look at the cluster); the journal cannot.
public enum UnfinishedStepAnswer: String, Sendable, Equatable, CaseIterable {
    /// It did not run, or not completely: run it again.
    case rerun
    /// It completed before the run stopped: do not run it again; the step counts as skipped.
    case skip
    /// Decide later: the run stops before the step, still resumable.
    case stop
}

/// What a resume does with unfinished mutating steps when nobody is asked (`--rerun-unfinished`,
/// `--skip-unfinished`); `.ask` asks on the terminal and stops without one.
public enum UnfinishedStepPolicy: Sendable, Equatable {
    case ask
    case rerun
    case skip
}

/// What the operator is asked: which step, why it needs an answer, and exactly what it will touch.
public struct ConfirmationRequest: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// The step's action changes things (it is `destructive: true`).
        case destructive
        /// A resumed run found the step started but never finished; it may have done part of its work.
        case unfinishedBeforeResume
        /// The step is work the operator does by hand (`manual`); they say when it is done.
        case workByHand
        /// The step is a yes/no question for the operator (`confirm`).
        case question
    }

    public var stepID: String
    public var title: String
    public var action: String
    public var reason: Reason
    /// From the action's plan, redacted: what it touches, or for work by hand and questions, the instructions.
    public var touches: [String]
    /// When the unfinished step last started (`.unfinishedBeforeResume` only).
    public var startedAt: Date?

    public init(stepID: String, title: String, action: String, reason: Reason, touches: [String], startedAt: Date? = nil) {
        self.stepID = stepID
        self.title = title
        self.action = action
        self.reason = reason
        self.touches = touches
        self.startedAt = startedAt
    }

    /// One sentence saying why the operator is asked.
    public var explanation: String {
        switch reason {
        case .destructive:
            return "step '\(stepID)' (\(title)) uses \(action), which changes things"
        case .unfinishedBeforeResume:
            let when = startedAt.map { " at \(JournalTime.format($0))" } ?? ""
            return "step '\(stepID)' (\(title)) started\(when) before the run stopped but never finished; \(action) may have done all, part or none of its work, and running it again may repeat it"
        case .workByHand:
            return "step '\(stepID)' (\(title)) is work for a person: do it by hand, then say it is done"
        case .question:
            return "step '\(stepID)' (\(title)) needs the operator's yes"
        }
    }
}

/// The prompt for runs with no terminal: nobody can answer, so a step needing an answer stops the run.
public struct NoTerminalPrompt: ConfirmationPrompt {
    public init() {}

    public var isInteractive: Bool { false }

    public func confirm(_ request: ConfirmationRequest) async -> Bool { false }

    public func decideUnfinished(_ request: ConfirmationRequest) async -> UnfinishedStepAnswer { .stop }
}
