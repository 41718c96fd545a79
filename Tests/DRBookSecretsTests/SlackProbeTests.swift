import DRBookHTTP
import DRBookSecrets
import DRBookTestSupport
import Foundation
import Testing

@Suite("Probing a Slack webhook without posting: live, dead, unknown, unreachable")
struct SlackProbeTests {
    func url(_ base: URL, workspace: String) -> SecretValue {
        SecretValue(base.absoluteString + "/services/\(workspace)/B0PROBE01/Wq3eR5tY7uI9oP1aS3dF5gH7")
    }

    @Test("Slack's answers to an empty payload, each classified", arguments: [
        ("TLIVE0001", WebhookProbeResult.Verdict.live, 400, "no_text"),
        ("TOLDLIVE1", .live, 400, "missing_text_or_fallback_or_attachments"),
        ("TREVOKED1", .dead, 404, "no_service"),
        ("TTOKEN001", .dead, 403, "invalid_token"),
        ("TARCHIVED", .dead, 410, "channel_is_archived"),
        ("TLIMITED1", .unknown, 429, "rate_limited"),
        ("TBROKEN01", .unknown, 500, "rollup_error"),
        ("TOKAY0001", .unknown, 200, "ok"),
    ])
    func classifies(workspace: String, verdict: WebhookProbeResult.Verdict, status: Int, code: String) async throws {
        let slack = try await TestServers.shared.slack()
        let value = url(slack.baseURL, workspace: workspace)
        let result = await SlackWebhookProbe().probe(value)
        #expect(result.verdict == verdict, "\(result)")
        #expect(result.status == status)
        #expect(result.slackError == code)
        if status == 429 { #expect(result.retryAfter == 30) }
        if verdict == .dead { #expect(result.fix?.contains("drbook secrets set") == true) }
        #expect(!"\(result)".contains("Wq3eR5tY7uI9oP1aS3dF5gH7"))
    }

    @Test("a path Slack does not know is redirected to api.slack.com; the redirect is not followed")
    func redirect() async throws {
        let slack = try await TestServers.shared.slack()
        let result = await SlackWebhookProbe().probe(SecretValue(slack.baseURL.absoluteString + "/api/chat.postMessage"))
        #expect(result.verdict == .dead)
        #expect(result.status == 302)
        #expect(result.message.contains("redirects it to api.slack.com"))
    }

    @Test("no answer at all is unreachable, not invalid: a closed port and a server that never answers")
    func unreachable() async throws {
        let closed = await SlackWebhookProbe().probe(SecretValue("http://127.0.0.1:\(closedPort())/services/T0PROBE01/B0PROBE01/Wq3eR5tY7uI9oP1aS3dF5gH7"))
        #expect(closed.verdict == .unreachable, "\(closed)")
        #expect(closed.fix?.contains("says nothing about the webhook") == true)
        #expect(!"\(closed)".contains("Wq3eR5tY7uI9oP1aS3dF5gH7"))
        let slack = try await TestServers.shared.slack()
        let probe = SlackWebhookProbe(timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(1)))
        let slow = await probe.probe(url(slack.baseURL, workspace: "TSLOW0001"))
        #expect(slow.verdict == .unreachable, "\(slow)")
    }

    @Test("Workflow Builder URLs are never probed (a POST would start the workflow)")
    func workflowNotProbed() async throws {
        let slack = try await TestServers.shared.slack()
        let result = await SlackWebhookProbe().probe(SecretValue(slack.baseURL.absoluteString + "/triggers/T0PROBE01/123/abc"))
        #expect(result.verdict == .unknown)
        #expect(result.status == nil)
    }

    @Test("no probe ever posts a visible message")
    func neverPosts() async throws {
        let slack = try await TestServers.shared.slack()
        for workspace in ["TLIVE0002", "TOLDLIVE2", "TOKAY0002"] { _ = await SlackWebhookProbe().probe(url(slack.baseURL, workspace: workspace)) }
        let counts = try JSONSerialization.jsonObject(with: try Data(contentsOf: slack.baseURL.appendingPathComponent("posted"))) as? [String: Int]
        #expect(counts?["posted"] == 0)
        #expect((counts?["requests"] ?? 0) >= 3)
    }
}
