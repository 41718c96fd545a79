import DRBookHTTP
import Foundation

/// A Service reached through the API server's proxy
/// (`/api/v1/namespaces/<ns>/services/<scheme>:<name>:<port>/proxy/<path>`), for
/// in-cluster HTTP APIs (Alertmanager, Prometheus, OpenBao) without a port-forward.
public struct KubeServiceReference: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// "http", "https" or nil (the server's default).
    public var scheme: String?
    /// A port name or number; nil for the service's only port.
    public var port: String?

    public init(namespace: String, name: String, scheme: String? = nil, port: String? = nil) {
        self.namespace = namespace
        self.name = name
        self.scheme = scheme
        self.port = port
    }

    /// The `scheme:name:port` segment.
    public var segment: String {
        switch (scheme, port) {
        case let (scheme?, port?): return "\(scheme):\(name):\(port)"
        case let (scheme?, nil): return "\(scheme):\(name):"
        case let (nil, port?): return "\(name):\(port)"
        case (nil, nil): return name
        }
    }
}

extension KubeClient {
    /// Sends an HTTP request to a Service through the API server and returns its answer
    /// as is (any status). Errors of the proxy itself (no endpoints, forbidden) come back
    /// as the API server's `Status` with its code; `KubeClient.proxyError` reads them.
    public func proxy(_ service: KubeServiceReference, path: String, method: HTTPMethod = .get,
                      query: [(String, String)] = [], headers: HTTPHeaders = [:], body: Data? = nil) async throws -> HTTPResponse {
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        let apiPath = "/api/v1/namespaces/\(KubeResource.segment(service.namespace))/services/\(KubeResource.segment(service.segment))/proxy/\(trimmed)"
        var request = request(method, apiPath, query: query, body: body)
        for header in headers { request.headers.set(header.name, header.value) }
        return try await credentials.send(request, with: http)
    }

    /// The proxy's own failure, when the answer is the API server's `Status` rather than
    /// the service's; nil for anything the service answered.
    public func proxyError(_ response: HTTPResponse, service: KubeServiceReference) -> KubeAPIError? {
        guard !response.isSuccess,
              let status = try? KubeJSON.decoder().decode(KubeStatus.self, from: response.body),
              status.kind == "Status", status.apiVersion == "v1" else { return nil }
        return apiError(status: response.status, body: response.body, verb: "proxy to",
                        target: "service \"\(service.name)\" in namespace \"\(service.namespace)\"")
    }
}
