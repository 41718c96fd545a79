import Foundation

/// Where the service proxy sends requests for a Service: a loopback URL registered for
/// it (another test server, a simulated Alertmanager ...). The sandbox runs no pods, so
/// this table is the Service's endpoints.
public actor ServiceEndpoints {
    private var endpoints: [Key: URL] = [:]

    struct Key: Hashable {
        var namespace: String
        var service: String
        /// Port name or number as written in the proxy path; "" matches any port.
        var port: String
    }

    public init() {}

    /// Routes `<namespace>/<service>[:<port>]` to `url` (scheme, host and port; the proxied path is appended).
    public func register(namespace: String, service: String, port: String? = nil, url: URL) {
        endpoints[Key(namespace: namespace, service: service, port: port ?? "")] = url
    }

    public func remove(namespace: String, service: String, port: String? = nil) {
        endpoints[Key(namespace: namespace, service: service, port: port ?? "")] = nil
    }

    func resolve(namespace: String, service: String, port: String) -> URL? {
        endpoints[Key(namespace: namespace, service: service, port: port)]
            ?? endpoints[Key(namespace: namespace, service: service, port: "")]
    }
}

/// The service segment of a proxy path: `[scheme:]name[:port]`.
struct ServiceProxyTarget: Equatable {
    var scheme: String
    var name: String
    var port: String

    init?(_ segment: String) {
        let parts = segment.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: (scheme, name, port) = ("", parts[0], "")
        case 2: (scheme, name, port) = ("", parts[0], parts[1])
        case 3: (scheme, name, port) = (parts[0], parts[1], parts[2])
        default: return nil
        }
        guard ["", "http", "https"].contains(scheme), !name.isEmpty else { return nil }
    }
}
