import Foundation

/// The one place secret values are taken out of text before it reaches the console, the journal,
/// a report or an error message.
///
/// It knows every secret value of a run — params and inputs marked secret,
/// environment variables named as secret, secret outputs as they appear —
/// and replaces each value and the forms it commonly travels in: base64
/// (standard and URL-safe, with or without padding, and inside a longer
/// base64 text at any byte alignment), percent-encoding (RFC 3986 strict,
/// everything but letters and digits, query, path, host and user-info style,
/// form style, either hex case) and JSON string escaping (with and without
/// escaped slashes, and with non-ASCII as \uXXXX). Values shorter
/// than four characters are ignored: replacing every "on" or "1" would
/// mangle the text and hide nothing.
///
/// Shared by everything in one run (a reference type), since secrets learned
/// by one step must be hidden in what every later step prints.
public final class Redactor: @unchecked Sendable {
    public static let replacement = "[redacted]"
    public static let minimumLength = 4

    private let lock = NSLock()
    private var secrets: Set<String> = []
    /// Every form of every secret, longest first, so a longer form is replaced before a shorter one inside it.
    private var forms: [String] = []

    /// Text that is secret by its shape wherever it appears, whether or not anyone marked it:
    /// a URL's user-info always, and the shapes the caller knows (a Slack webhook, a ping URL).
    private let shapes: [SecretShape]

    public init(secrets: [String] = [], shapes: [SecretShape] = []) {
        self.shapes = [SecretShape.urlUserInfo] + shapes
        for secret in secrets { add(secret) }
    }

    /// Registers a secret; a no-op for values too short to hide.
    public func add(_ secret: String) {
        guard secret.count >= Self.minimumLength else { return }
        lock.lock()
        defer { lock.unlock() }
        guard secrets.insert(secret).inserted else { return }
        let known = Set(forms)
        let new = Self.forms(of: secret).filter { $0.count >= Self.minimumLength && !known.contains($0) }
        forms = (forms + new).sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// Registers every string inside a value (a list of tokens, a map of credentials).
    public func add(_ value: Value) {
        switch value {
        case let .string(text): add(text)
        case let .list(items): items.forEach { add($0) }
        case let .map(entries): entries.values.forEach { add($0) }
        case .int, .bool, .duration, .time, .null: add(value.description)
        }
    }

    public var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return secrets.isEmpty
    }

    public func redact(_ text: String) -> String {
        lock.lock()
        let forms = self.forms
        lock.unlock()
        var result = text
        for form in forms where result.contains(form) {
            result = result.replacingOccurrences(of: form, with: Self.replacement)
        }
        for shape in shapes { result = shape.redact(result) }
        return result
    }

    /// The value with every string inside redacted.
    public func redact(_ value: Value) -> Value {
        switch value {
        case let .string(text): return .string(redact(text))
        case let .list(items): return .list(items.map { redact($0) })
        case let .map(entries): return .map(entries.mapValues { redact($0) })
        default: return value
        }
    }

    // MARK: - The forms a value travels in

    static func forms(of secret: String) -> [String] {
        var forms: Set<String> = [secret]
        forms.formUnion(base64Forms(of: Data(secret.utf8)))
        forms.formUnion(percentForms(of: secret))
        forms.formUnion(jsonForms(of: secret))
        return Array(forms)
    }

    private static func base64Forms(of bytes: Data) -> [String] {
        let standard = bytes.base64EncodedString()
        let unpadded = standard.trimmingCharacters(in: CharacterSet(charactersIn: "="))
        let urlSafe = unpadded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        var forms = [standard, unpadded, urlSafe]
        // Inside a longer base64 text the value starts at any of three byte offsets; the characters
        // that encode only its own bits are the same whatever surrounds it.
        for offset in 0...2 {
            let shifted = (Data(repeating: 0, count: offset) + bytes).base64EncodedString()
            let characters = Array(shifted)
            let first = (8 * offset + 5) / 6
            let end = (8 * (offset + bytes.count)) / 6
            guard end - first >= 8 else { continue }
            let core = String(characters[first..<end])
            forms.append(core)
            forms.append(core.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
        }
        return forms
    }

    private static func percentForms(of secret: String) -> [String] {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        var forms: [String] = []
        for allowed in [unreserved, .alphanumerics, .urlQueryAllowed, .urlPathAllowed, .urlHostAllowed, .urlUserAllowed, .urlPasswordAllowed] {
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: allowed) {
                forms.append(encoded)
                forms.append(lowercasingPercentHex(encoded))
            }
        }
        var formAllowed = unreserved
        formAllowed.insert(" ")
        if let form = secret.addingPercentEncoding(withAllowedCharacters: formAllowed)?.replacingOccurrences(of: " ", with: "+") {
            forms.append(form)
            forms.append(lowercasingPercentHex(form))
        }
        return forms
    }

    private static func lowercasingPercentHex(_ text: String) -> String {
        var result = ""
        var remaining = 0
        for character in text {
            if character == "%" {
                remaining = 2
                result.append(character)
            } else if remaining > 0 {
                remaining -= 1
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func jsonForms(of secret: String) -> [String] {
        var forms: [String] = []
        for formatting in [JSONEncoder.OutputFormatting(), .withoutEscapingSlashes] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            if let data = try? encoder.encode([secret]), let text = String(data: data, encoding: .utf8) {
                forms.append(String(text.dropFirst(2).dropLast(2)))
            }
        }
        // Encoders that escape everything outside ASCII as \uXXXX.
        var ascii = ""
        for unit in forms.last.map({ Array($0.utf16) }) ?? [] {
            if unit < 0x80 {
                ascii.append(Character(Unicode.Scalar(unit)!))
            } else {
                ascii += String(format: "\\u%04x", unit)
            }
        }
        forms.append(ascii)
        forms.append(ascii.replacingOccurrences(of: "/", with: "\\/"))
        return forms
    }
}

/// A kind of secret recognised by its shape (a regular expression), for text nobody marked.
// NSRegularExpression is immutable once made, and documented as safe to use from any thread.
public struct SecretShape: @unchecked Sendable {
    /// What it is, for a lint warning ("a Slack webhook URL").
    public var name: String
    private let expression: NSRegularExpression
    /// What a match becomes: `[redacted]`, or a template keeping the parts that are not secret.
    private let template: String

    public init(name: String, pattern: String, template: String = Redactor.replacement) {
        self.name = name
        // The patterns are drbook's own constants: one that does not compile is a programming error.
        expression = try! NSRegularExpression(pattern: pattern)
        self.template = template
    }

    /// `scheme://user:password@host`: user-info is a credential whatever the URL is for.
    public static let urlUserInfo = SecretShape(name: "a URL with user-info (a password in the URL)",
                                                pattern: #"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@\[\]"']+@"#,
                                                template: "$1\(Redactor.replacement)@")

    public func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    func redact(_ text: String) -> String {
        guard matches(text) else { return text }
        return expression.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }
}
