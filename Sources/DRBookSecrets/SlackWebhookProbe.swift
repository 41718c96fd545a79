import DRBookHTTP
import Foundation

/// What probing a Slack incoming webhook found. Holds Slack's error code, never the URL's secret.
public struct WebhookProbeResult: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        /// Slack rejected the empty payload as a live webhook does (`no_text`, `missing_text_or_fallback_or_attachments`).
        case live
        /// Revoked, unknown, archived or disabled: Slack said so (`no_service`, `invalid_token`, …) or redirected away.
        case dead
        /// An answer that proves neither (rate limited, a Slack error, an unexpected body).
        case unknown
        /// No answer from Slack at all: DNS, connection, TLS or timeout. Not a verdict on the webhook.
        case unreachable
    }

    public var verdict: Verdict
    public var status: Int?
    /// Slack's plain-text error code, when the body is one (`no_service`).
    public var slackError: String?
    public var message: String
    public var fix: String?
    /// Seconds Slack asked to wait (429).
    public var retryAfter: Int?
}

/// Proves a Slack incoming webhook is live without posting anything (reference/alerting.md §10.3):
/// it POSTs `{}`, a payload a live webhook rejects with 400 `no_text` (or the older
/// `missing_text_or_fallback_or_attachments`), so no message ever appears. Redirects are not
/// followed (Slack sends non-webhook paths to api.slack.com), the request is sent once (a POST),
/// and Workflow Builder URLs are refused: any POST to them starts the workflow.
///
/// It lives here, beside the validators of the same secret, until a DRBookAlerting module exists.
public struct SlackWebhookProbe: Sendable {
    public var http: HTTPClient
    public var timeouts: HTTPTimeouts

    /// Where the webhook is kept (a platform profile's `alerting.slackWebhook.key`), for the fix
    /// that says how to replace a dead one.
    public var key: String?

    public init(http: HTTPClient = .shared, timeouts: HTTPTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(20)), key: String? = nil) {
        self.http = http
        self.timeouts = timeouts
        self.key = key
    }

    public func probe(_ value: SecretValue) async -> WebhookProbeResult {
        let shown = RedactedValue.describe(value.revealed)
        guard let url = URL(string: value.revealed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            return WebhookProbeResult(verdict: .dead, message: "\(shown) is not an http(s) URL, so it cannot be a webhook",
                                      fix: "set the incoming-webhook URL Slack shows")
        }
        let first = url.pathComponents.dropFirst().first
        if first == "triggers" || first == "workflows" {
            return WebhookProbeResult(verdict: .unknown, message: "\(shown) is a Workflow Builder webhook; drbook does not probe it, since any POST starts the workflow",
                                      fix: "use an incoming webhook (/services/…) for Alertmanager")
        }
        let request = HTTPRequest(.post, url, headers: ["Content-Type": "application/json"], body: .bytes(Data("{}".utf8)),
                                  timeouts: timeouts, retry: .never, followRedirects: false, urlSecrecy: .everythingButHost)
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch let error as HTTPError {
            return WebhookProbeResult(verdict: .unreachable, message: "no answer from \(error.url): \(error.phase.rawValue) failed (\(Self.networkDetail(error)))",
                                      fix: error.hint + " This says nothing about the webhook itself.")
        } catch {
            return WebhookProbeResult(verdict: .unreachable, message: "no answer from \(shown): \(type(of: error))", fix: "check the network and retry")
        }
        return Self.classify(status: response.status, body: response.bodyText, headers: response.headers, shown: shown, key: key)
    }

    static func classify(status: Int, body: String, headers: HTTPHeaders, shown: String, key: String? = nil) -> WebhookProbeResult {
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        // Slack's answers are short codes; anything else is described, not repeated.
        let code = trimmed.wholeMatch(of: /[a-z_]{1,64}/) != nil ? trimmed : nil
        let said = code.map { "\(status) \($0)" } ?? "\(status) with \(trimmed.isEmpty ? "no body" : "a body that is not a Slack error code (\(body.utf8.count) bytes)")"
        let create = "create a new incoming webhook for the channel and set it with drbook secrets set \(key ?? "KEY") --file FILE"
        func result(_ verdict: WebhookProbeResult.Verdict, _ message: String, _ fix: String? = nil, retryAfter: Int? = nil) -> WebhookProbeResult {
            WebhookProbeResult(verdict: verdict, status: status, slackError: code, message: message, fix: fix, retryAfter: retryAfter)
        }
        switch (status, code) {
        case (400, "no_text"?), (400, "missing_text_or_fallback_or_attachments"?):
            return result(.live, "\(shown) is live: Slack rejected the empty probe with \(said), and nothing was posted")
        case (404, "no_service"?), (404, "no_team"?), (404, "channel_not_found"?), (404, _):
            return result(.dead, "\(shown) is revoked or unknown: Slack answered \(said)", create)
        case (403, "invalid_token"?), (400, "invalid_token"?), (403, "action_prohibited"?), (403, "team_disabled"?), (403, _):
            return result(.dead, "\(shown) is disabled or its token is invalid: Slack answered \(said)", create)
        case (410, _):
            return result(.dead, "\(shown) posts to an archived channel: Slack answered \(said)", "unarchive the channel, or " + create)
        case (301...308, _):
            let target = headers["Location"].flatMap { URL(string: $0)?.host } ?? "elsewhere"
            return result(.dead, "\(shown) is not a webhook path: Slack redirects it to \(target)", create)
        case (429, _):
            let wait = headers["Retry-After"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return result(.unknown, "Slack is rate limiting (429\(wait.map { ", retry after \($0) s" } ?? "")); the webhook was not judged",
                          "retry later", retryAfter: wait)
        case (500...599, _):
            return result(.unknown, "Slack failed (\(said)); the webhook was not judged", "retry later")
        case (200...299, _):
            return result(.unknown, "\(shown) accepted an empty payload (\(said)), which Slack's webhooks do not: not a Slack incoming webhook, or a proxy in front of one",
                          "check that the URL is the one Slack shows for the incoming webhook")
        default:
            return result(.unknown, "Slack answered \(said), which does not tell whether the webhook is live", "probe again, or post a test message by hand")
        }
    }

    /// libcurl's message names the host and port at most; the path (the secret) is never in it.
    private static func networkDetail(_ error: HTTPError) -> String {
        error.curlCode.map { "curl error \($0)" } ?? error.phase.rawValue
    }
}
