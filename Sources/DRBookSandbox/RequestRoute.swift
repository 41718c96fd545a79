import Foundation

/// What an API path names, parsed the way the API server's request-info resolver does:
/// discovery documents, or a resource (namespaced or not) with an optional name and
/// subresource.
enum RequestRoute: Equatable {
    case version
    case coreVersions                          // /api
    case coreResources                         // /api/v1
    case groups                                // /apis
    case group(String)                         // /apis/<g>
    case groupResources(String, String)        // /apis/<g>/<v>
    case openAPIRoot                           // /openapi/v3
    case openAPI(String)                       // /openapi/v3/<api/v1 | apis/g/v>
    case resource(ResourcePath)
    case unknown

    struct ResourcePath: Equatable {
        var group: String
        var version: String
        var resource: String
        var namespace: String?
        var name: String?
        var subresource: String?
        /// For the service proxy: the path after `/proxy`, starting with `/`.
        var proxyPath: String?
    }

    init(path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
            .map { String($0).removingPercentEncoding ?? String($0) }
        switch segments.first {
        case "version" where segments.count == 1:
            self = .version
        case "api":
            if segments.count == 1 { self = .coreVersions; return }
            guard segments[1] == "v1" else { self = .unknown; return }
            if segments.count == 2 { self = .coreResources; return }
            self = Self.resource(group: "", version: "v1", Array(segments.dropFirst(2)))
        case "openapi" where segments.count >= 2 && segments[1] == "v3":
            self = segments.count == 2 ? .openAPIRoot : .openAPI(segments.dropFirst(2).joined(separator: "/"))
        case "apis":
            switch segments.count {
            case 1: self = .groups
            case 2: self = .group(segments[1])
            case 3: self = .groupResources(segments[1], segments[2])
            default: self = Self.resource(group: segments[1], version: segments[2], Array(segments.dropFirst(3)))
            }
        default:
            self = .unknown
        }
    }

    private static func resource(group: String, version: String, _ segments: [String]) -> RequestRoute {
        var rest = segments[...]
        var namespace: String?
        // `namespaces/<ns>/<resource>...`, but `namespaces/<ns>/status` is the namespace's own subresource.
        if rest.first == "namespaces", rest.count >= 3, !(rest.count == 3 && ["status", "finalize"].contains(rest[rest.startIndex + 2])) {
            namespace = rest[rest.startIndex + 1]
            rest = rest.dropFirst(2)
        }
        let parts = Array(rest)
        guard let resource = parts.first else { return .unknown }
        var path = ResourcePath(group: group, version: version, resource: resource, namespace: namespace)
        if parts.count > 1 { path.name = parts[1] }
        if parts.count > 2 { path.subresource = parts[2] }
        if path.subresource == "proxy" {
            path.proxyPath = "/" + parts.dropFirst(3).joined(separator: "/")
        } else if parts.count > 3 {
            return .unknown
        }
        return .resource(path)
    }
}
