/// Where something was written: a file and a 1-based line and column.
///
/// Columns count Unicode scalars, as libYAML (and therefore Yams) does, so a
/// position computed here agrees with the marks Yams reports.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }

    /// The location reached after reading `text` from here.
    func advanced(over text: Substring) -> SourceLocation {
        var next = self
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                next.line += 1
                next.column = 1
            } else {
                next.column += 1
            }
        }
        return next
    }
}

/// A value together with the place it was written, so later checks can point at it.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Equatable where Value: Equatable {}
