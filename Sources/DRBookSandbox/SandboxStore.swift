import DRBookKube
import Foundation

/// The sandbox's storage: every object of every resource in the catalogue, in memory.
///
/// It keeps the API server's bookkeeping: one global resourceVersion counter (sent as a
/// string), `metadata.uid`, `creationTimestamp`, `generation` (bumped when anything but
/// metadata and status changes), optimistic concurrency (a stale resourceVersion in a
/// write is a 409), the status subresource (writes to the object keep its status, status
/// writes change only the status) and a change log that watches replay from a
/// resourceVersion. The HTTP server and the simulated controllers both write through
/// this API, so a change made by one is seen by the other exactly as in a cluster.
///
/// Deletion is immediate: no finalizers, no grace period, no `deletionTimestamp`.
/// Deleting a namespace deletes everything in it; deleting an owner deletes (background,
/// foreground) or orphans its dependents at once.
public actor SandboxStore {
    public nonisolated let catalogue: ResourceCatalogue
    private let now: @Sendable () -> Date

    private var objects: [GroupResource: [ObjectKey: JSONValue]] = [:]
    private var counter = 0
    /// Recent changes, oldest first, for watches that start from a resourceVersion.
    private var log: [(version: Int, event: WatchEvent, previous: JSONValue?)] = []
    private let logCapacity: Int
    /// The newest resourceVersion no longer in the log: watches from before it get 410 Expired.
    private var compactedThrough = 0
    private var watchers: [UUID: Watcher] = [:]

    private struct Watcher {
        var filter: WatchFilter
        var continuation: AsyncStream<WatchEvent>.Continuation
    }

    /// - Parameter logCapacity: how many changes a watch can be behind before it gets 410 Expired.
    public init(catalogue: ResourceCatalogue = .standard, logCapacity: Int = 10_000,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.catalogue = catalogue
        self.logCapacity = max(1, logCapacity)
        self.now = now
    }

    /// The current resourceVersion of the whole store.
    public var resourceVersion: String { String(counter) }

    // MARK: reading

    public func get(_ resource: GroupResource, namespace: String? = nil, name: String) throws -> JSONValue {
        let entry = try entry(resource)
        let key = ObjectKey(namespace: entry.namespaced ? namespace ?? "" : "", name: name)
        guard let object = objects[resource]?[key] else { throw APIError.notFound(resource, name) }
        return object
    }

    /// Objects sorted by namespace and name; `namespace` nil lists every namespace.
    public func list(_ resource: GroupResource, namespace: String? = nil, options: ListOptions = ListOptions()) throws -> ObjectList {
        let entry = try entry(resource)
        var listVersion = counter
        var after: ObjectKey?
        if let token = options.continueToken, !token.isEmpty {
            let decoded = try ContinueToken(token)
            listVersion = decoded.resourceVersion
            after = decoded.after
        }
        let scope = entry.namespaced ? namespace : nil
        let matching = (objects[resource] ?? [:])
            .filter { key, object in
                (scope == nil || key.namespace == scope) && (after.map { key > $0 } ?? true)
                    && options.labelSelector.matches(object.labels) && options.fieldSelector.matches(object)
            }
            .sorted { $0.key < $1.key }
        guard let limit = options.limit, limit > 0, matching.count > limit else {
            return ObjectList(items: matching.map(\.value), resourceVersion: String(listVersion))
        }
        let page = matching.prefix(limit)
        let token = ContinueToken(resourceVersion: listVersion, after: page.last!.key).encoded
        return ObjectList(items: page.map(\.value), resourceVersion: String(listVersion), continueToken: token,
                          remainingItemCount: matching.count - limit)
    }

    // MARK: writing

    /// Creates an object. Its namespace comes from `namespace` or `metadata.namespace`;
    /// `metadata.generateName` makes a name when there is none. The status of a kind with
    /// a status subresource is dropped, as the API server drops it.
    @discardableResult
    public func create(_ resource: GroupResource, namespace: String? = nil, _ object: JSONValue) throws -> JSONValue {
        let entry = try entry(resource)
        var object = try ObjectRules.prepareForCreate(object, entry: entry, namespace: namespace)
        let key = ObjectKey(namespace: object.metadata("namespace") ?? "", name: object.metadata("name") ?? "")
        if entry.namespaced, objects[Self.namespaces]?[ObjectKey(namespace: "", name: key.namespace)] == nil {
            throw APIError.notFound(Self.namespaces, key.namespace)
        }
        guard objects[resource]?[key] == nil else { throw APIError.alreadyExists(resource, key.name) }
        counter += 1
        object.set(.string(UUID().uuidString.lowercased()), at: ["metadata", "uid"])
        object.set(.string(KubeJSON.formatTime(now())), at: ["metadata", "creationTimestamp"])
        object.set(.int(1), at: ["metadata", "generation"])
        object.set(.string(String(counter)), at: ["metadata", "resourceVersion"])
        objects[resource, default: [:]][key] = object
        record(WatchEvent(type: .added, resource: resource, object: object))
        return object
    }

    /// Replaces an object (PUT). A resourceVersion in the body must be the current one.
    @discardableResult
    public func update(_ resource: GroupResource, namespace: String? = nil, _ object: JSONValue) throws -> JSONValue {
        let entry = try entry(resource)
        let (key, old) = try existing(resource, entry: entry, namespace: namespace ?? object.metadata("namespace"),
                                      name: object.metadata("name") ?? "")
        var new = object
        if entry.hasStatus { new["status"] = old["status"] }
        return try commit(resource, entry: entry, key: key, old: old, new: new, precondition: object.metadata("resourceVersion"))
    }

    /// Replaces only the status of an object (PUT on `/status`).
    @discardableResult
    public func updateStatus(_ resource: GroupResource, namespace: String? = nil, _ object: JSONValue) throws -> JSONValue {
        let entry = try entry(resource)
        let (key, old) = try existing(resource, entry: entry, namespace: namespace ?? object.metadata("namespace"),
                                      name: object.metadata("name") ?? "")
        var new = old
        new["status"] = object["status"]
        return try commit(resource, entry: entry, key: key, old: old, new: new, precondition: object.metadata("resourceVersion"))
    }

    /// Applies an RFC 7386 merge patch (`null` deletes a field). A resourceVersion in the
    /// patch is a precondition. The status of a kind with a status subresource is kept.
    @discardableResult
    public func mergePatch(_ resource: GroupResource, namespace: String? = nil, name: String, _ patch: JSONValue) throws -> JSONValue {
        let entry = try entry(resource)
        let (key, old) = try existing(resource, entry: entry, namespace: namespace, name: name)
        var new = old.applyingMergePatch(patch)
        if entry.hasStatus { new["status"] = old["status"] }
        return try commit(resource, entry: entry, key: key, old: old, new: new,
                          precondition: patch.metadata("resourceVersion"))
    }

    /// Merge-patches only the status (PATCH on `/status`). Works for every kind, so the
    /// simulated controllers need not know which kinds have the subresource.
    @discardableResult
    public func patchStatus(_ resource: GroupResource, namespace: String? = nil, name: String, _ patch: JSONValue) throws -> JSONValue {
        let entry = try entry(resource)
        let (key, old) = try existing(resource, entry: entry, namespace: namespace, name: name)
        var new = old
        new["status"] = old.applyingMergePatch(patch)["status"]
        return try commit(resource, entry: entry, key: key, old: old, new: new,
                          precondition: patch.metadata("resourceVersion"))
    }

    /// Changes an object in place, atomically: `change` gets the current object and
    /// edits it (read-modify-write without a conflict window; controllers and JSON patch use
    /// it). With `status: true` only the status of the result is kept, otherwise the status of
    /// a kind with a status subresource is. A resourceVersion the change sets is a precondition.
    @discardableResult
    public func modify(_ resource: GroupResource, namespace: String? = nil, name: String, status: Bool = false,
                       _ change: @Sendable (inout JSONValue) throws -> Void) throws -> JSONValue {
        let entry = try entry(resource)
        let (key, old) = try existing(resource, entry: entry, namespace: namespace, name: name)
        var changed = old
        try change(&changed)
        var new = old
        if status {
            new["status"] = changed["status"]
        } else {
            new = changed
            if entry.hasStatus { new["status"] = old["status"] }
        }
        return try commit(resource, entry: entry, key: key, old: old, new: new, precondition: changed.metadata("resourceVersion"))
    }

    /// Deletes an object at once and returns its last state. Deleting a namespace deletes
    /// its objects; dependents (by owner reference) are deleted or orphaned per `propagation`.
    @discardableResult
    public func delete(_ resource: GroupResource, namespace: String? = nil, name: String,
                       propagation: DeletePropagation = .background,
                       preconditions: DeletePreconditions = DeletePreconditions()) throws -> JSONValue {
        let entry = try entry(resource)
        let (key, old) = try existing(resource, entry: entry, namespace: namespace, name: name)
        if let uid = preconditions.uid, uid != old.metadata("uid") {
            throw APIError.conflict(resource, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(old.metadata("uid") ?? "")")
        }
        if let version = preconditions.resourceVersion, version != old.metadata("resourceVersion") {
            throw APIError.conflict(resource, name, "Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(old.metadata("resourceVersion") ?? "")")
        }
        let deleted = remove(resource, key: key)
        if resource == Self.namespaces {
            for (other, stored) in objects where catalogue.resource(other)?.namespaced == true {
                for objectKey in stored.keys.sorted() where objectKey.namespace == name { remove(other, key: objectKey) }
            }
        }
        if let uid = old.metadata("uid") { propagateDeletion(ofOwner: uid, propagation) }
        return deleted
    }

    // MARK: watching

    /// Changes to `resource` from `resourceVersion` on. Without a resourceVersion (or "0")
    /// the stream starts with an ADDED event for every matching object, then follows
    /// changes; with one, it replays the changes after it. A resourceVersion older than
    /// the change log throws 410 Expired: list again and watch from the list's version.
    /// The stream ends when the consumer stops iterating or `finishWatches()` is called.
    public func watch(_ resource: GroupResource, namespace: String? = nil, from resourceVersion: String? = nil,
                      labelSelector: LabelSelector = LabelSelector(), fieldSelector: FieldSelector = FieldSelector()) throws -> AsyncStream<WatchEvent> {
        let entry = try entry(resource)
        let filter = WatchFilter(resource: resource, namespace: entry.namespaced ? namespace : nil,
                                 labelSelector: labelSelector, fieldSelector: fieldSelector)
        var backlog: [WatchEvent] = []
        if let text = resourceVersion, !text.isEmpty, text != "0" {
            guard let version = Int(text) else { throw APIError.badRequest("invalid resource version: \(text)") }
            guard version >= compactedThrough else {
                throw APIError.expired("too old resource version: \(version) (\(compactedThrough + 1))")
            }
            backlog = log.filter { $0.version > version }.compactMap { filter.translate($0.event, previous: $0.previous) }
        } else {
            let current = try list(resource, namespace: filter.namespace,
                                   options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector))
            backlog = current.items.map { WatchEvent(type: .added, resource: resource, object: $0) }
        }
        let id = UUID()
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream()
        for event in backlog { continuation.yield(event) }
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeWatcher(id) }
        }
        watchers[id] = Watcher(filter: filter, continuation: continuation)
        return stream
    }

    /// Ends every open watch stream (the sandbox is stopping).
    public func finishWatches() {
        let open = watchers.values
        watchers = [:]
        for watcher in open { watcher.continuation.finish() }
    }

    /// How many watches are open: tests use it to know a watcher is in place before changing objects.
    public var openWatchCount: Int { watchers.count }

    private func removeWatcher(_ id: UUID) { watchers[id] = nil }

    // MARK: internals

    static let namespaces = GroupResource(group: "", resource: "namespaces")

    private func entry(_ resource: GroupResource) throws -> APIResource {
        guard let entry = catalogue.resource(resource) else { throw APIError.pathNotFound }
        return entry
    }

    private func existing(_ resource: GroupResource, entry: APIResource, namespace: String?, name: String) throws -> (ObjectKey, JSONValue) {
        let key = ObjectKey(namespace: entry.namespaced ? namespace ?? "" : "", name: name)
        guard let old = objects[resource]?[key] else { throw APIError.notFound(resource, name) }
        return (key, old)
    }

    /// Writes `new` in place of `old` unless nothing changed (a no-op write keeps the
    /// resourceVersion, as the API server does).
    private func commit(_ resource: GroupResource, entry: APIResource, key: ObjectKey, old: JSONValue, new: JSONValue,
                        precondition: String?) throws -> JSONValue {
        if let precondition, !precondition.isEmpty, precondition != old.metadata("resourceVersion") {
            throw APIError.staleResourceVersion(resource, key.name)
        }
        var new = try ObjectRules.prepareForUpdate(new, old: old, entry: entry, key: key)
        guard new != old else { return old }
        if ObjectRules.specChanged(old, new) {
            new.set(.int((old[path: ["metadata", "generation"]]?.intValue ?? 0) + 1), at: ["metadata", "generation"])
        }
        counter += 1
        new.set(.string(String(counter)), at: ["metadata", "resourceVersion"])
        objects[resource, default: [:]][key] = new
        record(WatchEvent(type: .modified, resource: resource, object: new), previous: old)
        return new
    }

    @discardableResult
    private func remove(_ resource: GroupResource, key: ObjectKey) -> JSONValue {
        guard var object = objects[resource]?.removeValue(forKey: key) else { return .null }
        counter += 1
        object.set(.string(String(counter)), at: ["metadata", "resourceVersion"])
        record(WatchEvent(type: .deleted, resource: resource, object: object))
        return object
    }

    private func propagateDeletion(ofOwner uid: String, _ propagation: DeletePropagation) {
        for (resource, stored) in objects {
            for (key, object) in stored.sorted(by: { $0.key < $1.key }) {
                guard let references = object[path: ["metadata", "ownerReferences"]]?.arrayValue,
                      references.contains(where: { $0["uid"]?.stringValue == uid }) else { continue }
                switch propagation {
                case .background, .foreground:
                    guard objects[resource]?[key] != nil else { continue }
                    let removed = remove(resource, key: key)
                    if let dependent = removed.metadata("uid") { propagateDeletion(ofOwner: dependent, propagation) }
                case .orphan:
                    var orphan = object
                    let kept = references.filter { $0["uid"]?.stringValue != uid }
                    orphan.set(kept.isEmpty ? nil : .array(kept), at: ["metadata", "ownerReferences"])
                    counter += 1
                    orphan.set(.string(String(counter)), at: ["metadata", "resourceVersion"])
                    objects[resource]?[key] = orphan
                    record(WatchEvent(type: .modified, resource: resource, object: orphan), previous: object)
                }
            }
        }
    }

    private func record(_ event: WatchEvent, previous: JSONValue? = nil) {
        log.append((counter, event, previous))
        if log.count > logCapacity {
            let dropped = log.count - logCapacity
            compactedThrough = log[dropped - 1].version
            log.removeFirst(dropped)
        }
        for watcher in watchers.values {
            if let seen = watcher.filter.translate(event, previous: previous) { watcher.continuation.yield(seen) }
        }
    }
}

/// Which events a watch receives, and as what: as on a real server, an object modified
/// into a watch's selectors arrives as ADDED and one modified out of them as DELETED.
struct WatchFilter: Sendable {
    var resource: GroupResource
    var namespace: String?
    var labelSelector: LabelSelector
    var fieldSelector: FieldSelector

    func translate(_ event: WatchEvent, previous: JSONValue?) -> WatchEvent? {
        guard event.resource == resource, namespace == nil || event.object.metadata("namespace") == namespace else { return nil }
        let now = selects(event.object)
        guard event.type == .modified, let previous else { return now ? event : nil }
        switch (selects(previous), now) {
        case (true, true): return event
        case (false, true): return WatchEvent(type: .added, resource: event.resource, object: event.object)
        case (true, false): return WatchEvent(type: .deleted, resource: event.resource, object: event.object)
        case (false, false): return nil
        }
    }

    private func selects(_ object: JSONValue) -> Bool {
        labelSelector.matches(object.labels) && fieldSelector.matches(object)
    }
}
