import DRBookActions
import DRBookRunbook
import DRBookTestSupport
import Foundation
import Testing

@Suite("http.probe checks an HTTP answer")
struct HTTPProbeActionTests {
    let run = ActionRun()

    func url(_ path: String) async throws -> Value {
        let fixture = try await TestServers.shared.fixture()
        return .string(fixture.baseURL.absoluteString + path)
    }

    @Test("an expected status passes, with the status and duration as outputs")
    func expectedStatus() async throws {
        let outputs = try await run("http.probe", ["url": try await url("/status/200")])
        #expect(outputs["status"] == .int(200))
        guard case let .int(milliseconds)? = outputs["durationMs"] else { Issue.record("no durationMs"); return }
        #expect(milliseconds >= 0)
    }

    @Test("expectStatus lists the statuses that count as success")
    func listedStatus() async throws {
        let outputs = try await run("http.probe", ["url": try await url("/status/204"), "expectStatus": ints(200, 204)])
        #expect(outputs["status"] == .int(204))
    }

    @Test("a wrong status fails as a wrong answer, not a network failure, and is not retried away")
    func wrongStatus() async throws {
        let error = await actionError { try await run("http.probe", ["url": try await url("/status/503")]) }
        #expect(error?.message.hasPrefix("the server answered 503; expected 200") == true)
        #expect(error?.message.contains("status 503") == true, "the body is quoted")
        #expect(error?.message.contains("network failure") == false)
        #expect(error?.fix == "The server failed; retry later.")
    }

    @Test("bodyMatches checks the body; headers are sent; the method is used")
    func bodyAndHeaders() async throws {
        let inputs: [String: Value] = [
            "url": try await url("/echo"), "method": .string("POST"),
            "headers": .map(["X-Probe": .string("drbook-probe-7")]),
            "bodyMatches": .string(#""x-probe": "drbook-probe-7""#),
        ]
        let outputs = try await run("http.probe", inputs)
        #expect(outputs["status"] == .int(200))
        let error = await actionError {
            try await run("http.probe", ["url": try await url("/echo"), "bodyMatches": .string(#""method": "DELETE""#)])
        }
        #expect(error?.message.hasPrefix(#"the body of the answer does not match /"method": "DELETE"/"#) == true)
    }

    @Test("a closed port is a network failure at the connect phase")
    func closedPortFails() async throws {
        let error = await actionError {
            try await run("http.probe", ["url": .string("http://127.0.0.1:\(closedPort())/status/200"), "timeout": .duration(.seconds(5))])
        }
        #expect(error?.message.hasPrefix("no answer: network failure while connecting") == true)
        #expect(error?.fix?.contains("server is up and reachable") == true)
    }

    @Test("with urlIsSecret, the URL's secret path appears in no message, subject or log line")
    func secretPath() async throws {
        let secret = "XOXB9f3kQ7secretpath"
        let fixture = try await TestServers.shared.fixture()
        for base in [fixture.baseURL.absoluteString, "http://127.0.0.1:\(closedPort())"] {
            let reports = ActionRun()
            let error = await actionError {
                try await reports("http.probe", ["url": .string("\(base)/services/T000/B000/\(secret)"), "urlIsSecret": .bool(true)])
            }
            guard let error else { continue }
            #expect(!error.description.contains(secret))
            #expect(!(error.fix ?? "").contains(secret))
            #expect(error.subject?.contains("/services/…") == true)
            #expect(!reports.reports.lines.joined().contains(secret))
            #expect(reports.reports.secrets.contains { $0.contains(secret) }, "the engine is told to redact it")
        }
    }

    @Test("a URL that is not http(s) is rejected before any request")
    func badURL() async throws {
        let error = await actionError { try await run("http.probe", ["url": .string("ftp://example.invalid/x")]) }
        #expect(error?.message.hasPrefix("input 'url' is not an http(s) URL") == true)
    }
}
