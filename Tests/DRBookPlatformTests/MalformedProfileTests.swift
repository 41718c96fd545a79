import DRBookPlatform
import Foundation
import Testing

/// One mistake in an otherwise good profile, and the error it must give, at the place of `at`.
struct Mistake: Sendable, CustomTestStringConvertible {
    var name: String
    var replace: String
    var with: String
    /// The text whose first character the error points at, in the changed profile.
    var at: String
    var message: String

    var testDescription: String { name }
}

/// The 1-based line and column of the first occurrence of `needle` (columns count characters, as libYAML does for ASCII).
func position(of needle: String, in text: String) -> (line: Int, column: Int)? {
    guard let range = text.range(of: needle) else { return nil }
    let before = text[..<range.lowerBound]
    let line = before.filter { $0 == "\n" }.count + 1
    let column = before.count - (before.lastIndex(of: "\n").map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
    return (line, column)
}

@Suite("A malformed platform profile: every problem with file:line:column and what was expected")
struct MalformedProfileTests {
    static let good = PlatformProfile.builtinText(named: "default")!

    static let mistakes: [Mistake] = [
        Mistake(name: "a misspelt key", replace: "  prefixVariable: r2_prefix_velero", with: "  prefixVariabel: r2_prefix_velero",
                at: "prefixVariabel", message: "store has unknown key 'prefixVariabel' (did you mean 'prefixVariable'?); expected one of: credentials, prefixVariable, definedIn"),
        Mistake(name: "a value format that does not exist", replace: "format: slack-webhook", with: "format: slack-hook",
                at: "slack-hook", message: "alerting.slackWebhook.format: 'slack-hook' is not a value format; use any, url, slack-webhook, heartbeat-url or regex:<pattern>"),
        Mistake(name: "a reference to a SOPS file the profile does not name", replace: "    file: base", with: "    file: basis",
                at: "basis", message: "store.credentials.file is 'basis', which sops does not name; expected one of: cluster, base"),
        Mistake(name: "a size that is not a quantity", replace: "size: 20Gi", with: "size: twenty",
                at: "twenty", message: "a claim's size is 'twenty'; expected a storage quantity such as 20Gi, 500Mi or 10G"),
        Mistake(name: "a duration that is not one", replace: "repeatInterval: 50s", with: "repeatInterval: 50 seconds",
                at: "50 seconds", message: "heartbeat.alertmanagerRoute.repeatInterval is '50 seconds'; expected a duration such as 50s, 5m or 1h30m"),
        Mistake(name: "a key reserved for later work", replace: "namespaces:\n", with: "secretChains: []\nnamespaces:\n",
                at: "secretChains", message: "the platform profile has 'secretChains', which is reserved for each secret's chain of hops from git to its consumer and not read by this drbook yet; remove it"),
        Mistake(name: "a required key left out", replace: "    receiver: heartbeat\n", with: "",
                at: "namespace: monitoring\n    alertname", message: "heartbeat.alertmanagerRoute has no 'receiver'; expected one"),
        Mistake(name: "two heartbeat sources", replace: "  monitor:\n", with: "  cronJob: {namespace: monitoring, name: ping, schedule: \"* * * * *\"}\n  monitor:\n",
                at: "alertmanagerRoute:", message: "heartbeat has both alertmanagerRoute and cronJob; expected the one that pings the monitor"),
        Mistake(name: "a namespace that is not a Kubernetes name", replace: "  observability: monitoring", with: "  observability: Monitoring",
                at: "Monitoring", message: "namespaces.observability is 'Monitoring'; expected a Kubernetes name (lowercase letters, digits and '-')"),
        Mistake(name: "another apiVersion", replace: "apiVersion: drbook/v1", with: "apiVersion: drbook/v2",
                at: "drbook/v2", message: "apiVersion is 'drbook/v2'; expected drbook/v1"),
        Mistake(name: "a key path that is not one", replace: "key: stringData.alertmanager_webhook_url", with: "key: alertmanager webhook",
                at: "alertmanager webhook", message: "alerting.slackWebhook.key is 'alertmanager webhook'; expected a key path of names joined by dots, e.g. stringData.some_key"),
    ]

    @Test("each mistake is reported where it was made", arguments: mistakes)
    func reported(_ mistake: Mistake) throws {
        #expect(Self.good.contains(mistake.replace), "the default profile no longer has '\(mistake.replace)'")
        let text = Self.good.replacingOccurrences(of: mistake.replace, with: mistake.with)
        let at = try #require(position(of: mistake.at, in: text))
        #expect {
            try PlatformProfile.load(yaml: text, file: "platforms/broken.yaml")
        } throws: { error in
            guard let error = error as? PlatformProfileError else { return false }
            let expected = "platforms/broken.yaml:\(at.line):\(at.column): error: \(mistake.message)"
            let found = error.problems.map(\.description)
            if !found.contains(expected) { Issue.record("expected \(expected)\nfound:\n\(found.joined(separator: "\n"))") }
            return found.contains(expected)
        }
    }

    @Test("every problem is reported in one go, not only the first")
    func allAtOnce() {
        let text = Self.good.replacingOccurrences(of: "format: slack-webhook", with: "format: slack-hook")
            .replacingOccurrences(of: "    file: base", with: "    file: basis")
        #expect {
            try PlatformProfile.load(yaml: text, file: "p.yaml")
        } throws: { error in
            (error as? PlatformProfileError)?.problems.count == 2
        }
    }

    @Test("invalid YAML and an empty file name the file, the place and the fix")
    func notAProfile() {
        #expect {
            try PlatformProfile.load(yaml: "name: [default\n", file: "p.yaml")
        } throws: { error in
            guard let error = error as? PlatformProfileError, let first = error.problems.first else { return false }
            return first.position.file == "p.yaml" && first.position.line >= 1 && first.message.hasPrefix("invalid YAML") && error.fix.contains("valid YAML")
        }
        #expect {
            try PlatformProfile.load(yaml: "", file: "p.yaml")
        } throws: { error in
            (error as? PlatformProfileError)?.description.hasPrefix("p.yaml:1:1: error: the platform profile is empty") == true
        }
    }
}
