import Foundation

/// One sample of Prometheus' text exposition format: `name{label="value",…} value`.
public struct MetricSample: Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var value: Double
}

public struct MetricsTextError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var problem: String
    public var description: String { "metrics line \(line), column \(column): \(problem)" }
}

/// The samples of one scrape of `/metrics`.
public struct MetricsSnapshot: Sendable {
    public var samples: [MetricSample]

    public init(samples: [MetricSample]) { self.samples = samples }

    /// Parses the text format (version 0.0.4): comments and `# HELP`/`# TYPE` lines are
    /// skipped, label values unescaped, timestamps ignored.
    public init(parsing text: String) throws {
        var samples: [MetricSample] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var parser = SampleParser(text: Array(trimmed.utf8), line: index + 1, indent: line.utf8.count - trimmed.utf8.count)
            samples.append(try parser.sample())
        }
        self.samples = samples
    }

    public func samples(named name: String) -> [MetricSample] { samples.filter { $0.name == name } }

    /// The value of an unlabelled metric, or the sum over its series.
    public func value(of name: String) -> Double? {
        let found = samples(named: name)
        return found.isEmpty ? nil : found.reduce(0) { $0 + $1.value }
    }
}

private struct SampleParser {
    let text: [UInt8]
    let line: Int
    let indent: Int
    var position = 0

    mutating func sample() throws -> MetricSample {
        let name = try identifier(what: "a metric name")
        var labels: [String: String] = [:]
        if peek == UInt8(ascii: "{") {
            position += 1
            while true {
                skipSpaces()
                if peek == UInt8(ascii: "}") { position += 1; break }
                let label = try identifier(what: "a label name")
                try expect("=")
                labels[label] = try quoted()
                skipSpaces()
                if peek == UInt8(ascii: ",") { position += 1; continue }
                try expect("}")
                break
            }
        }
        skipSpaces()
        let start = position
        while let byte = peek, byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t") { position += 1 }
        let word = String(decoding: text[start..<position], as: UTF8.self)
        guard let value = Self.number(word) else { throw failure("\"\(word)\" is not a sample value", at: start) }
        return MetricSample(name: name, labels: labels, value: value)
    }

    private var peek: UInt8? { position < text.count ? text[position] : nil }

    private mutating func skipSpaces() {
        while peek == UInt8(ascii: " ") || peek == UInt8(ascii: "\t") { position += 1 }
    }

    private mutating func identifier(what: String) throws -> String {
        let start = position
        while let byte = peek, byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || (byte >= 0x30 && byte <= 0x39 && position > start)
                || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z")) {
            position += 1
        }
        guard position > start else { throw failure("expected \(what)", at: start) }
        return String(decoding: text[start..<position], as: UTF8.self)
    }

    private mutating func expect(_ character: Character) throws {
        guard let ascii = character.asciiValue, peek == ascii else { throw failure("expected \"\(character)\"", at: position) }
        position += 1
    }

    private mutating func quoted() throws -> String {
        try expect("\"")
        var bytes: [UInt8] = []
        while let byte = peek {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let next = peek else { break }
                position += 1
                bytes.append(next == UInt8(ascii: "n") ? UInt8(ascii: "\n") : next)
            default:
                bytes.append(byte)
            }
        }
        throw failure("unterminated label value", at: position)
    }

    private static func number(_ word: String) -> Double? {
        switch word {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(word)
        }
    }

    private func failure(_ problem: String, at offset: Int) -> MetricsTextError {
        MetricsTextError(line: line, column: indent + offset + 1, problem: problem)
    }
}
