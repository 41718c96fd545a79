import DRBookKube
import Foundation

/// A simulated controller (Velero, Flux, prometheus-operator ...): started with the
/// store when the sandbox starts, it watches the store and writes back through the same
/// API the HTTP server uses, so objects created with kubectl and with drbook are
/// reconciled alike. `run` returns or throws only when the controller is done; the
/// sandbox cancels it on stop.
public protocol SandboxController: Sendable {
    /// Shown in the sandbox's log and errors.
    var name: String { get }
    func run(store: SandboxStore) async throws
}

/// A controller that reacts to changes of some resources, one event at a time. Its
/// `run` watches each resource (starting with an ADDED event per existing object) and
/// calls `handle` in order per resource.
public protocol EventDrivenController: SandboxController {
    /// The resources to watch, with the namespace to restrict to (nil: all namespaces).
    var watches: [(resource: GroupResource, namespace: String?)] { get }
    func handle(_ event: WatchEvent, store: SandboxStore) async throws
}

extension EventDrivenController {
    public func run(store: SandboxStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for watch in watches {
                let stream = try await store.watch(watch.resource, namespace: watch.namespace)
                group.addTask {
                    for await event in stream {
                        try Task.checkCancellation()
                        try await handle(event, store: store)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

extension SandboxStore {
    /// Waits until the object satisfies `condition` (nil: it does not exist), watching
    /// rather than polling; throws `WaitTimedOut` after `timeout`. Tests and controllers
    /// use it instead of sleeping.
    @discardableResult
    public func waitFor(_ resource: GroupResource, namespace: String? = nil, name: String, timeout: Duration,
                        until condition: @escaping @Sendable (JSONValue?) -> Bool) async throws -> JSONValue? {
        let stream = try watch(resource, namespace: namespace, fieldSelector: FieldSelector(requirements: [
            FieldSelector.Requirement(path: "metadata.name", value: name, negated: false),
        ]))
        let current = try? get(resource, namespace: namespace, name: name)
        if condition(current) { return current }
        return try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            group.addTask {
                for await event in stream {
                    let object: JSONValue? = event.type == .deleted ? nil : event.object
                    if condition(object) { return object }
                }
                throw CancellationError()
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw WaitTimedOut(what: "\(resource) \(namespace.map { "\($0)/" } ?? "")\(name)", timeout: timeout)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

public struct WaitTimedOut: Error, CustomStringConvertible, Sendable {
    public var what: String
    public var timeout: Duration
    public var description: String { "\(what) did not reach the expected state within \(timeout)" }
}
