import DRBookHTTP
import DRBookTestSupport
import Foundation
import Testing

@Suite("URLs: redaction and SigV4 canonical form")
struct URLHandlingTests {
    @Test("credentials and query values never appear in a redacted URL")
    func redactsCredentialsAndQuery() {
        let url = URL(string: "https://user:s3cret@r2.example.com:8443/bucket/key?X-Amz-Signature=abc123&prefix=velero")!
        let redacted = RedactedURL.string(url)
        #expect(redacted == "https://r2.example.com:8443/bucket/key?X-Amz-Signature=…&prefix=…")
        #expect(!redacted.contains("s3cret"))
        #expect(!redacted.contains("abc123"))
    }

    @Test("a secret path keeps only its first segment")
    func redactsSecretPaths() {
        let webhook = URL(string: "https://hooks.slack.com/services/T000/B000/XXXXXXXXSECRET")!
        #expect(RedactedURL.string(webhook, secrecy: .pathAndQuery) == "https://hooks.slack.com/services/…")
        let ping = URL(string: "https://hc-ping.com/1f2e3d4c-0000-4000-8000-123456789abc")!
        #expect(RedactedURL.string(ping, secrecy: .pathAndQuery) == "https://hc-ping.com/…")
        #expect(RedactedURL.string(ping, secrecy: .everythingButHost) == "https://hc-ping.com/…")
    }

    @Test("bare query tokens, nameless values and token-like first path segments are masked")
    func redactsAwkwardSecrets() {
        #expect(RedactedURL.string(URL(string: "https://h.example/x?SECRETTOKEN")!) == "https://h.example/x?…")
        #expect(RedactedURL.string(URL(string: "https://h.example/x?=SECRETVALUE&a=1")!) == "https://h.example/x?…&a=…")
        #expect(RedactedURL.string(URL(string: "https://api.example/bot123:SECRET/sendMessage")!, secrecy: .pathAndQuery) == "https://api.example/…")
    }

    @Test("credentials never print through description, debugDescription or dump")
    func credentialsNeverPrint() throws {
        let secret = "SECRET-\(UUID().uuidString)"
        let requests = [
            HTTPRequest(.get, URL(string: "https://h.example/")!, authentication: .bearer(token: secret)),
            HTTPRequest(.get, URL(string: "https://h.example/")!, authentication: .basic(username: "u", password: secret)),
            HTTPRequest(.get, URL(string: "https://h.example/")!, authentication: .awsSigV4(AWSSigV4(region: "auto", accessKeyID: "AK", secretAccessKey: secret, sessionToken: secret))),
        ]
        for request in requests {
            var dumped = ""
            dump(request, to: &dumped)
            for text in [String(describing: request), String(reflecting: request), "\(request)", dumped,
                         String(describing: request.authentication!), String(reflecting: request.authentication!)] {
                #expect(!text.contains(secret), "leaked in: \(text.prefix(80))")
            }
        }
    }

    @Test("errors for a secret URL do not contain the secret")
    func errorRedaction() async throws {
        let secret = "XXXXXXXXSECRETPART"
        let url = URL(string: "http://127.0.0.1:\(closedPort())/services/T0/B0/\(secret)?token=\(secret)")!
        let error = try await #require(throws: HTTPError.self) {
            try await HTTPClient.shared.send(HTTPRequest(.get, url, retry: .never, urlSecrecy: .pathAndQuery))
        }
        #expect(!error.description.contains(secret))
        #expect(error.description.contains("/services/…"))
    }

    @Test("the query is sorted and encoded as SigV4 servers canonicalise it")
    func canonicalQuery() {
        let url = URL(string: "https://e.example/b?max-keys=3&list-type=2&prefix=logs/a%2fb&continuation-token=a+b=")!
        let canonical = AWSCanonicalURL.canonicalize(url)
        #expect(canonical.query == "continuation-token=a%2Bb%3D&list-type=2&max-keys=3&prefix=logs%2Fa%2Fb")
    }

    @Test("the path is encoded with uppercase hex, keeping slashes and literal plus signs")
    func canonicalPath() {
        let url = URL(string: "https://e.example/bucket/dir/a%20b+c%c3%a9.json")!
        #expect(AWSCanonicalURL.canonicalize(url).path(percentEncoded: true) == "/bucket/dir/a%20b%2Bc%C3%A9.json")
        #expect(AWSCanonicalURL.encode("velero/backups/daily full+1", keepSlash: true) == "velero/backups/daily%20full%2B1")
    }

    @Test("canonicalising twice changes nothing")
    func idempotent() {
        let url = URL(string: "https://e.example/b/k%2Fey%20x?prefix=a%2Fb&delimiter=%2F")!
        let once = AWSCanonicalURL.canonicalize(url)
        #expect(AWSCanonicalURL.canonicalize(once) == once)
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("backoff doubles per attempt, stays within [d/2, d] and is capped")
    func backoffBounds() {
        let policy = RetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1))
        #expect(policy.backoff(afterAttempt: 1, random: { $0.upperBound }) == .milliseconds(100))
        #expect(policy.backoff(afterAttempt: 1, random: { $0.lowerBound }) == .milliseconds(50))
        #expect(policy.backoff(afterAttempt: 3, random: { $0.upperBound }) == .milliseconds(400))
        #expect(policy.backoff(afterAttempt: 10, random: { $0.upperBound }) == .seconds(1))
        for attempt in 1...8 {
            let delay = policy.backoff(afterAttempt: attempt)
            #expect(delay >= .milliseconds(50) && delay <= .seconds(1))
        }
    }

    @Test("Retry-After is read as seconds or as an HTTP date")
    func retryAfterForms() {
        #expect(RetryPolicy.retryAfter("7") == .seconds(7))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryPolicy.retryAfter("Tue, 14 Nov 2023 22:13:40 GMT", now: now) == .seconds(20))
        #expect(RetryPolicy.retryAfter("soon") == nil)
        #expect(RetryPolicy.retryAfter(nil) == nil)
    }
}
