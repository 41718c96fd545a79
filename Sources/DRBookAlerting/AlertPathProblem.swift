import Foundation

/// A judgement of the alert path that did not pass: what is wrong, on which object, and
/// what to do. The actions turn it into the step's failure word for word.
public struct AlertPathProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var subject: String?
    public var fix: String?

    public init(_ message: String, subject: String? = nil, fix: String? = nil) {
        self.message = message
        self.subject = subject
        self.fix = fix
    }

    public var description: String { subject.map { "\($0): \(message)" } ?? message }
}
