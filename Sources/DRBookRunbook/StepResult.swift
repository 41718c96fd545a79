import Foundation

/// A typed result a step records besides its outputs — a store verdict with its volumes
/// and findings, say — kept whole in the journal, carried by `-o json` and the JSON report,
/// and rendered in the Markdown report by the renderer registered for its `kind`. The engine
/// knows no system's types: the result is the system's own JSON.
public struct StepResult: Sendable, Equatable, Codable {
    /// Names the shape, e.g. `velero.storeVerdict`; renderers are found by it.
    public var kind: String
    public var document: JSONDocument

    public init(kind: String, document: JSONDocument) {
        self.kind = kind
        self.document = document
    }

    /// `value` as its own `Encodable` conformance writes it (dates as RFC 3339).
    public init<T: Encodable>(kind: String, encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        self.init(kind: kind, document: try JSONDecoder().decode(JSONDocument.self, from: encoder.encode(value)))
    }

    /// The result read back as `type` (dates as RFC 3339).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: JSONEncoder().encode(document))
    }
}

/// Any JSON value. Integers stay integers, so a count read back decodes as `Int`.
public indirect enum JSONDocument: Sendable, Equatable, Codable {
    case object([String: JSONDocument])
    case array([JSONDocument])
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let whole = try? container.decode(Int64.self) { self = .integer(whole) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let items = try? container.decode([JSONDocument].self) { self = .array(items) }
        else { self = .object(try container.decode([String: JSONDocument].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .object(entries): try container.encode(entries)
        case let .array(items): try container.encode(items)
        case let .string(text): try container.encode(text)
        case let .integer(whole): try container.encode(whole)
        case let .number(number): try container.encode(number)
        case let .bool(flag): try container.encode(flag)
        case .null: try container.encodeNil()
        }
    }

    /// Every string passed through `redactor`: a result is free text too.
    public func redacted(by redactor: Redactor) -> JSONDocument {
        switch self {
        case let .object(entries): return .object(entries.mapValues { $0.redacted(by: redactor) })
        case let .array(items): return .array(items.map { $0.redacted(by: redactor) })
        case let .string(text): return .string(redactor.redact(text))
        case .integer, .number, .bool, .null: return self
        }
    }

    /// Pretty, sorted JSON text, for a report that has no renderer for the result's kind.
    public var prettyText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

/// How people read one kind of result: the same lines the command that makes it prints
/// (`drbook backups verify`'s verdict for `velero.storeVerdict`). Nil when the document
/// is not of the shape the renderer knows; the report then shows the JSON.
public struct StepResultRenderer: Sendable {
    public var kind: String
    public var render: @Sendable (StepResult) -> String?

    public init(kind: String, render: @escaping @Sendable (StepResult) -> String?) {
        self.kind = kind
        self.render = render
    }
}
