import DRBookHTTP
import DRBookKube
import FlyingFox
import Foundation

/// `/api/v1/namespaces/<ns>/services/[scheme:]<name>[:port]/proxy/<path>`: the request
/// goes on to the loopback URL registered for the service, through drbook's own HTTP
/// client, and its status, headers and body come back. No registered endpoint is a 503,
/// as a real server answers for a Service without ready endpoints.
struct ServiceProxy {
    static let resource = GroupResource(group: "", resource: "services")

    let store: SandboxStore
    let endpoints: ServiceEndpoints
    var client: DRBookHTTP.HTTPClient = .shared
    var timeouts = HTTPTimeouts(connect: .seconds(5), total: .seconds(60))

    /// Headers that belong to one hop, or carry the caller's credentials to the API server.
    static let dropped: Set<String> = [
        "authorization", "connection", "content-length", "host", "keep-alive", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", Authenticator.secretHeader.lowercased(), Authenticator.verifyHeader.lowercased(),
        Authenticator.subjectHeader.lowercased(),
    ]

    func forward(_ request: FlyingFox.HTTPRequest, path: RequestRoute.ResourcePath) async throws -> FlyingFox.HTTPResponse {
        let namespace = path.namespace ?? ""
        guard let segment = path.name, let target = ServiceProxyTarget(segment) else {
            throw APIError.badRequest("invalid service request \"\(path.name ?? "")\"")
        }
        _ = try await store.get(Self.resource, namespace: namespace, name: target.name)
        guard let base = await endpoints.resolve(namespace: namespace, service: target.name, port: target.port) else {
            throw APIError(.serviceUnavailable, "no endpoints available for service \"\(target.name)\"")
        }
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.percentEncodedPath = base.path.trimmingCharacters(in: CharacterSet(charactersIn: "/")).isEmpty
            ? (path.proxyPath ?? "/") : base.path + (path.proxyPath ?? "")
        let query = request.target.query(percentEncoded: true)
        components.percentEncodedQuery = query.isEmpty ? nil : query
        guard let url = components.url else { throw APIError.badRequest("invalid proxy path \"\(path.proxyPath ?? "")\"") }

        var headers = DRBookHTTP.HTTPHeaders()
        for (name, value) in request.headers where !Self.dropped.contains(name.rawValue.lowercased()) {
            headers.add(name.rawValue, value)
        }
        let body = try await request.bodyData
        let outgoing = DRBookHTTP.HTTPRequest(DRBookHTTP.HTTPMethod(rawValue: request.method.rawValue), url, headers: headers,
                                              body: body.isEmpty ? nil : .bytes(body), timeouts: timeouts, retry: .never)
        let answer: DRBookHTTP.HTTPResponse
        do {
            answer = try await client.send(outgoing)
        } catch {
            throw APIError(.serviceUnavailable, "error trying to reach service: \(error)")
        }
        var responseHeaders = FlyingFox.HTTPHeaders()
        for field in answer.headers where !Self.dropped.contains(field.name.lowercased()) {
            responseHeaders.addValue(field.value, for: HTTPHeader(field.name))
        }
        return FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(answer.status, phrase: APIHandler.phrase(answer.status)),
                                      headers: responseHeaders, body: answer.body)
    }
}
