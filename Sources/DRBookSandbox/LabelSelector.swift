import DRBookKube
import Foundation

/// A parsed `labelSelector` query: requirements joined by commas, each one of
/// `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists) and `!k`
/// (does not exist), as apimachinery's `labels.Parse` accepts them.
public struct LabelSelector: Sendable, Equatable {
    public enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    public init(parsing text: String) throws(APIError) {
        var requirements: [Requirement] = []
        for clause in Self.splitClauses(text) {
            requirements.append(try Self.requirement(clause, selector: text))
        }
        self.requirements = requirements
    }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            // `!=` also matches objects without the label, as in Kubernetes.
            case .notEquals(let key, let value): labels[key] != value
            case .in(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): labels[key].map { !values.contains($0) } ?? true
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }
    }

    /// Commas separate requirements except inside the parentheses of a set.
    private static func splitClauses(_ text: String) -> [String] {
        var clauses: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: clauses.append(current); current = ""
            default: current.append(character)
            }
        }
        clauses.append(current)
        return clauses.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func requirement(_ clause: String, selector: String) throws(APIError) -> Requirement {
        func invalid(_ why: String) -> APIError {
            APIError.badRequest("unable to parse requirement: \(why) in label selector \"\(selector)\"")
        }
        if clause.hasPrefix("!") {
            let key = clause.dropFirst().trimmingCharacters(in: .whitespaces)
            guard isKey(key) else { throw invalid("invalid label key \"\(key)\"") }
            return .doesNotExist(key)
        }
        for (operator_, make) in [("!=", Requirement.notEquals), ("==", Requirement.equals), ("=", Requirement.equals)] {
            if let range = clause.range(of: operator_) {
                let key = clause[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = clause[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard isKey(key) else { throw invalid("invalid label key \"\(key)\"") }
                guard isValue(value) else { throw invalid("invalid label value: \"\(value)\"") }
                return make(key, value)
            }
        }
        let words = clause.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 2 {
            let key = words[0]
            let rest = words[1].trimmingCharacters(in: .whitespaces)
            for (word, notIn) in [("notin", true), ("in", false)] where rest.hasPrefix(word) {
                let set = rest.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
                guard set.hasPrefix("("), set.hasSuffix(")") else { throw invalid("found '\(set)', expected: '('") }
                let values = Set(set.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                guard isKey(key) else { throw invalid("invalid label key \"\(key)\"") }
                return notIn ? .notIn(key, values) : .in(key, values)
            }
            throw invalid("found '\(rest)', expected: in, notin, =, ==, !=")
        }
        guard isKey(clause) else { throw invalid("invalid label key \"\(clause)\"") }
        return .exists(clause)
    }

    /// A label key: an optional DNS prefix and `/`, then a name of letters, digits, `-_.`.
    private static func isKey(_ key: String) -> Bool {
        guard !key.isEmpty, key.count <= 317 else { return false }
        return key.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
    }

    private static func isValue(_ value: String) -> Bool {
        value.count <= 63 && value.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    }
}

/// A parsed `fieldSelector` query: `path=value`, `path==value` and `path!=value`
/// joined by commas. Only the paths the resource declares selectable are accepted,
/// as a real API server refuses the others.
public struct FieldSelector: Sendable, Equatable {
    public struct Requirement: Sendable, Equatable {
        public var path: String
        public var value: String
        public var negated: Bool
    }

    public var requirements: [Requirement]

    public init(requirements: [Requirement] = []) { self.requirements = requirements }

    public init(parsing text: String, allowed: [String]) throws(APIError) {
        var requirements: [Requirement] = []
        for clause in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !clause.isEmpty {
            var parsed: Requirement?
            for (operator_, negated) in [("!=", true), ("==", false), ("=", false)] {
                if let range = clause.range(of: operator_) {
                    parsed = Requirement(path: String(clause[..<range.lowerBound]).trimmingCharacters(in: .whitespaces),
                                         value: String(clause[range.upperBound...]).trimmingCharacters(in: .whitespaces),
                                         negated: negated)
                    break
                }
            }
            guard let requirement = parsed else {
                throw APIError.badRequest("invalid selector: '\(text)'; can't understand '\(clause)'")
            }
            guard allowed.contains(requirement.path) else {
                // The wording of apimachinery's default field-label conversion.
                throw APIError.badRequest("\"\(requirement.path)\" is not a known field selector: only "
                                          + allowed.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            requirements.append(requirement)
        }
        self.requirements = requirements
    }

    public func matches(_ object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = Self.text(object[path: requirement.path.split(separator: ".").map(String.init)])
            return (actual == requirement.value) != requirement.negated
        }
    }

    /// A field as the server compares it: strings as they are, numbers and booleans as text, absent as "".
    private static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .bool(let flag): String(flag)
        case .double(let number): String(number)
        default: ""
        }
    }
}
