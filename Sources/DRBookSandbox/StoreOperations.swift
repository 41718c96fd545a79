import DRBookKube
import FlyingFox
import Foundation

/// One resource request served from the store: the verbs, the `status` and `scale`
/// subresources, list pages, watch streams and the patch content types.
struct StoreOperations {
    let store: SandboxStore
    let entry: APIResource
    let path: RequestRoute.ResourcePath
    let maximumWatch: Duration

    private var resource: GroupResource { entry.groupResource }
    private var name: String { path.name ?? "" }

    func perform(_ operation: APIOperation, request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        switch (operation.kind, APIResource.Subresource(rawValue: path.subresource ?? "")) {
        case (.get, .scale?):
            return try APIHandler.json(ScaleSubresource.scale(of: try await store.get(resource, namespace: path.namespace, name: name)))
        case (.get, _):
            return try APIHandler.json(try await store.get(resource, namespace: path.namespace, name: name))
        case (.list, _):
            return try APIHandler.json(try await list(request))
        case (.watch, _):
            return try await watch(request)
        case (.create, _):
            let created = try await store.create(resource, namespace: path.namespace, try await request.jsonBody())
            return try APIHandler.json(created, status: 201)
        case (.update, let subresource):
            return try APIHandler.json(try await update(try await request.jsonBody(), subresource: subresource))
        case (.patch, let subresource):
            let body = try await request.jsonBody()
            if Self.mediaType(request.headers[.contentType]) == Self.jsonPatch, subresource != .scale {
                let changed = try await store.modify(resource, namespace: path.namespace, name: name, status: subresource == .status) {
                    $0 = try JSONPatch.apply(body, to: $0)
                }
                return try APIHandler.json(changed)
            }
            let patch = try Self.mergePatch(from: body, contentType: request.headers[.contentType], entry: entry)
            return try APIHandler.json(try await apply(patch, subresource: subresource))
        case (.delete, _):
            let options = try await DeleteOptions(request)
            let deleted = try await store.delete(resource, namespace: path.namespace, name: name,
                                                 propagation: options.propagation, preconditions: options.preconditions)
            return try APIHandler.json(deleted)
        case (.deleteCollection, _):
            let options = try await DeleteOptions(request)
            let page = try await store.list(resource, namespace: path.namespace, options: try listOptions(request, paged: false))
            var deleted: [DRBookKube.JSONValue] = []
            for item in page.items {
                deleted.append(try await store.delete(resource, namespace: item.metadata("namespace"), name: item.metadata("name") ?? "",
                                                      propagation: options.propagation))
            }
            return try APIHandler.json(listDocument(ObjectList(items: deleted, resourceVersion: await store.resourceVersion)))
        case (.proxy, _):
            throw APIError.pathNotFound
        }
    }

    // MARK: reads

    private func listOptions(_ request: FlyingFox.HTTPRequest, paged: Bool = true) throws -> ListOptions {
        var options = ListOptions()
        if let text = request.queryValue("labelSelector") { options.labelSelector = try LabelSelector(parsing: text) }
        if let text = request.queryValue("fieldSelector") {
            options.fieldSelector = try FieldSelector(parsing: text, allowed: entry.fieldSelectorPaths)
        }
        if paged {
            if let text = request.queryValue("limit") {
                guard let limit = Int(text), limit >= 0 else { throw APIError.badRequest("limit: invalid value \"\(text)\"") }
                options.limit = limit
            }
            options.continueToken = request.queryValue("continue")
        }
        return options
    }

    private func list(_ request: FlyingFox.HTTPRequest) async throws -> DRBookKube.JSONValue {
        listDocument(try await store.list(resource, namespace: path.namespace, options: try listOptions(request)))
    }

    private func listDocument(_ page: ObjectList) -> DRBookKube.JSONValue {
        var metadata: [String: DRBookKube.JSONValue] = ["resourceVersion": .string(page.resourceVersion)]
        if let token = page.continueToken { metadata["continue"] = .string(token) }
        if let remaining = page.remainingItemCount { metadata["remainingItemCount"] = .int(remaining) }
        return [
            "kind": .string("\(entry.kind)List"), "apiVersion": .string(entry.groupVersion),
            "metadata": .object(metadata), "items": .array(page.items),
        ]
    }

    private func watch(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        let options = try listOptions(request, paged: false)
        var timeout = maximumWatch
        if let text = request.queryValue("timeoutSeconds"), let seconds = Int(text), seconds > 0 {
            timeout = min(timeout, .seconds(seconds))
        }
        let body: WatchBody
        do {
            let events = try await store.watch(resource, namespace: path.namespace, from: request.queryValue("resourceVersion"),
                                               labelSelector: options.labelSelector, fieldSelector: options.fieldSelector)
            body = WatchBody(events: events, timeout: timeout)
        } catch let error as APIError where error.reason == .expired {
            // A real server answers a too-old resourceVersion inside the stream, as an ERROR event.
            body = WatchBody(error: error)
        }
        return FlyingFox.HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"],
                                      body: HTTPBodySequence(from: body, suggestedBufferSize: 64 << 10))
    }

    // MARK: writes

    private func update(_ body: DRBookKube.JSONValue, subresource: APIResource.Subresource?) async throws -> DRBookKube.JSONValue {
        var body = body
        if let bodyName = body.metadata("name"), bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        switch subresource {
        case .scale:
            let patch = try ScaleSubresource.objectPatch(from: body)
            return ScaleSubresource.scale(of: try await store.mergePatch(resource, namespace: path.namespace, name: name, patch))
        case .status:
            body.set(.string(name), at: ["metadata", "name"])
            return try await store.updateStatus(resource, namespace: path.namespace, body)
        case nil:
            body.set(.string(name), at: ["metadata", "name"])
            return try await store.update(resource, namespace: path.namespace, body)
        }
    }

    private func apply(_ patch: DRBookKube.JSONValue, subresource: APIResource.Subresource?) async throws -> DRBookKube.JSONValue {
        switch subresource {
        case .scale:
            let current = ScaleSubresource.scale(of: try await store.get(resource, namespace: path.namespace, name: name))
            let objectPatch = try ScaleSubresource.objectPatch(from: current.applyingMergePatch(patch))
            return ScaleSubresource.scale(of: try await store.mergePatch(resource, namespace: path.namespace, name: name, objectPatch))
        case .status:
            return try await store.patchStatus(resource, namespace: path.namespace, name: name, patch)
        case nil:
            return try await store.mergePatch(resource, namespace: path.namespace, name: name, patch)
        }
    }

    /// The patch as a JSON merge patch (JSON patch is applied apart, in the store). A strategic merge patch (what kubectl sends for
    /// built-in kinds) is taken as a merge patch without its `$` directives: lists are
    /// replaced whole rather than merged by key, an approximation that holds for the
    /// fields drbook and its tests touch. Custom resources refuse strategic merge, as a
    /// real server does.
    static let jsonPatch = "application/json-patch+json"

    static func mediaType(_ contentType: String?) -> String {
        (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    static func mergePatch(from body: DRBookKube.JSONValue, contentType: String?, entry: APIResource) throws -> DRBookKube.JSONValue {
        switch mediaType(contentType) {
        case "application/merge-patch+json":
            return body
        case "application/strategic-merge-patch+json" where entry.isBuiltIn:
            return withoutDirectives(body)
        default:
            throw APIError(.unsupportedMediaType, "the body of the request was in an unknown format - accepted media types include: "
                           + "\(jsonPatch), application/merge-patch+json" + (entry.isBuiltIn ? ", application/strategic-merge-patch+json" : ""))
        }
    }

    private static func withoutDirectives(_ value: DRBookKube.JSONValue) -> DRBookKube.JSONValue {
        switch value {
        case .object(let fields):
            return .object(fields.filter { !$0.key.hasPrefix("$") }.mapValues(withoutDirectives))
        case .array(let items):
            return .array(items.map(withoutDirectives))
        default:
            return value
        }
    }
}

/// DeleteOptions from the body (`propagationPolicy`, `orphanDependents`, `preconditions`)
/// or the `propagationPolicy` query parameter.
struct DeleteOptions {
    var propagation = DeletePropagation.background
    var preconditions = DeletePreconditions()

    init(_ request: FlyingFox.HTTPRequest) async throws {
        let data = try await request.bodyData
        let body = data.isEmpty ? nil : try? DRBookKube.JSONValue(data: data)
        if let text = body?["propagationPolicy"]?.stringValue ?? request.queryValue("propagationPolicy") {
            guard let policy = DeletePropagation(rawValue: text) else {
                throw APIError.badRequest("propagationPolicy: Unsupported value: \"\(text)\": supported values: \"Foreground\", \"Background\", \"Orphan\"")
            }
            propagation = policy
        } else if body?["orphanDependents"]?.boolValue == true {
            propagation = .orphan
        }
        preconditions.uid = body?[path: ["preconditions", "uid"]]?.stringValue
        preconditions.resourceVersion = body?[path: ["preconditions", "resourceVersion"]]?.stringValue
    }
}

extension APIResource {
    /// Kubernetes' own kinds; custom resources always have a dotted group outside `*.k8s.io`.
    var isBuiltIn: Bool { !group.contains(".") || group.hasSuffix(".k8s.io") }
}
