import DRBookHTTP
import DRBookRunbook
import Foundation

/// `http.probe`: one HTTP request, its status and optionally its body checked.
struct HTTPProbeAction: Action {
    static let descriptor = ActionDescriptor(
        name: "http.probe",
        summary: "Send one HTTP request and check the status (and optionally the body) of the answer.",
        inputs: [
            InputSpec("url", .string, required: true, description: "The http(s) URL to request."),
            InputSpec("method", .string, description: "The HTTP method. Default: GET."),
            InputSpec("headers", .map, description: "Request header fields, name: value."),
            InputSpec("expectStatus", .list, description: "Statuses that count as success. Default: [200]."),
            InputSpec("bodyMatches", .string, description: "A regular expression the response body must match."),
            InputSpec("timeout", .duration, description: "Limit for the whole exchange. Default: 30s."),
            InputSpec("urlIsSecret", .bool,
                      description: "The URL carries a secret in its path (a webhook or ping URL): show only its host and first path segment. Default: false."),
        ],
        outputs: [
            OutputSpec("status", .int, description: "The HTTP status of the answer."),
            OutputSpec("durationMs", .int, description: "How long the exchange took, in milliseconds."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Sends one request through drbook's HTTP transport (libcurl: proxies from the \
            environment, the system's CA bundle, no redirects followed) and checks the answer. \
            The probe is tried once; use the step's `retry` to poll. The step fails with a \
            message that tells a network failure — and at which phase: resolving the host, \
            connecting, TLS, timeout — apart from a server that answered with the wrong status \
            or a body that does not match `bodyMatches` (Swift `Regex` syntax; `^` and `$` \
            match at line boundaries).

            Query values are never shown in messages. When the URL's path itself is a secret \
            (Slack webhooks, healthchecks.io ping URLs), set `urlIsSecret: true`: messages then \
            show only the scheme, host and a plain first path segment. Better still, pass such a \
            URL from a secret param or environment variable, which drbook redacts everywhere, \
            the journal included. Header values are never logged.

            The action is declared read-only; use it with methods that change nothing (GET, \
            HEAD, OPTIONS) or with endpoints built for probing.
            """)

    static let defaultTimeout = Duration.seconds(30)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let text = try inputs.requiredString("url")
        let secrecy: URLSecrecy = inputs.bool("urlIsSecret") == true ? .pathAndQuery : .queryValues
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            let shown = URL(string: text).map { RedactedURL.string($0, secrecy: secrecy) } ?? "the value given"
            throw ActionError("input 'url' is not an http(s) URL: \(shown)", fix: "write it as https://HOST/PATH")
        }
        let method = HTTPMethod(rawValue: inputs.string("method") ?? "GET")
        let expected = try inputs.ints("expectStatus") ?? [200]
        let bodyPattern = try inputs.pattern("bodyMatches")
        let timeout = inputs.duration("timeout") ?? Self.defaultTimeout
        var headers = HTTPHeaders()
        for (name, value) in (try inputs.stringMap("headers") ?? [:]).sorted(by: { $0.key < $1.key }) { headers.add(name, value) }

        let request = HTTPRequest(method, url, headers: headers,
                                  timeouts: HTTPTimeouts(connect: min(timeout, .seconds(10)), total: timeout),
                                  retry: .never, urlSecrecy: secrecy)
        let shown = request.redactedURL
        if secrecy == .pathAndQuery {
            context.treatAsSecret(text)
            if url.path.count > 1 { context.treatAsSecret(url.path) }
        }
        context.log("\(method) \(shown)")
        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await environment.http.send(request)
        } catch let error as HTTPError {
            if error.phase == .cancelled { throw CancellationError() }
            let detail = error.detail.isEmpty ? "" : ": \(error.detail)"
            throw ActionError("no answer: network failure while \(Self.phrase(error.phase))\(detail)", subject: "\(method) \(shown)", fix: error.hint)
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Int(elapsed.seconds * 1000)
        context.log("answered \(response.status) in \(milliseconds) ms, \(response.body.count) bytes")

        guard expected.contains(response.status) else {
            let wanted = expected.count == 1 ? "\(expected[0])" : "one of \(expected.map(String.init).joined(separator: ", "))"
            throw ActionError("the server answered \(response.status); expected \(wanted)" + Self.quote(response, secrecy),
                              subject: "\(method) \(shown)", fix: HTTPError.unexpectedStatus(response, for: request, bodyExcerpt: 0).hint)
        }
        if let bodyPattern, !bodyPattern.matches(response.bodyText) {
            throw ActionError("the body of the answer does not match /\(bodyPattern.source)/" + Self.quote(response, secrecy),
                              subject: "\(method) \(shown)", fix: "check that the URL points at the service you meant and that it is healthy")
        }
        return ["status": .int(response.status), "durationMs": .int(milliseconds)]
    }

    /// "connecting", "resolving the host", "the TLS handshake", …: how the sentence "failure while …" ends.
    private static func phrase(_ phase: HTTPError.Phase) -> String {
        switch phase {
        case .tls: return "setting up TLS"
        case .timeout: return "waiting for the answer (timeout)"
        case .stalled: return "receiving (the transfer stalled)"
        case .responseTooLarge: return "receiving (the answer is too large to hold)"
        default: return phase.rawValue
        }
    }

    /// The start of the body, for a failure message; not shown for a secret URL, whose body may echo it.
    private static func quote(_ response: HTTPResponse, _ secrecy: URLSecrecy) -> String {
        guard secrecy == .queryValues else { return " (body not shown: the URL is secret)" }
        let body = response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { return "" }
        return "\n--- body (start) ---\n" + (body.count > 500 ? body.prefix(500) + "…" : body)
    }
}
