/// The secrets drbook knows by their shape, for hiding them wherever they appear (even as a
/// literal nobody marked secret) and for lint to warn about a literal that has one. Each
/// pattern's first group is the part that is not secret and stays visible (scheme and host),
/// so `https://hooks.slack.com/services/[redacted]` still says what it was.
public enum SecretShapes {
    public struct Shape: Sendable {
        public var name: String
        /// A regular expression (ICU syntax); group 1 is kept as written.
        public var pattern: String
    }

    public static let all: [Shape] = [
        Shape(name: "a Slack webhook URL", pattern: #"(https?://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/)[A-Za-z0-9_/-]+"#),
        Shape(name: "a healthchecks ping URL", pattern: #"(https?://hc-ping\.com/)[A-Za-z0-9_-]+(?:/[A-Za-z0-9_.-]+)*"#),
        Shape(name: "a healthchecks ping URL", pattern: #"(https?://[^\s/"']+(?:/[^\s/"']+)*?/ping/)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:/[A-Za-z0-9_.-]+)*"#),
        Shape(name: "a Slack token", pattern: #"()xox[abposr]-[A-Za-z0-9-]{10,}"#),
        Shape(name: "an age secret key", pattern: #"()AGE-SECRET-KEY-1[0-9A-Z]{50,}"#),
    ]
}
