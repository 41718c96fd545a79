import Foundation

/// The URL shapes drbook recognises, each check returning what is wrong and how to fix it
/// (reference/alerting.md §9 for healthchecks ping URLs, §10.1 for Slack webhooks). A problem
/// describes the value's shape — segment counts, the host — never the secret parts.
enum URLShapes {
    typealias Problem = (String, String)

    static func checkURL(_ text: String) -> Problem? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return ("is not a URL", "set a full URL such as https://host/path")
        }
        guard ["http", "https"].contains(scheme) else {
            return ("is a \(scheme): URL; expected http or https", "set an http(s) URL")
        }
        guard let host = components.host, !host.isEmpty else {
            return ("is a URL without a host", "set a full URL such as https://host/path")
        }
        return nil
    }

    // MARK: - Slack

    static let slackHosts: Set<String> = ["hooks.slack.com", "hooks.slack-gov.com"]

    static func checkSlackWebhook(_ text: String) -> Problem? {
        let create = "create an incoming webhook for the alerts channel (Slack app → Incoming Webhooks) and set its URL"
        if text.hasPrefix("xox") {
            return ("is a Slack API token (xox…), not an incoming-webhook URL", create)
        }
        if let problem = checkURL(text) { return (problem.0, create) }
        let components = URLComponents(string: text)!
        let host = components.host!.lowercased()
        let segments = components.path.split(separator: "/").map(String.init)
        if host.hasSuffix(".slack.com"), components.path.hasPrefix("/services/hooks/incoming-webhook") {
            return ("is a legacy token-style Slack webhook (\(host)/services/hooks/incoming-webhook), which Slack retired", create)
        }
        guard slackHosts.contains(host) else {
            return ("is on \(host), not hooks.slack.com: not a Slack incoming webhook", create)
        }
        guard components.scheme?.lowercased() == "https" else {
            return ("uses http; Slack webhooks are https only", "set the https:// URL Slack shows")
        }
        if segments.first == "triggers" || segments.first == "workflows" {
            return ("is a Workflow Builder webhook (/\(segments[0])/…): posting to it starts a workflow, and Alertmanager's Slack notifier needs an incoming webhook (/services/…)", create)
        }
        guard segments.first == "services" else {
            return ("has a path that is not /services/T…/B…/…", create)
        }
        guard segments.count == 4 else {
            return ("has \(segments.count - 1) parts after /services/; an incoming webhook has 3 (T…/B…/secret)", "copy the whole URL from Slack")
        }
        if segments[1] == "T00000000" || segments[2] == "B00000000" || segments[3].allSatisfy({ $0 == "X" }) {
            return ("is Slack's documentation placeholder (T00000000/B00000000/XXXX…)", create)
        }
        guard segments[1].wholeMatch(of: /T[A-Z0-9]{6,}/) != nil else {
            return ("has a workspace part that is not T followed by capitals and digits", "copy the whole URL from Slack")
        }
        guard segments[2].wholeMatch(of: /B[A-Z0-9]{6,}/) != nil else {
            return ("has a webhook part that is not B followed by capitals and digits", "copy the whole URL from Slack")
        }
        guard segments[3].wholeMatch(of: /[A-Za-z0-9]{16,}/) != nil else {
            return ("has a secret part of \(segments[3].count) characters that are not all letters and digits (Slack's are 24)", "copy the whole URL from Slack")
        }
        if components.query != nil || components.fragment != nil {
            return ("has a query or fragment; an incoming-webhook URL has none", "copy the URL from Slack without additions")
        }
        return nil
    }

    // MARK: - Heartbeat (healthchecks ping URLs)

    static let hostedPingHost = "hc-ping.com"

    static func checkHeartbeat(_ text: String, extraEndpoints: [String]) -> Problem? {
        let create = "create the check in healthchecks (period ~5 min, grace ~10 min) and set its ping URL, e.g. https://hc-ping.com/<uuid>"
        if let problem = checkURL(text) { return (problem.0, create) }
        let components = URLComponents(string: text)!
        let host = components.host!.lowercased()
        let segments = components.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        // The part after the ping endpoint: hosted hc-ping.com/…, self-hosted <base>/ping/…, or a configured endpoint.
        let rest: [String]
        if let endpoint = extraEndpoints.first(where: { text.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
            let base = endpoint.hasSuffix("/") ? endpoint : endpoint + "/"
            rest = String(text.dropFirst(base.count).prefix { $0 != "?" && $0 != "#" }).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        } else if host == hostedPingHost {
            guard components.scheme?.lowercased() == "https" else {
                return ("uses http; hc-ping.com is https", "set the https:// ping URL")
            }
            rest = segments
        } else if let ping = segments.lastIndex(of: "ping") {
            rest = Array(segments[(ping + 1)...])
        } else {
            return ("is on \(host) with no /ping/ in its path: not a healthchecks ping URL (hosted https://hc-ping.com/<uuid>, self-hosted <base>/ping/<uuid>)",
                    create + "; for a self-hosted healthchecks with a custom PING_ENDPOINT, name it as a ping endpoint")
        }
        var parts = rest
        if parts.last == "" { parts.removeLast() }  // a trailing slash is accepted
        return checkPingPath(parts, create: create)
    }

    /// `<uuid>[/suffix]` or `<ping-key>/<slug>[/suffix]`.
    private static func checkPingPath(_ parts: [String], create: String) -> Problem? {
        guard let first = parts.first, !first.isEmpty else {
            return ("names no check after the ping endpoint (expected /<uuid> or /<ping-key>/<slug>)", create)
        }
        let uuidForm = first.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/) != nil
        if !uuidForm {
            if first.lowercased().wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/) != nil {
                return ("has a check UUID in capitals; healthchecks routes only lowercase UUIDs (404 not found)", "write the UUID in lowercase")
            }
            if first.lowercased().wholeMatch(of: /[0-9a-f]{32}/) != nil {
                return ("has a check UUID without dashes; healthchecks answers 404 for it", "copy the ping URL from healthchecks (8-4-4-4-12 form)")
            }
        }
        let suffixes = uuidForm ? Array(parts.dropFirst()) : Array(parts.dropFirst(2))
        if !uuidForm {
            guard parts.count >= 2 else {
                return ("is neither <uuid> nor <ping-key>/<slug> after the ping endpoint", create)
            }
            guard first.wholeMatch(of: /[A-Za-z0-9_-]{16,}/) != nil else {
                return ("has a first path part that is neither a check UUID nor a project ping key", create)
            }
            let slug = parts[1]
            if slug != slug.lowercased() {
                return ("has a slug with capitals; healthchecks rejects it (400 invalid url format)", "use the check's slug in lowercase")
            }
            guard slug.wholeMatch(of: /[a-z0-9_-]+/) != nil else {
                return ("has a slug with characters healthchecks slugs do not have", "copy the slug from the check's page")
            }
        }
        guard suffixes.count <= 1 else { return ("has extra path parts after the check", "use the check's ping URL itself") }
        if let suffix = suffixes.first {
            switch suffix {
            case "0": break  // exit status 0: a success ping
            case "fail": return ("ends in /fail: every Watchdog notification would report a failure", "drop /fail from the URL")
            case "start": return ("ends in /start: pings would only start a run, never complete one", "drop /start from the URL")
            case "log": return ("ends in /log: pings would be logged without counting as success", "drop /log from the URL")
            default:
                if let code = Int(suffix), (1...255).contains(code) {
                    return ("ends in /\(code): every ping would report exit status \(code), a failure", "drop /\(code) from the URL")
                }
                return ("ends in a path part healthchecks does not know as a suffix (/start, /fail, /log, /<0-255>)", "use the check's ping URL itself")
            }
        }
        return nil
    }
}
