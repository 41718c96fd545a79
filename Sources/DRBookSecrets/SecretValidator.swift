import Foundation

/// The verdict on one decrypted value. Holds only a redacted description, never the value.
public struct ValueVerdict: Sendable, Codable, Equatable {
    public var valid: Bool
    public var format: String
    /// Scheme, host and length (`RedactedValue`).
    public var redacted: String
    /// What is wrong, in words that follow "the value".
    public var problem: String?
    public var fix: String?
}

/// Checks decrypted values: set, not a placeholder, and of the expected format.
/// Messages never contain the value: they describe its shape (segment counts, lengths).
public struct SecretValidator: Sendable {
    public var placeholders: Placeholders
    /// Extra ping endpoints of a self-hosted healthchecks with a custom `PING_ENDPOINT`
    /// (e.g. `https://hc.example.org/p/`); `<base>/ping/` and `https://hc-ping.com/` are always known.
    public var pingEndpoints: [String]

    /// `placeholders` usually come from the platform profile (`Placeholders(platform:)`); without
    /// them only empty values and `.invalid` URLs count as never set.
    public init(placeholders: Placeholders = Placeholders(), pingEndpoints: [String] = []) {
        self.placeholders = placeholders
        self.pingEndpoints = pingEndpoints
    }

    public func validate(_ value: SecretValue, as format: ValueFormat, key name: String? = nil) -> ValueVerdict {
        let text = value.revealed
        let redacted = RedactedValue.describe(text)
        func invalid(_ problem: String, _ fix: String) -> ValueVerdict {
            ValueVerdict(valid: false, format: format.description, redacted: redacted, problem: problem, fix: fix)
        }
        let setIt = "set the real value with drbook secrets set KEY --file FILE"
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return invalid("is empty", setIt)
        }
        if let kind = placeholders.match(text, key: name) {
            return invalid("is \(kind)", setIt)
        }
        if format != .any, text != text.trimmingCharacters(in: .whitespacesAndNewlines) {
            return invalid("has leading or trailing whitespace or a newline", "set it again without the surrounding whitespace")
        }
        let problem: (String, String)? = switch format {
        case .any: nil
        case .url: URLShapes.checkURL(text)
        case .slackWebhook: URLShapes.checkSlackWebhook(text)
        case .heartbeatURL: URLShapes.checkHeartbeat(text, extraEndpoints: pingEndpoints)
        case let .regex(pattern): Self.checkRegex(text, pattern)
        }
        if let (problem, fix) = problem { return invalid(problem, fix) }
        return ValueVerdict(valid: true, format: format.description, redacted: redacted)
    }

    private static func checkRegex(_ text: String, _ pattern: String) -> (String, String)? {
        guard let regex = try? NSRegularExpression(pattern: pattern) else {
            return ("cannot be checked: '\(pattern)' is not a valid regular expression", "correct the format")
        }
        let range = NSRange(text.startIndex..., in: text)
        guard let match = regex.firstMatch(in: text, range: range), match.range == range else {
            return ("does not match \(pattern) (the whole value must match)", "set a value of that form")
        }
        return nil
    }
}
