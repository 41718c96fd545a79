import DRBookKube
import Foundation

/// RFC 6902 JSON patch (`kubectl patch --type json`): add, remove, replace, move, copy
/// and test on RFC 6901 pointers. A failing operation is 422, as the API server answers.
enum JSONPatch {
    static func apply(_ operations: JSONValue, to document: JSONValue) throws -> JSONValue {
        guard let list = operations.arrayValue else { throw invalid("the patch must be a JSON array of operations") }
        var document = document
        for operation in list {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw invalid("every operation needs \"op\" and \"path\"")
            }
            let pointer = try parse(path)
            switch op {
            case "add": document = try add(operation["value"] ?? .null, at: pointer, in: document)
            case "remove": document = try remove(pointer, from: document).document
            case "replace":
                guard value(at: pointer, in: document) != nil else { throw invalid("replace operation does not apply: doc is missing key: \(path)") }
                document = try add(operation["value"] ?? .null, at: pointer, in: try remove(pointer, from: document).document)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue, let source = value(at: try parse(from), in: document) else {
                    throw invalid("\(op) operation does not apply: doc is missing from path: \(operation["from"]?.stringValue ?? "")")
                }
                if op == "move" { document = try remove(try parse(from), from: document).document }
                document = try add(source, at: pointer, in: document)
            case "test":
                guard value(at: pointer, in: document) == (operation["value"] ?? .null) else {
                    throw invalid("testing value \(path) failed: test failed")
                }
            default:
                throw invalid("Unexpected kind: \(op)")
            }
        }
        return document
    }

    private static func parse(_ path: String) throws -> [String] {
        guard !path.isEmpty else { return [] }
        guard path.hasPrefix("/") else { throw invalid("JSON pointer must start with '/': \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
    }

    private static func value(at pointer: [String], in document: JSONValue) -> JSONValue? {
        var current: JSONValue? = document
        for token in pointer {
            switch current {
            case .object(let fields): current = fields[token]
            case .array(let items): current = Int(token).flatMap { items.indices.contains($0) ? items[$0] : nil }
            default: return nil
            }
        }
        return current
    }

    private static func add(_ value: JSONValue, at pointer: [String], in document: JSONValue) throws -> JSONValue {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var fields):
            if rest.isEmpty { fields[token] = value } else {
                guard let child = fields[token] else { throw invalid("add operation does not apply: doc is missing path: /\(pointer.joined(separator: "/"))") }
                fields[token] = try add(value, at: rest, in: child)
            }
            return .object(fields)
        case .array(var items):
            let index = token == "-" ? items.count : Int(token) ?? -1
            if rest.isEmpty {
                guard (0...items.count).contains(index) else { throw invalid("add operation does not apply: index \(token) out of bounds") }
                items.insert(value, at: index)
            } else {
                guard items.indices.contains(index) else { throw invalid("add operation does not apply: index \(token) out of bounds") }
                items[index] = try add(value, at: rest, in: items[index])
            }
            return .array(items)
        default:
            throw invalid("add operation does not apply: doc is missing path: /\(pointer.joined(separator: "/"))")
        }
    }

    private static func remove(_ pointer: [String], from document: JSONValue) throws -> (document: JSONValue, removed: JSONValue) {
        guard let token = pointer.first else { throw invalid("remove operation does not apply to the whole document") }
        let rest = Array(pointer.dropFirst())
        let missing = invalid("remove operation does not apply: doc is missing path: /\(pointer.joined(separator: "/"))")
        switch document {
        case .object(var fields):
            guard let child = fields[token] else { throw missing }
            if rest.isEmpty {
                fields[token] = nil
                return (.object(fields), child)
            }
            let (updated, removed) = try remove(rest, from: child)
            fields[token] = updated
            return (.object(fields), removed)
        case .array(var items):
            guard let index = Int(token), items.indices.contains(index) else { throw missing }
            if rest.isEmpty { return (.array({ items.remove(at: index); return items }()), document.arrayValue![index]) }
            let (updated, removed) = try remove(rest, from: items[index])
            items[index] = updated
            return (.array(items), removed)
        default:
            throw missing
        }
    }

    private static func invalid(_ message: String) -> APIError { APIError(.invalid, message) }
}
