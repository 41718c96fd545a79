/// One problem found in a runbook, a profile or the command line: what, where, and how to fix it.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Comparable {
        case error
        case warning

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .error && rhs == .warning
        }
    }

    public var severity: Severity
    /// Nil for problems that have no place in a file, such as a bad `--param` flag.
    public var location: SourceLocation?
    /// What was found and what was expected.
    public var message: String
    /// What the reader can do about it, when that is not already plain from the message.
    public var fix: String?

    public init(_ severity: Severity, at location: SourceLocation?, _ message: String, fix: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.fix = fix
    }

    public static func error(at location: SourceLocation?, _ message: String, fix: String? = nil) -> Diagnostic {
        Diagnostic(.error, at: location, message, fix: fix)
    }

    public static func warning(at location: SourceLocation?, _ message: String, fix: String? = nil) -> Diagnostic {
        Diagnostic(.warning, at: location, message, fix: fix)
    }

    /// `file:line:column: error: message` — the shape compilers use, so editors can jump to it.
    public var description: String {
        var line = location.map { "\($0): " } ?? ""
        line += "\(severity.rawValue): \(message)"
        if let fix { line += " (\(fix))" }
        return line
    }
}

extension Array where Element == Diagnostic {
    /// Located diagnostics by file, line and column; unlocated ones after them in the order found.
    public func sortedByLocation() -> [Diagnostic] {
        enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case let (l?, r?) where l != r: return l < r
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }

    public var hasErrors: Bool { contains { $0.severity == .error } }

    public var errors: [Diagnostic] { filter { $0.severity == .error } }

    /// One diagnostic per line, ready to print.
    public func rendered() -> String {
        map(\.description).joined(separator: "\n")
    }
}

/// The error thrown when a runbook, profile or parameter set cannot be used; it carries every problem found.
public struct RunbookError: Error, Sendable, Equatable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sortedByLocation()
    }

    public var description: String { diagnostics.rendered() }
}
