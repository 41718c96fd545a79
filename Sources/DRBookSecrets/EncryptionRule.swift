import Foundation

/// Which values of a file sops encrypts: the file's one selection rule (reference/secrets-gitops.md §1.4).
///
/// Every rule is tested against each key name on the path separately, as sops does:
/// `encrypted_regex: ^(data|stringData)$` selects everything under a `data` or `stringData`
/// key at any depth. Regexes are Go RE2 in sops; they are compiled here with ICU, which
/// agrees with RE2 on the patterns people write for this (anchors, groups, alternation, classes).
public enum EncryptionRule: Sendable, Equatable, Codable, CustomStringConvertible {
    case encryptedRegex(String)
    case unencryptedRegex(String)
    case encryptedSuffix(String)
    case unencryptedSuffix(String)
    /// Values chosen by the comments above them; comments are not visible to drbook's parser.
    case encryptedCommentRegex(String)
    case unencryptedCommentRegex(String)

    /// What sops assumes when a file names no rule.
    public static let sopsDefault = EncryptionRule.unencryptedSuffix("_unencrypted")

    /// The metadata field it comes from, and its value.
    public var field: (name: String, value: String) {
        switch self {
        case let .encryptedRegex(value): ("encrypted_regex", value)
        case let .unencryptedRegex(value): ("unencrypted_regex", value)
        case let .encryptedSuffix(value): ("encrypted_suffix", value)
        case let .unencryptedSuffix(value): ("unencrypted_suffix", value)
        case let .encryptedCommentRegex(value): ("encrypted_comment_regex", value)
        case let .unencryptedCommentRegex(value): ("unencrypted_comment_regex", value)
        }
    }

    public var description: String { "\(field.name) \(field.value)" }

    public enum Decision: Sendable, Equatable {
        case encrypted, plaintext
        /// The rule looks at comments, which drbook does not read.
        case undecidable
    }

    /// Whether sops encrypts a value with these key names on its path; nil when a regex does not compile.
    public func decide(_ keyNames: [String]) -> Decision? {
        switch self {
        case let .encryptedRegex(pattern):
            guard let regex = Self.compile(pattern) else { return nil }
            return keyNames.contains { Self.matches(regex, $0) } ? .encrypted : .plaintext
        case let .unencryptedRegex(pattern):
            guard let regex = Self.compile(pattern) else { return nil }
            return keyNames.contains { Self.matches(regex, $0) } ? .plaintext : .encrypted
        case let .encryptedSuffix(suffix):
            return keyNames.contains { $0.hasSuffix(suffix) } ? .encrypted : .plaintext
        case let .unencryptedSuffix(suffix):
            return keyNames.contains { $0.hasSuffix(suffix) } ? .plaintext : .encrypted
        case .encryptedCommentRegex, .unencryptedCommentRegex:
            return .undecidable
        }
    }

    /// Whether the rule's regex compiles (suffix rules always do).
    public var isValid: Bool {
        switch self {
        case let .encryptedRegex(pattern), let .unencryptedRegex(pattern),
             let .encryptedCommentRegex(pattern), let .unencryptedCommentRegex(pattern):
            Self.compile(pattern) != nil
        case .encryptedSuffix, .unencryptedSuffix:
            true
        }
    }

    static func compile(_ pattern: String) -> NSRegularExpression? {
        try? NSRegularExpression(pattern: pattern)
    }

    /// Unanchored, like Go's `regexp.Match`.
    static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
