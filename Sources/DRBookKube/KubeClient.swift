import DRBookHTTP
import Foundation

/// A Kubernetes API client over drbook's libcurl transport, authenticated the way the
/// kubeconfig (or the pod's service account) says. Typed views for reading; merge
/// patches for writing, so fields drbook does not model are never overwritten.
public struct KubeClient: Sendable {
    public let endpoint: KubeEndpoint
    public let credentials: KubeCredentialProvider
    let http: HTTPClient
    /// Limits for ordinary requests; watches replace the total limit with their own.
    public var timeouts: HTTPTimeouts
    public var retry: RetryPolicy

    public init(endpoint: KubeEndpoint, http: HTTPClient = .shared, credentials: KubeCredentialProvider? = nil,
                timeouts: HTTPTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(60)),
                retry: RetryPolicy = .standard) {
        self.endpoint = endpoint
        self.credentials = credentials ?? KubeCredentialProvider(endpoint: endpoint)
        self.http = http
        self.timeouts = timeouts
        self.retry = retry
    }

    /// The client kubectl would build for these flags and this environment.
    public init(access: KubeAccess, http: HTTPClient = .shared) throws {
        self.init(endpoint: try access.endpoint(), http: http)
    }

    /// The namespace used when a namespaced call names none: the context's.
    public var defaultNamespace: String { endpoint.namespace }

    // MARK: reading

    public func get<Object: KubeObject>(_ type: Object.Type, _ name: String, namespace: String? = nil) async throws -> Object {
        try await getJSON(Object.resource, name, namespace: namespace).decodeObject(Object.self, from: describe(Object.resource, name, namespace))
    }

    /// The object, or nil when it does not exist.
    public func getIfPresent<Object: KubeObject>(_ type: Object.Type, _ name: String, namespace: String? = nil) async throws -> Object? {
        do {
            return try await get(type, name, namespace: namespace)
        } catch let error as KubeAPIError where error.reason == .notFound {
            return nil
        }
    }

    /// The whole object as the server holds it.
    public func getJSON(_ resource: KubeResource, _ name: String, namespace: String? = nil, subresource: String? = nil) async throws -> JSONValue {
        let ns = scope(resource, namespace)
        let data = try await perform(.get, resource.path(namespace: ns, name: name, subresource: subresource),
                                     verb: "get", target: describe(resource, name, ns))
        return try JSONValue(data: data)
    }

    /// Every object that matches, following `continue` tokens page by page. `namespace`
    /// nil lists a namespaced resource across all namespaces.
    public func list<Object: KubeObject>(_ type: Object.Type, namespace: String? = nil, labelSelector: String? = nil,
                                         fieldSelector: String? = nil, pageSize: Int = 500) async throws -> KubeList<Object> {
        let raw = try await listJSON(Object.resource, namespace: namespace, labelSelector: labelSelector,
                                     fieldSelector: fieldSelector, pageSize: pageSize)
        let where_ = describe(Object.resource, nil, namespace)
        let items = try raw.items.map { try $0.decodeObject(Object.self, from: where_) }
        return KubeList(items: items, resourceVersion: raw.resourceVersion)
    }

    public func listJSON(_ resource: KubeResource, namespace: String? = nil, labelSelector: String? = nil,
                         fieldSelector: String? = nil, pageSize: Int = 500) async throws -> KubeList<JSONValue> {
        var items: [JSONValue] = []
        var token: String?
        var resourceVersion = ""
        let ns = resource.namespaced ? namespace : nil
        repeat {
            var query: [(String, String)] = [("limit", String(pageSize))]
            if let labelSelector { query.append(("labelSelector", labelSelector)) }
            if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
            if let token { query.append(("continue", token)) }
            let data = try await perform(.get, resource.path(namespace: ns), query: query,
                                         verb: "list", target: describe(resource, nil, ns))
            let page = try KubeJSON.decoder().decode(ListEnvelope<JSONValue>.self, from: data)
            items += page.items ?? []
            resourceVersion = page.metadata?.resourceVersion ?? resourceVersion
            token = page.metadata?.continue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return KubeList(items: items, resourceVersion: resourceVersion)
    }

    // MARK: writing

    /// Creates `object` (a whole object: every field it has is sent).
    @discardableResult
    public func create(_ resource: KubeResource, _ object: JSONValue, namespace: String? = nil) async throws -> JSONValue {
        var body = object
        body["apiVersion"] = .string(resource.apiVersion)
        body["kind"] = .string(resource.kind)
        let ns = scope(resource, namespace ?? object[path: ["metadata", "namespace"]]?.stringValue)
        let name = object[path: ["metadata", "name"]]?.stringValue
        let data = try await perform(.post, resource.path(namespace: ns), body: try body.data(),
                                     contentType: "application/json", verb: "create", target: describe(resource, name, ns))
        return try JSONValue(data: data)
    }

    @discardableResult
    public func create<Object: KubeObject>(_ object: Object) async throws -> Object {
        let created = try await create(Object.resource, try JSONValue(encoding: object), namespace: object.metadata.namespace)
        return try created.decodeObject(Object.self, from: describe(Object.resource, object.metadata.name, object.metadata.namespace))
    }

    /// Applies a JSON merge patch (RFC 7386) that names only the fields to change. A
    /// merge patch is idempotent, so it is retried after transient failures, and after a
    /// 409 Conflict when the patch carries no resourceVersion precondition.
    @discardableResult
    public func mergePatch(_ resource: KubeResource, _ name: String, namespace: String? = nil, patch: JSONValue,
                           subresource: String? = nil) async throws -> JSONValue {
        let ns = scope(resource, namespace)
        let target = describe(resource, name, ns)
        let guarded = patch[path: ["metadata", "resourceVersion"]] != nil
        var conflicts = 0
        while true {
            do {
                let data = try await perform(.patch, resource.path(namespace: ns, name: name, subresource: subresource),
                                             body: try patch.data(), contentType: "application/merge-patch+json",
                                             verb: subresource.map { "patch \($0) of" } ?? "patch", target: target, idempotent: true)
                return try JSONValue(data: data)
            } catch let error as KubeAPIError where error.reason == .conflict && !guarded && conflicts < 3 {
                conflicts += 1
                try await Task.sleep(for: retry.backoff(afterAttempt: conflicts))
            }
        }
    }

    @discardableResult
    public func mergePatch<Object: KubeObject>(_ type: Object.Type, _ name: String, namespace: String? = nil,
                                              patch: JSONValue) async throws -> Object {
        let patched = try await mergePatch(Object.resource, name, namespace: namespace, patch: patch)
        return try patched.decodeObject(Object.self, from: describe(Object.resource, name, namespace))
    }

    /// Sets annotation `key` to `value` (nil removes it) and nothing else.
    @discardableResult
    public func annotate(_ resource: KubeResource, _ name: String, namespace: String? = nil,
                         _ key: String, _ value: String?) async throws -> JSONValue {
        try await mergePatch(resource, name, namespace: namespace,
                             patch: ["metadata": ["annotations": [key: value.map(JSONValue.string) ?? .null]]])
    }

    public enum PropagationPolicy: String, Sendable {
        case background = "Background", foreground = "Foreground", orphan = "Orphan"
    }

    /// Deletes an object; `false` when it was already gone.
    @discardableResult
    public func delete(_ resource: KubeResource, _ name: String, namespace: String? = nil,
                       propagation: PropagationPolicy = .background) async throws -> Bool {
        let ns = scope(resource, namespace)
        let options: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(propagation.rawValue)]
        do {
            _ = try await perform(.delete, resource.path(namespace: ns, name: name), body: try options.data(),
                                  contentType: "application/json", verb: "delete", target: describe(resource, name, ns))
            return true
        } catch let error as KubeAPIError where error.reason == .notFound {
            return false
        }
    }

    // MARK: the transport

    func scope(_ resource: KubeResource, _ namespace: String?) -> String? {
        resource.namespaced ? (namespace ?? defaultNamespace) : nil
    }

    func describe(_ resource: KubeResource, _ name: String?, _ namespace: String?) -> String {
        var text = resource.description
        if let name { text += " \"\(name)\"" }
        if resource.namespaced {
            text += namespace.map { " in namespace \"\($0)\"" } ?? " in all namespaces"
        }
        return text
    }

    func url(_ path: String, query: [(String, String)]) -> URL {
        var base = endpoint.server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var text = base + path
        if !query.isEmpty {
            text += "?" + HTTPQuery.string(query)
        }
        return URL(string: text)!
    }

    func request(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil,
                 contentType: String? = nil, idempotent: Bool = false) -> HTTPRequest {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let contentType { headers.set("Content-Type", contentType) }
        var policy = retry
        if idempotent { policy.retryNonIdempotent = true }
        return HTTPRequest(method, url(path, query: query), headers: headers, body: body.map { .bytes($0) },
                           timeouts: timeouts, retry: policy, tls: endpoint.tls)
    }

    /// Sends a request and returns the body of a 2xx answer; anything else becomes a
    /// `KubeAPIError` built from the server's `Status`.
    func perform(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil,
                 contentType: String? = nil, verb: String, target: String, idempotent: Bool = false) async throws -> Data {
        let request = request(method, path, query: query, body: body, contentType: contentType, idempotent: idempotent)
        let response = try await credentials.send(request, with: http)
        guard response.isSuccess else {
            throw apiError(status: response.status, body: response.body, verb: verb, target: target)
        }
        return response.body
    }

    func apiError(status: Int, body: Data, verb: String, target: String) -> KubeAPIError {
        let decoded = try? KubeJSON.decoder().decode(KubeStatus.self, from: body)
        return KubeAPIError(status: decoded?.kind == "Status" ? decoded : nil, httpStatus: status, body: body,
                            verb: verb, target: target, server: RedactedURL.string(endpoint.server))
    }
}

/// The answer had the wrong shape for the typed view asked for.
public struct KubeDecodingError: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var expected: String
    public var detail: String
    public var description: String {
        "\(target): the API server's answer is not a \(expected) drbook can read (\(detail)); the cluster may run a version of this API drbook does not know"
    }
}

extension JSONValue {
    func decodeObject<Object: Decodable>(_ type: Object.Type, from target: String) throws -> Object {
        do {
            return try decode(type)
        } catch let error as DecodingError {
            throw KubeDecodingError(target: target, expected: String(describing: type), detail: KubeJSON.describe(error))
        }
    }
}
