import FlyingFox
import Foundation

/// The operation a resource request asks for, and its RBAC verb.
struct APIOperation {
    enum Kind { case get, list, watch, create, update, patch, delete, deleteCollection, proxy }

    var kind: Kind
    var verb: String

    init(request: FlyingFox.HTTPRequest, path: RequestRoute.ResourcePath, entry: APIResource) throws {
        if path.subresource == "proxy" {
            guard entry.groupResource == ServiceProxy.resource, path.name != nil else { throw APIError.pathNotFound }
            kind = .proxy
            verb = Self.proxyVerbs[request.method.rawValue] ?? "get"
            return
        }
        if let subresource = path.subresource {
            guard let known = APIResource.Subresource(rawValue: subresource), entry.subresources.contains(known) else {
                throw APIError.pathNotFound
            }
        }
        let isWatch = ["true", "1"].contains(request.queryValue("watch") ?? "")
        switch (request.method.rawValue, path.name != nil) {
        case ("GET", true): (kind, verb) = (.get, "get")
        case ("GET", false): (kind, verb) = isWatch ? (.watch, "watch") : (.list, "list")
        case ("POST", false): (kind, verb) = (.create, "create")
        case ("PUT", true): (kind, verb) = (.update, "update")
        case ("PATCH", true): (kind, verb) = (.patch, "patch")
        case ("DELETE", true): (kind, verb) = (.delete, "delete")
        case ("DELETE", false): (kind, verb) = (.deleteCollection, "deletecollection")
        default:
            throw APIError.methodNotSupported(entry.groupResource, request.method.rawValue)
        }
        guard path.subresource == nil || [.get, .update, .patch].contains(kind) else {
            throw APIError.methodNotSupported(entry.groupResource, request.method.rawValue)
        }
        guard entry.verbs.contains(verb) || (path.subresource != nil) else {
            throw APIError.methodNotSupported(entry.groupResource, verb)
        }
    }

    /// The verb RBAC checks for each method on `services/proxy`.
    static let proxyVerbs = ["GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"]
}
