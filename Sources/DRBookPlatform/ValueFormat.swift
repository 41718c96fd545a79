import Foundation

/// What a secret's value must look like (a platform profile names one per secret, and
/// `--key PATH=FORMAT` overrides it): `any` (set and not a placeholder), `url`,
/// `slack-webhook`, `heartbeat-url`, or `regex:<pattern>` (the whole value must match).
///
/// It lives beside the platform profile, whose `format:` fields it parses, so that a bad format
/// is a file:line:column error when the profile loads; DRBookSecrets, which validates values
/// against it, names it with a typealias.
public enum ValueFormat: Sendable, Equatable, Codable, CustomStringConvertible {
    case any
    case url
    case slackWebhook
    case heartbeatURL
    case regex(String)

    /// Parses the names above; the error says what is accepted.
    public init(parsing text: String) throws(ValueFormatError) {
        switch text {
        case "any": self = .any
        case "url": self = .url
        case "slack-webhook", "slack": self = .slackWebhook
        case "heartbeat-url", "heartbeat": self = .heartbeatURL
        default:
            guard text.hasPrefix("regex:") else {
                throw ValueFormatError("'\(text)' is not a value format; use any, url, slack-webhook, heartbeat-url or regex:<pattern>")
            }
            let pattern = String(text.dropFirst("regex:".count))
            guard (try? NSRegularExpression(pattern: pattern)) != nil else {
                throw ValueFormatError("'\(pattern)' is not a valid regular expression (format regex:<pattern>)")
            }
            self = .regex(pattern)
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .url: "url"
        case .slackWebhook: "slack-webhook"
        case .heartbeatURL: "heartbeat-url"
        case let .regex(pattern): "regex:\(pattern)"
        }
    }

    /// What a person reads in a checklist: "a Slack incoming-webhook URL".
    public var noun: String {
        switch self {
        case .any: "a value"
        case .url: "a URL"
        case .slackWebhook: "a Slack incoming-webhook URL"
        case .heartbeatURL: "a heartbeat ping URL"
        case let .regex(pattern): "a value matching \(pattern)"
        }
    }

    /// The shortest value of this format, for a key-less hint on an encrypted value's length:
    /// `https://hooks.slack.com/services/T…/B…/` plus a 24-character secret is at least ~70,
    /// `https://hc-ping.com/` plus a UUID is 56; self-hosted bases can be shorter.
    public var plausibleMinimumLength: Int? {
        switch self {
        case .slackWebhook: 70
        case .heartbeatURL: 40
        default: nil
        }
    }

    /// The format of a key by its last name in `table` (a platform profile's `valueFormats`); other names get `any`.
    public static func inferred(forKey name: String?, table: [String: ValueFormat]) -> ValueFormat {
        name.flatMap { table[$0] } ?? .any
    }
}

public struct ValueFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
