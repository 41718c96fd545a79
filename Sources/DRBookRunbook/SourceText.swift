/// The raw text of a YAML file, for finding where a piece of a scalar really sits.
struct SourceText {
    private let lines: [[Unicode.Scalar]]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
    }

    /// How far past the starting line to look: a scalar rarely spans more, and
    /// looking further risks finding the same text in another scalar.
    private static let searchLines = 50

    /// The location of the first occurrence of `raw` at or after `start`, if it is on one line.
    func find(_ raw: String, from start: SourceLocation) -> SourceLocation? {
        let needle = Array(raw.unicodeScalars)
        guard !needle.isEmpty, !needle.contains("\n") else { return nil }
        let lastLine = min(lines.count, start.line + Self.searchLines)
        guard start.line >= 1, start.line <= lastLine else { return nil }
        for lineNumber in start.line...lastLine {
            let line = lines[lineNumber - 1]
            let firstColumn = lineNumber == start.line ? start.column : 1
            guard line.count - needle.count >= firstColumn - 1 else { continue }
            for column in firstColumn...(line.count - needle.count + 1)
            where Array(line[(column - 1)..<(column - 1 + needle.count)]) == needle {
                return SourceLocation(file: start.file, line: lineNumber, column: column)
            }
        }
        return nil
    }
}
