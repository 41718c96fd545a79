/// Asks the operator before a step that changes things. The CLI asks on the terminal; tests answer themselves.
public protocol ConfirmationPrompt: Sendable {
    /// Whether someone can answer: stdin and stdout are a terminal. Without one, and without
    /// --yes, the run stops before the step instead of asking.
    var isInteractive: Bool { get }

    /// Shows the request and returns the operator's answer: true to run the step.
    func confirm(_ request: ConfirmationRequest) async -> Bool
}

/// What the operator is asked to accept: which step, why it needs a yes, and exactly what it will touch.
public struct ConfirmationRequest: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// The step's action changes things (it is `destructive: true`).
        case destructive
        /// A resumed run found the step started but never finished; it may have done part of its work.
        case unfinishedBeforeResume
    }

    public var stepID: String
    public var title: String
    public var action: String
    public var reason: Reason
    /// From the action's plan, redacted.
    public var touches: [String]

    /// One sentence saying why the operator is asked.
    public var explanation: String {
        switch reason {
        case .destructive:
            return "step '\(stepID)' (\(title)) uses \(action), which changes things"
        case .unfinishedBeforeResume:
            return "step '\(stepID)' (\(title)) started before the run stopped but never finished; \(action) may have done part of its work, and running it again may repeat it"
        }
    }
}

/// The prompt for runs with no terminal: nobody can answer, so a step needing a yes stops the run.
public struct NoTerminalPrompt: ConfirmationPrompt {
    public init() {}

    public var isInteractive: Bool { false }

    public func confirm(_ request: ConfirmationRequest) async -> Bool { false }
}
