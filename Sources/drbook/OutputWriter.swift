import ArgumentParser
import Foundation
import DRBookKube
import Yams

/// `-o text|json|yaml`: text for people; for scripts a JSON or YAML document and nothing
/// else on stdout (notes and next steps go to stderr).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, yaml

    /// Whether stdout carries a document, so human lines must go to stderr.
    var isDocument: Bool { self != .text }
}

/// The one writer of documents on stdout: JSON with sorted keys and ISO 8601 times, or the
/// same data as YAML (what kubectl users expect from `-o yaml`).
func printDocument<T: Encodable>(_ format: OutputFormat, _ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    try printDocument(format, json: encoder.encode(value))
}

/// A document some type already encoded as JSON (a report with its own time format), as JSON or YAML.
func printDocument(_ format: OutputFormat, json: Data) throws {
    switch format {
    case .json, .text:
        print(String(decoding: json, as: UTF8.self))
    case .yaml:
        // Through JSON, so both documents hold the same fields, times and numbers.
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        print(try encoder.encode(JSONDecoder().decode(JSONValue.self, from: json)), terminator: "")
    }
}

/// Human lines that must not mix into a document on stdout: to stderr when stdout carries one.
func printHuman(_ text: String, _ format: OutputFormat) {
    if format.isDocument {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    } else {
        print(text)
    }
}
