import DRBookKube
import FlyingFox
import Foundation

/// The API server's request handling over FlyingFox: authenticate, resolve the path,
/// authorize, then serve discovery, the store, access reviews, `/scale` or the service
/// proxy. Every failure leaves as a `Status` object.
struct APIHandler: HTTPHandler {
    let store: SandboxStore
    let authenticator: Authenticator
    let policy: AccessPolicy
    let endpoints: ServiceEndpoints
    let discovery: Discovery
    /// The longest a watch stays open when the client asks for no timeout.
    let maximumWatch: Duration

    func handleRequest(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        do {
            // What `system:public-info-viewer` opens to everyone on a real server.
            if request.method == .GET, Self.publicPaths.contains(request.path) {
                guard request.path == "/version" else {
                    return FlyingFox.HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain"], body: Data("ok".utf8))
                }
                return try Self.json(discovery.version)
            }
            guard let user = authenticator.authenticate(header: { request.headers[HTTPHeader($0)] }) else {
                throw APIError.unauthorized
            }
            return try await serve(request, user: user)
        } catch let error as APIError {
            return Self.response(error)
        } catch {
            return Self.response(APIError(.internalError, "sandbox: \(error)"))
        }
    }

    private func serve(_ request: FlyingFox.HTTPRequest, user: UserInfo) async throws -> FlyingFox.HTTPResponse {
        let route = RequestRoute(path: request.path)
        guard case .resource(let path) = route else {
            guard request.method == .GET else { throw APIError.pathNotFound }
            return try Self.json(discoveryDocument(route))
        }
        guard let entry = discovery.catalogue.resource(group: path.group, version: path.version, name: path.resource) else {
            throw APIError.pathNotFound
        }
        if path.namespace != nil, !entry.namespaced { throw APIError.pathNotFound }
        let operation = try APIOperation(request: request, path: path, entry: entry)
        let attributes = RequestAttributes(verb: operation.verb, group: entry.group, resource: entry.name,
                                           subresource: path.subresource ?? "", namespace: path.namespace ?? "",
                                           name: path.name ?? "")
        let decision = policy.decide(user, attributes)
        guard decision.allowed else {
            throw APIError.forbidden(entry.groupResource, path.name ?? "", AccessPolicy.forbiddenReason(user, attributes))
        }
        if operation.kind == .proxy {
            return try await ServiceProxy(store: store, endpoints: endpoints).forward(request, path: path)
        }
        if entry.groupResource == AccessReview.resource {
            return try Self.json(try AccessReview.answer(try await request.jsonBody(), user: user, policy: policy), status: 201)
        }
        return try await StoreOperations(store: store, entry: entry, path: path, maximumWatch: maximumWatch)
            .perform(operation, request: request)
    }

    private func discoveryDocument(_ route: RequestRoute) throws -> DRBookKube.JSONValue {
        switch route {
        case .version: return discovery.version
        case .openAPIRoot: return OpenAPIDocuments(catalogue: discovery.catalogue).root
        case .openAPI(let key):
            guard let document = OpenAPIDocuments(catalogue: discovery.catalogue).document(key) else { throw APIError.pathNotFound }
            return document
        case .coreVersions: return discovery.coreVersions
        case .coreResources: return discovery.resources(group: "", version: "v1")!
        case .groups: return discovery.groups
        case .group(let name) where discovery.catalogue.groups.contains(name): return discovery.group(name)
        case .groupResources(let group, let version):
            guard let list = discovery.resources(group: group, version: version) else { throw APIError.pathNotFound }
            return list
        default: throw APIError.pathNotFound
        }
    }

    static let publicPaths: Set<String> = ["/version", "/healthz", "/livez", "/readyz"]

    // MARK: responses

    static func json(_ value: DRBookKube.JSONValue, status: Int = 200) throws -> FlyingFox.HTTPResponse {
        FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(status, phrase: Self.phrase(status)),
                               headers: [.contentType: "application/json"], body: try value.data())
    }

    static func response(_ error: APIError) -> FlyingFox.HTTPResponse {
        (try? json(error.status, status: error.code))
            ?? FlyingFox.HTTPResponse(statusCode: .internalServerError)
    }

    /// The reason phrase of a status line; clients read only the code.
    static func phrase(_ status: Int) -> String {
        let phrases = [200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                       404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 410: "Gone", 415: "Unsupported Media Type",
                       422: "Unprocessable Entity", 500: "Internal Server Error", 503: "Service Unavailable"]
        return phrases[status] ?? "Status \(status)"
    }
}

extension FlyingFox.HTTPRequest {
    /// The body as JSON; an unreadable body is a 400 as on a real server.
    func jsonBody() async throws -> DRBookKube.JSONValue {
        // JSON, and the protobuf kubectl's typed clients send for a few built-in kinds.
        if let type = headers[.contentType]?.lowercased(), type.contains("protobuf") {
            return try ProtobufBody.decode(try await bodyData)
        }
        if let type = headers[.contentType]?.lowercased(), type.contains("yaml") || type.contains("cbor") {
            throw APIError(.unsupportedMediaType, "the body of the request was in an unknown format - accepted media types include: application/json")
        }
        let data = try await bodyData
        guard !data.isEmpty else { throw APIError.badRequest("the request body is empty") }
        do {
            return try DRBookKube.JSONValue(data: data)
        } catch {
            throw APIError.badRequest("the body of the request was not valid JSON")
        }
    }

    /// A query parameter decoded as HTML forms encode it (Go's client sends spaces as
    /// `+`, which FlyingFox's decoded query items keep as `+`).
    func queryValue(_ name: String) -> String? {
        for pair in target.query(percentEncoded: true).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0].replacingOccurrences(of: "+", with: " ").removingPercentEncoding == name else { continue }
            let value = parts.count > 1 ? String(parts[1]) : ""
            return value.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? value
        }
        return nil
    }
}
