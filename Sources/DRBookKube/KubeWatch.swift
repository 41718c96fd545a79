import DRBookHTTP
import Foundation

/// One change seen by a watch.
public struct KubeWatchEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case added = "ADDED", modified = "MODIFIED", deleted = "DELETED", bookmark = "BOOKMARK"
    }
    public var kind: Kind
    public var object: JSONValue

    public var resourceVersion: String? { object[path: ["metadata", "resourceVersion"]]?.stringValue }

    public func decode<Object: Decodable>(_ type: Object.Type) throws -> Object { try object.decode(type) }
}

extension KubeClient {
    /// Streams changes from `resourceVersion` on (from now when nil) until the server
    /// ends the watch, `timeout` passes, or the consumer stops iterating. An ERROR event
    /// ends the stream with its `Status` as a `KubeAPIError` (410 Expired: list again).
    public func watch(_ resource: KubeResource, namespace: String? = nil, name: String? = nil,
                      labelSelector: String? = nil, resourceVersion: String? = nil,
                      timeout: Duration = .seconds(300)) -> AsyncThrowingStream<KubeWatchEvent, any Error> {
        let ns = resource.namespaced ? namespace : nil
        var query: [(String, String)] = [("watch", "1"), ("allowWatchBookmarks", "true"),
                                         ("timeoutSeconds", String(max(1, Int(timeout.components.seconds))))]
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let name { query.append(("fieldSelector", "metadata.name=\(name)")) }
        var prepared = request(.get, resource.path(namespace: ns), query: query)
        // A watch is quiet while nothing changes: no stall limit; the server's
        // timeoutSeconds ends it, and the task below ends it if the server does not.
        prepared.timeouts = HTTPTimeouts(connect: timeouts.connect, total: nil, stall: nil)
        let request = prepared
        let target = describe(resource, name, ns)
        let client = self
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await client.readWatch(request, target: target, into: continuation)
                        }
                        group.addTask {
                            try await Task.sleep(for: timeout + .seconds(10))
                        }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func readWatch(_ request: HTTPRequest, target: String,
                           into continuation: AsyncThrowingStream<KubeWatchEvent, any Error>.Continuation) async throws {
        let response = try await credentials.perform({ credentials in
            var authorized = request
            credentials.apply(to: &authorized)
            return try await self.http.stream(authorized)
        }, isUnauthorized: { $0.status == 401 })
        guard response.isSuccess else {
            let body = (try? await response.body.collect(upTo: 64 << 10)) ?? Data()
            throw apiError(status: response.status, body: body, verb: "watch", target: target)
        }
        defer { response.body.cancel() }
        var pending = Data()
        for try await chunk in response.body {
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                guard !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) else { continue }
                continuation.yield(try decodeWatchLine(Data(line), target: target))
            }
        }
        // The server may end the last event without a newline.
        if !pending.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) {
            continuation.yield(try decodeWatchLine(pending, target: target))
        }
    }

    private func decodeWatchLine(_ line: Data, target: String) throws -> KubeWatchEvent {
        let event = try JSONValue(data: line)
        let type = event["type"]?.stringValue ?? ""
        let object = event["object"] ?? .null
        if type == "ERROR" {
            throw apiError(status: object["code"]?.intValue ?? 500, body: (try? object.data()) ?? Data(),
                           verb: "watch", target: target)
        }
        guard let kind = KubeWatchEvent.Kind(rawValue: type) else {
            throw KubeDecodingError(target: target, expected: "watch event", detail: "unknown event type '\(type)'")
        }
        return KubeWatchEvent(kind: kind, object: object)
    }

    /// Waits until the object satisfies `condition` (it receives nil while the object does
    /// not exist), reading it every `interval` until `timeout`. Polling, rather than a
    /// watch, keeps working through API-server restarts and proxies that cut long requests.
    public func waitUntil<Object: KubeObject>(_ type: Object.Type, _ name: String, namespace: String? = nil,
                                              timeout: Duration, interval: Duration = .seconds(2),
                                              _ condition: @Sendable (Object?) -> Bool) async throws -> Object? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let object = try await getIfPresent(type, name, namespace: namespace)
            if condition(object) { return object }
            guard clock.now + interval < deadline else {
                throw KubeWaitTimeout(target: describe(Object.resource, name, scope(Object.resource, namespace)), timeout: timeout,
                                      lastSeen: object.map { _ in "present" } ?? "absent")
            }
            try await Task.sleep(for: interval)
        }
    }
}

public struct KubeWaitTimeout: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var timeout: Duration
    public var lastSeen: String
    public var description: String {
        "\(target) did not reach the expected state within \(timeout) (last seen: \(lastSeen)); check it with kubectl and the controller's logs"
    }
}
