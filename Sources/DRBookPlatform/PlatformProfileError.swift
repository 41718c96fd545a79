/// Where something was written in a profile: file, 1-based line and column (as Yams marks them).
public struct ProfilePosition: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// Why a platform profile cannot be used: every problem found, each with its position, and
/// what to do. Reading does not stop at the first problem, so one run shows them all.
public struct PlatformProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var position: ProfilePosition
        public var message: String
        public var description: String { "\(position): error: \(message)" }

        public init(position: ProfilePosition, message: String) {
            self.position = position
            self.message = message
        }
    }

    public var problems: [Problem]
    public var fix: String

    public init(_ problems: [Problem], fix: String = "correct the platform profile (its format: docs/platform-profile.md)") {
        self.problems = problems
        self.fix = fix
    }

    public init(at position: ProfilePosition, _ message: String, fix: String) {
        self.init([Problem(position: position, message: message)], fix: fix)
    }

    public var description: String {
        (problems.map(\.description) + ["fix: \(fix)"]).joined(separator: "\n")
    }
}
