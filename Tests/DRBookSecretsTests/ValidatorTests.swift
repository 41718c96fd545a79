import DRBookPlatform
import DRBookSecrets
import Foundation
import Testing

@Suite("Validating decrypted values without ever showing them")
struct ValidatorTests {
    let validator = SecretValidator(placeholders: Placeholders(platform: .default))

    func verdict(_ value: String, _ format: ValueFormat, key: String? = nil) -> ValueVerdict {
        validator.validate(SecretValue(value), as: format, key: key)
    }

    @Test("Slack incoming-webhook URLs", arguments: [
        ("https://hooks.slack.com/services/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", nil),
        ("https://hooks.slack-gov.com/services/T0DRBOOK1/B0DRBOOK2/Zq7xV3mR9kP2wL8sN4tY6uB1", nil),
        ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "documentation placeholder"),
        ("http://hooks.slack.com/services/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", "uses http"),
        ("https://hooks.slack.com/triggers/T0DRBOOK1/123456/abcdefabcdef", "Workflow Builder webhook"),
        ("https://hooks.slack.com/workflows/T0DRBOOK1/A0000/123/abcdef", "Workflow Builder webhook"),
        ("https://myteam.slack.com/services/hooks/incoming-webhook?token=abcdefabcdef", "legacy token-style"),
        ("xoxb-123456789012-123456789012-abcdefabcdefabcdefabcdef", "Slack API token"),
        ("https://hooks.slack.com/services/T0DRBOOK1/B0DRBOOK2", "has 2 parts after /services/"),
        ("https://hooks.slack.com/services/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/extra", "has 4 parts"),
        ("https://hooks.slack.com/services/t0drbook1/B0DRBOOK2/Zq7xV3mR9kP2wL8sN4tY6uB1", "workspace part"),
        ("https://hooks.slack.com/services/T0DRBOOK1/X0DRBOOK2/Zq7xV3mR9kP2wL8sN4tY6uB1", "webhook part"),
        ("https://hooks.slack.com/services/T0DRBOOK1/B0DRBOOK2/short", "secret part of 5 characters"),
        ("https://hooks.slack.com/services/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?x=1", "query or fragment"),
        ("https://hooks.slack.com/api/chat.postMessage", "not /services/"),
        ("https://discord.com/api/webhooks/123/abc", "not hooks.slack.com"),
        ("https://example.invalid/no-webhook-configured", "reserved .invalid domain"),
        ("not a url at all", "is not a URL"),
        ("", "is empty"),
        ("   \n", "is empty"),
        (" https://hooks.slack.com/services/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\n", "whitespace"),
    ] as [(SecretText, String?)])
    func slack(secret: SecretText, problem: String?) {
        let value = secret.value
        let verdict = verdict(value, .slackWebhook)
        #expect(verdict.valid == (problem == nil), "\(verdict)")
        if let problem { #expect(verdict.problem?.contains(problem) == true, "\(verdict.problem ?? "no problem")") }
        expectHidden(value, verdict)
    }

    @Test("heartbeat ping URLs: hosted, self-hosted, ping-key/slug, suffixes", arguments: [
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c", nil),
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/", nil),
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/0", nil),
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c?rid=0e6b1f3a-0b4c-4d3e-8f2a-9c1b2d3e4f5a", nil),
        ("https://hc-ping.com/fqOOd6-F4MMNuCEnzTU01w/db-backups", nil),
        ("https://hc-ping.com/fqOOd6-F4MMNuCEnzTU01w/db-backups?create=1", nil),
        ("https://healthchecks.example.org/ping/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c", nil),
        ("http://localhost:8000/ping/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c", nil),
        ("https://ops.example.org/hc/ping/fqOOd6-F4MMNuCEnzTU01w/watchdog", nil),
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/fail", "ends in /fail"),
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/start", "ends in /start"),
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/log", "ends in /log"),
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/1", "exit status 1"),
        ("https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/300", "does not know as a suffix"),
        ("https://hc-ping.com/5F0C9A8E-3B1D-4C2E-9F7A-1D2E3F4A5B6C", "in capitals"),
        ("https://hc-ping.com/5f0c9a8e3b1d4c2e9f7a1d2e3f4a5b6c", "without dashes"),
        ("https://hc-ping.com/fqOOd6-F4MMNuCEnzTU01w/DB-Backups", "slug with capitals"),
        ("https://hc-ping.com/", "names no check"),
        ("http://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c", "uses http"),
        ("https://healthchecks.io/checks/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/details/", "no /ping/ in its path"),
        ("https://example.invalid/no-heartbeat-configured", "placeholder default"),
        ("https://hooks.slack.com/services/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", "no /ping/ in its path"),
    ] as [(SecretText, String?)])
    func heartbeat(secret: SecretText, problem: String?) {
        let value = secret.value
        let verdict = validator.validate(SecretValue(value), as: .heartbeatURL, key: "alertmanager_heartbeat_url")
        #expect(verdict.valid == (problem == nil), "\(verdict)")
        if let problem { #expect(verdict.problem?.contains(problem) == true, "\(verdict.problem ?? "no problem")") }
        expectHidden(value, verdict)
    }

    @Test("a self-hosted healthchecks with a custom ping endpoint is accepted once named")
    func customPingEndpoint() {
        let value = "https://hc.example.org/p/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c"
        #expect(!verdict(value, .heartbeatURL).valid)
        let custom = SecretValidator(pingEndpoints: ["https://hc.example.org/p"])
        #expect(custom.validate(SecretValue(value), as: .heartbeatURL).valid)
        #expect(!custom.validate(SecretValue("https://hc.example.org/p/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c/fail"), as: .heartbeatURL).valid)
    }

    @Test("the placeholder is a parameter: the platform default, or what the manifests say")
    func placeholders() {
        let heartbeat = "https://example.invalid/no-heartbeat-configured"
        #expect(verdict(heartbeat, .any, key: "alertmanager_heartbeat_url").problem?.contains("placeholder default the manifests substitute") == true)
        let other = SecretValidator(placeholders: Placeholders.fromManifests(["url: ${alertmanager_heartbeat_url:=https://hc-ping.com/00000000-0000-0000-0000-000000000000}"]))
        let verdict = other.validate(SecretValue("https://hc-ping.com/00000000-0000-0000-0000-000000000000"), as: .heartbeatURL, key: "alertmanager_heartbeat_url")
        #expect(verdict.problem?.contains("placeholder") == true)
        #expect(other.validate(SecretValue("https://hc-ping.com/00000000-0000-0000-0000-000000000000"), as: .heartbeatURL, key: "other").valid)
    }

    @Test("generic formats: url, any and regex (the whole value must match)", arguments: [
        ("url", "https://example.org/x", true),
        ("url", "ftp://example.org/x", false),
        ("url", "https:///nohost", false),
        ("any", "anything", true),
        ("regex:^[a-z]+-[0-9]+$", "abc-123", true),
        ("regex:[a-z]+", "abc-123", false),
        ("regex:[A-Z]{3}", "ABC", true),
    ])
    func generic(format: String, value: String, valid: Bool) throws {
        let verdict = verdict(value, try ValueFormat(parsing: format))
        #expect(verdict.valid == valid, "\(verdict)")
    }

    @Test("format names parse; unknown names and bad regexes are rejected with what is accepted")
    func formatParsing() throws {
        #expect(try ValueFormat(parsing: "slack-webhook") == .slackWebhook)
        #expect(try ValueFormat(parsing: "heartbeat-url") == .heartbeatURL)
        #expect(throws: ValueFormatError.self) { try ValueFormat(parsing: "email") }
        #expect(throws: ValueFormatError.self) { try ValueFormat(parsing: "regex:(") }
        // Formats by key name come from the platform profile.
        #expect(ValueFormat.inferred(forKey: "alertmanager_webhook_url", table: PlatformProfile.default.valueFormats) == .slackWebhook)
        #expect(ValueFormat.inferred(forKey: "dex_client_secret", table: PlatformProfile.default.valueFormats) == .any)
        #expect(ValueFormat.inferred(forKey: "alertmanager_webhook_url", table: [:]) == .any)
        let request = try SecretKeyRequest(parsing: "stringData.x=regex:^a=b$")
        #expect(request.path.description == "stringData.x")
        #expect(request.format == .regex("^a=b$"))
    }

    @Test("the redacted form shows scheme, host and length only")
    func redactedForm() {
        #expect(RedactedValue.describe("https://hooks.slack.com/services/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") == "https://hooks.slack.com/… (77 characters)")
        #expect(RedactedValue.describe("https://user:pass@host.example/x") == "https://host.example/… (32 characters)")
        #expect(RedactedValue.describe("hunter2") == "(7 characters)")
    }

    /// Nothing of the value past scheme and host appears in the verdict.
    func expectHidden(_ value: String, _ verdict: ValueVerdict, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = "\(verdict)"
        let secretPart: String
        if let components = URLComponents(string: value.trimmingCharacters(in: .whitespacesAndNewlines)), components.host != nil {
            secretPart = components.path + (components.query.map { "?" + $0 } ?? "")
        } else {
            secretPart = value
        }
        // The parts that carry secrets (ids, keys, tokens) have digits; path words like "services" do not.
        // Slack's public documentation placeholder (T00000000/B00000000) may be named.
        for part in secretPart.split(separator: "/") where part.count >= 8 && part.contains(where: \.isNumber)
            && !part.dropFirst().allSatisfy({ $0 == "0" }) {
            #expect(!text.contains(part), "a part of the value appears in the verdict", sourceLocation: sourceLocation)
        }
    }
}
