import DRBookHTTP
import DRBookKube
import Foundation

/// Where an HTTP API of the alert path is reached: by URL (a port-forward, an ingress, a
/// test server) or through the Kubernetes API server's service proxy, which needs no
/// port-forward and only `get` on `services/proxy`.
public enum APIEndpoint: Sendable, CustomStringConvertible {
    case url(URL)
    /// `pathPrefix` is the server's own route prefix (Alertmanager's `--web.route-prefix`).
    case service(KubeClient, KubeServiceReference, pathPrefix: String = "")

    public var description: String {
        switch self {
        case .url(let url): return RedactedURL.string(url, secrecy: .queryValues)
        case .service(_, let service, _): return "service \(service.namespace)/\(service.segment) through the Kubernetes API server"
        }
    }
}

/// A failure of an alert-path API: which system, what was asked, and what to do.
public struct AlertingAPIError: Error, Sendable, CustomStringConvertible {
    public var system: String
    public var request: String
    public var status: Int?
    public var message: String
    public var fix: String

    public var description: String {
        "\(system): \(request) failed: \(message). \(fix)"
    }
}

/// The requests one client makes: timeouts and retries on every call, errors that name
/// the system and the endpoint, and headers (which may hold an API key) never printed.
struct APITransport: Sendable {
    var system: String
    var endpoint: APIEndpoint
    var http: HTTPClient
    var headers: HTTPHeaders
    var timeouts: HTTPTimeouts
    var retry: RetryPolicy

    init(system: String, endpoint: APIEndpoint, http: HTTPClient, headers: HTTPHeaders = [:],
         timeouts: HTTPTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(30)), retry: RetryPolicy = .standard) {
        self.system = system
        self.endpoint = endpoint
        self.http = http
        self.headers = headers
        self.timeouts = timeouts
        self.retry = retry
    }

    /// Sends a request and returns the answer whatever its status; transport failures
    /// (after retries) become an `AlertingAPIError`.
    func send(_ method: HTTPMethod = .get, _ path: String, query: [(String, String)] = [], json body: Data? = nil) async throws -> HTTPResponse {
        var headers = headers
        headers.set("Accept", "application/json")
        if body != nil { headers.set("Content-Type", "application/json") }
        let shown = describe(method, path)
        do {
            switch endpoint {
            case .url(let base):
                var text = base.absoluteString
                while text.hasSuffix("/") { text.removeLast() }
                text += "/" + path.drop { $0 == "/" }
                if !query.isEmpty { text += "?" + HTTPQuery.string(query) }
                guard let url = URL(string: text) else {
                    throw AlertingAPIError(system: system, request: shown, status: nil, message: "\(text) is not a URL",
                                           fix: "check the \(system) URL")
                }
                let request = HTTPRequest(method, url, headers: headers, body: body.map { .bytes($0) }, timeouts: timeouts, retry: retry)
                return try await http.send(request)
            case .service(let kube, let service, let prefix):
                let full = Self.join(prefix, path)
                let response = try await kube.proxy(service, path: full, method: method, query: query, headers: headers, body: body)
                if let proxyError = kube.proxyError(response, service: service) {
                    throw AlertingAPIError(system: system, request: shown, status: response.status, message: proxyError.message,
                                           fix: proxyError.hint)
                }
                return response
            }
        } catch let error as HTTPError {
            throw AlertingAPIError(system: system, request: shown, status: error.status,
                                   message: "\(error.phase.rawValue) failed after \(error.attempts) attempt(s): \(error.detail)",
                                   fix: error.hint)
        }
    }

    /// A 2xx answer's body decoded as `T`; any other status is an error quoting the
    /// server's message (bodies of these APIs hold no secrets, but only a short excerpt).
    func get<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String)] = []) async throws -> T {
        let response = try await send(.get, path, query: query)
        try expectSuccess(response, .get, path)
        return try decode(type, response.body, .get, path)
    }

    func expectSuccess(_ response: HTTPResponse, _ method: HTTPMethod, _ path: String, fix: String? = nil) throws {
        guard !response.isSuccess else { return }
        let excerpt = String(response.bodyText.prefix(300)).trimmingCharacters(in: .whitespacesAndNewlines)
        throw AlertingAPIError(system: system, request: describe(method, path), status: response.status,
                               message: "HTTP \(response.status)" + (excerpt.isEmpty ? "" : ": \(excerpt)"),
                               fix: fix ?? Self.fix(forStatus: response.status, system: system))
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ method: HTTPMethod, _ path: String) throws -> T {
        do {
            return try KubeJSON.decoder().decode(type, from: data)
        } catch {
            let detail = (error as? DecodingError).map(KubeJSON.describe) ?? String(describing: error)
            throw AlertingAPIError(system: system, request: describe(method, path), status: nil,
                                   message: "the answer is not the expected JSON (\(detail))",
                                   fix: "check that \(endpoint) is \(system) and not another service")
        }
    }

    func describe(_ method: HTTPMethod, _ path: String) -> String {
        "\(method) \(Self.join("", path)) on \(endpoint)"
    }

    static func join(_ prefix: String, _ path: String) -> String {
        var prefix = prefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return prefix + "/" + path.drop { $0 == "/" }
    }

    static func fix(forStatus status: Int, system: String) -> String {
        switch status {
        case 401, 403: return "check the credentials drbook uses for \(system)"
        case 404: return "check the \(system) URL and its route prefix"
        case 500...599: return "\(system) failed; look at its logs, then retry"
        default: return "check the request and the \(system) version"
        }
    }
}
