import Foundation

/// Any JSON document, kept whole: what the API server stores and returns, so that an
/// object read and written back loses no field drbook does not model. Integers stay
/// integers (a `Double` would round large ones).
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Int.self) { self = .int(value); return }
        if let value = try? container.decode(Double.self) { self = .double(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([JSONValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: JSONValue].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    // MARK: reading

    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let fields) = self else { return nil }
            return fields[key]
        }
        set {
            guard case .object(var fields) = self else { return }
            fields[key] = newValue
            self = .object(fields)
        }
    }

    /// The value at a dotted path such as `metadata.labels`; nil when any part is missing.
    public subscript(path path: [String]) -> JSONValue? {
        var current: JSONValue? = self
        for key in path { current = current?[key] }
        return current
    }

    /// Sets the value at `path`, creating objects on the way.
    public mutating func set(_ value: JSONValue?, at path: [String]) {
        guard let first = path.first else {
            self = value ?? .null
            return
        }
        if case .object = self {} else { self = .object([:]) }
        var child = self[first] ?? .object([:])
        if path.count == 1 {
            self[first] = value
            return
        }
        child.set(value, at: Array(path.dropFirst()))
        self[first] = child
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value: return Int(value)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    // MARK: converting

    /// Encodes a Codable value into a JSONValue.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try KubeJSON.encoder().encode(value)
        self = try KubeJSON.decoder().decode(JSONValue.self, from: data)
    }

    public init(data: Data) throws {
        self = try KubeJSON.decoder().decode(JSONValue.self, from: data)
    }

    /// Decodes this document as `type`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try KubeJSON.decoder().decode(type, from: data())
    }

    /// Compact JSON with sorted keys, so equal documents have equal bytes.
    public func data() throws -> Data {
        try KubeJSON.encoder().encode(self)
    }

    // MARK: JSON merge patch (RFC 7386)

    /// This document with `patch` applied as a JSON merge patch: objects merge key by
    /// key, `null` deletes a key, anything else replaces.
    public func applyingMergePatch(_ patch: JSONValue) -> JSONValue {
        guard case .object(let patchFields) = patch else { return patch }
        var fields = objectValue ?? [:]
        for (key, value) in patchFields {
            if value == .null {
                fields.removeValue(forKey: key)
            } else {
                fields[key] = (fields[key] ?? .null).applyingMergePatch(value)
            }
        }
        return .object(fields)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

/// Kubernetes JSON conventions shared by the client and the sandbox: RFC 3339 times
/// (`2026-08-15T02:17:00Z`, fractional seconds accepted), sorted keys on output.
public enum KubeJSON {
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTime(date))
        }
        return encoder
    }

    public static func parseTime(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A decoding failure in words: where in the document, and what was wrong.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the document" : String(text.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing field '\(key.stringValue)'"
        @unknown default:
            return String(describing: error)
        }
    }

    /// `2026-08-15T02:17:00Z`, as Kubernetes writes `metav1.Time`.
    public static func formatTime(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
