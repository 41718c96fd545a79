import DRBookHTTP
import DRBookKube
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// The API server over plain HTTP with drbook's own client: authentication, Status
/// errors, patch content types and the watch stream, as a real server answers them.
@Suite("Sandbox API server over HTTP: authentication, Status errors, patches, watch streams")
struct APIServerTests {
    static let namespace = "monitoring"

    func request(_ sandbox: Sandbox, _ path: String, method: DRBookHTTP.HTTPMethod = .get, token: String? = nil,
                 headers: DRBookHTTP.HTTPHeaders = [:], body: JSONValue? = nil, contentType: String = "application/json") throws -> DRBookHTTP.HTTPRequest {
        var headers = headers
        if body != nil { headers.set("Content-Type", contentType) }
        return DRBookHTTP.HTTPRequest(method, URL(string: sandbox.serverURL.absoluteString + path)!, headers: headers,
                                      body: try body.map { .bytes(try $0.data()) }, timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(30)),
                                      retry: .never, authentication: token.map { .bearer(token: $0) })
    }

    func send(_ request: DRBookHTTP.HTTPRequest) async throws -> (status: Int, body: JSONValue) {
        let response = try await DRBookHTTP.HTTPClient.shared.send(request)
        return (response.status, try JSONValue(data: response.body))
    }

    func token(_ sandbox: Sandbox, _ context: String) -> String { sandbox.identity(context)!.token! }

    @Test("a request without credentials is 401, and identity headers without the terminator's secret are ignored")
    func unauthenticated() async throws {
        try await withSandbox { sandbox in
            let anonymous = try await send(try request(sandbox, "/api/v1/namespaces"))
            #expect(anonymous.status == 401)
            #expect(anonymous.body == ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
                                       "message": "Unauthorized", "reason": "Unauthorized", "code": 401])
            let spoofed = try await send(try request(sandbox, "/api/v1/namespaces", headers: [
                "X-Drbook-Proxy-Secret": "guess", "X-Drbook-Client-Verify": "SUCCESS", "X-Drbook-Client-Subject": "CN=intruder,O=system:masters",
            ]))
            #expect(spoofed.status == 401)
            let wrongToken = try await send(try request(sandbox, "/api/v1/namespaces", token: "not-a-token"))
            #expect(wrongToken.status == 401)
            let version = try await send(try request(sandbox, "/version"))
            #expect(version.status == 200, "/version is public, as system:public-info-viewer makes it")
            #expect(version.body["gitVersion"]?.stringValue?.hasSuffix("+drbook-sandbox") == true)
            let health = try await DRBookHTTP.HTTPClient.shared.send(try request(sandbox, "/readyz"))
            #expect(health.bodyText == "ok")
            let viewer = try await send(try request(sandbox, "/api/v1/namespaces", token: token(sandbox, "sandbox-viewer")))
            #expect(viewer.status == 200)
            #expect(viewer.body["kind"] == "NamespaceList")
        }
    }

    @Test("errors are Status objects: NotFound, AlreadyExists, Conflict with details, unknown path, Forbidden at cluster scope")
    func statusErrors() async throws {
        try await withSandbox { sandbox in
            let admin = token(sandbox, "sandbox-admin")
            try await makeNamespace(sandbox.store, Self.namespace)
            let path = "/api/v1/namespaces/\(Self.namespace)/configmaps"
            let created = try await send(try request(sandbox, path, method: .post, token: admin, body: configMap("alertmanager-config")))
            #expect(created.status == 201)
            let again = try await send(try request(sandbox, path, method: .post, token: admin, body: configMap("alertmanager-config")))
            #expect(again.status == 409)
            #expect(again.body["reason"] == "AlreadyExists")
            #expect(again.body["details"] == ["name": "alertmanager-config", "kind": "configmaps"])

            var stale = created.body
            stale["data"] = ["a": "1"]
            _ = try await send(try request(sandbox, "\(path)/alertmanager-config", method: .put, token: admin, body: stale))
            stale["data"] = ["a": "2"]
            let conflict = try await send(try request(sandbox, "\(path)/alertmanager-config", method: .put, token: admin, body: stale))
            #expect(conflict.status == 409)
            #expect(conflict.body["reason"] == "Conflict")
            #expect(conflict.body["message"] == "Operation cannot be fulfilled on configmaps \"alertmanager-config\": the object has been modified; please apply your changes to the latest version and try again")

            let missing = try await send(try request(sandbox, "/apis/velero.io/v1/namespaces/velero/backups/none", token: admin))
            #expect(missing.status == 404)
            #expect(missing.body["details"] == ["name": "none", "group": "velero.io", "kind": "backups"])
            let unknown = try await send(try request(sandbox, "/apis/velero.io/v1/namespaces/velero/foos", token: admin))
            #expect(unknown.status == 404)
            #expect(unknown.body["message"] == "the server could not find the requested resource")

            let forbidden = try await send(try request(sandbox, "/api/v1/persistentvolumes/pv-1", method: .delete, token: token(sandbox, "sandbox-viewer")))
            #expect(forbidden.status == 403)
            #expect(forbidden.body["message"] == "persistentvolumes \"pv-1\" is forbidden: User \"sandbox-viewer\" cannot delete resource \"persistentvolumes\" in API group \"\" at the cluster scope")
        }
    }

    @Test("patch content types: merge patch, JSON patch, strategic merge as merge patch on built-in kinds, 415 for strategic merge on custom resources and for apply")
    func patchContentTypes() async throws {
        try await withSandbox { sandbox in
            let admin = token(sandbox, "sandbox-admin")
            try await makeNamespace(sandbox.store, Self.namespace)
            try await sandbox.store.create(Resources.configMaps, namespace: Self.namespace, configMap("rules", data: ["a": "1"]))
            try await sandbox.store.create(Resources.kustomizations, namespace: Self.namespace, ["metadata": ["name": "apps"], "spec": ["suspend": false]])
            let configPath = "/api/v1/namespaces/\(Self.namespace)/configmaps/rules"
            let strategic = try await send(try request(sandbox, configPath, method: .patch, token: admin,
                                                       body: ["data": ["b": "2"], "$retainKeys": ["data"]], contentType: "application/strategic-merge-patch+json"))
            #expect(strategic.status == 200)
            #expect(strategic.body["data"] == ["a": "1", "b": "2"])
            #expect(strategic.body["$retainKeys"] == nil)
            let jsonPatch = try await send(try request(sandbox, configPath, method: .patch, token: admin, body: [
                ["op": "test", "path": "/data/a", "value": "1"], ["op": "remove", "path": "/data/a"],
                ["op": "add", "path": "/metadata/labels", "value": ["team": "sre"]], ["op": "replace", "path": "/data/b", "value": "3"],
            ], contentType: "application/json-patch+json"))
            #expect(jsonPatch.status == 200)
            #expect(jsonPatch.body["data"] == ["b": "3"])
            #expect(jsonPatch.body[path: ["metadata", "labels"]] == ["team": "sre"])
            let failedTest = try await send(try request(sandbox, configPath, method: .patch, token: admin,
                                                        body: [["op": "test", "path": "/data/b", "value": "4"]], contentType: "application/json-patch+json"))
            #expect(failedTest.status == 422)
            let apply = try await send(try request(sandbox, configPath, method: .patch, token: admin, body: ["data": ["c": "1"]],
                                                   contentType: "application/apply-patch+yaml"))
            #expect(apply.status == 415)
            #expect(apply.body["reason"] == "UnsupportedMediaType")
            let ksPath = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/\(Self.namespace)/kustomizations/apps"
            let customStrategic = try await send(try request(sandbox, ksPath, method: .patch, token: admin, body: ["spec": ["suspend": true]],
                                                             contentType: "application/strategic-merge-patch+json"))
            #expect(customStrategic.status == 415)
            let merge = try await send(try request(sandbox, ksPath, method: .patch, token: admin, body: ["spec": ["suspend": true]],
                                                   contentType: "application/merge-patch+json"))
            #expect(merge.body[path: ["spec", "suspend"]] == true)
            let status = try await send(try request(sandbox, ksPath + "/status", method: .patch, token: admin,
                                                    body: ["status": ["lastHandledReconcileAt": "2026-11-25T00:00:00Z"], "spec": ["suspend": false]],
                                                    contentType: "application/merge-patch+json"))
            #expect(status.body[path: ["spec", "suspend"]] == true)
            #expect(status.body[path: ["status", "lastHandledReconcileAt"]] == "2026-11-25T00:00:00Z")
        }
    }

    @Test("a watch over HTTP streams one JSON event per line as changes happen, from the given resourceVersion")
    func watchStream() async throws {
        try await withSandbox { sandbox in
            try await makeNamespace(sandbox.store, Self.namespace)
            let from = await sandbox.store.resourceVersion
            let stream = try await DRBookHTTP.HTTPClient.shared.stream(try request(
                sandbox, "/api/v1/namespaces/\(Self.namespace)/configmaps?watch=1&resourceVersion=\(from)&timeoutSeconds=60",
                token: token(sandbox, "sandbox-viewer")))
            #expect(stream.status == 200)
            try await sandbox.store.create(Resources.configMaps, namespace: Self.namespace, configMap("first"))
            try await sandbox.store.delete(Resources.configMaps, namespace: Self.namespace, name: "first")
            var buffer = Data()
            var lines: [JSONValue] = []
            for try await chunk in stream.body {
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    lines.append(try JSONValue(data: buffer[buffer.startIndex..<newline]))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
                if lines.count == 2 { break }
            }
            stream.body.cancel()
            #expect(lines.map { $0["type"] } == ["ADDED", "DELETED"])
            #expect(lines.map { $0[path: ["object", "metadata", "name"]] } == ["first", "first"])
        }
    }
}

@Suite("Sandbox service proxy")
struct ServiceProxyTests {
    @Test("requests to services/<scheme>:<name>:<port>/proxy/<path> reach the registered loopback server; no endpoint is 503, no service 404")
    func proxy() async throws {
        let fixture = try await TestServers.shared.fixture()
        try await withSandbox { sandbox in
            let admin = sandbox.identity("sandbox-admin")!.token!
            let namespace = "monitoring"
            try await makeNamespace(sandbox.store, namespace)
            for name in ["alertmanager-operated", "prometheus-operated"] {
                try await sandbox.store.create(Resources.services, namespace: namespace, ["metadata": ["name": .string(name)]])
            }
            await sandbox.endpoints.register(namespace: namespace, service: "alertmanager-operated", port: "9093", url: fixture.baseURL)
            func call(_ path: String, _ method: DRBookHTTP.HTTPMethod = .get, body: Data? = nil) async throws -> DRBookHTTP.HTTPResponse {
                try await DRBookHTTP.HTTPClient.shared.send(DRBookHTTP.HTTPRequest(
                    method, URL(string: sandbox.serverURL.absoluteString + "/api/v1/namespaces/\(namespace)/services/" + path)!,
                    headers: ["X-Probe": "yes"], body: body.map { .bytes($0) }, timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(30)),
                    retry: .never, authentication: .bearer(token: admin)))
            }
            for segment in ["http:alertmanager-operated:9093", "alertmanager-operated:9093"] {
                let response = try await call("\(segment)/proxy/echo?silenced=false&filter=alertname%3DWatchdog")
                #expect(response.status == 200)
                #expect(response.headers["X-Fixture"] == "echo")
                let echo = try JSONValue(data: response.body)
                #expect(echo["path"] == "/echo")
                #expect(echo[path: ["args", "filter"]] == ["alertname=Watchdog"])
                #expect(echo[path: ["headers", "x-probe"]] == "yes")
                #expect(echo[path: ["headers", "authorization"]] == nil)
            }
            let posted = try await call("alertmanager-operated:9093/proxy/echo", .post, body: Data("ping".utf8))
            #expect(try JSONValue(data: posted.body)["body_base64"] == .string(Data("ping".utf8).base64EncodedString()))

            let noEndpoint = try await call("prometheus-operated:9090/proxy/api/v1/rules")
            #expect(noEndpoint.status == 503)
            #expect(try JSONValue(data: noEndpoint.body)["message"] == "no endpoints available for service \"prometheus-operated\"")
            let noService = try await call("loki:3100/proxy/ready")
            #expect(noService.status == 404)
            #expect(try JSONValue(data: noService.body)["message"] == "services \"loki\" not found")
        }
    }
}
