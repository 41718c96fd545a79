import DRBookHTTP
import DRBookKube
import DRBookSandbox
import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

/// drbook's own Kubernetes client against the sandbox over HTTPS: the admin identity
/// with a client certificate, the viewer with a bearer token, both read from the
/// kubeconfig the sandbox wrote, exactly as a user's would be.
@Suite("The Kubernetes client against the sandbox")
struct ClientAgainstSandboxTests {
    @Test("create, get, list with label and field selectors across pages, merge patch, annotate, delete")
    func crud() async throws {
        try await withClients { admin, _, _ in
            let ns = "crud-\(SimulationTestNames.unique())"
            try await admin.create(Namespace(name: ns))
            for index in 0..<7 {
                try await admin.create(.configMaps,
                                       configMap("cm-\(index)", labels: ["tier": index % 2 == 0 ? "even" : "odd"]), namespace: ns)
            }
            let configMaps = KubeResource.configMaps
            let all = try await admin.listJSON(configMaps, namespace: ns, pageSize: 2)
            #expect(all.items.count == 7)
            #expect(!all.resourceVersion.isEmpty)
            let even = try await admin.listJSON(configMaps, namespace: ns, labelSelector: "tier in (even)", pageSize: 3)
            #expect(Set(even.items.map { $0[path: ["metadata", "name"]]?.stringValue ?? "" }) == ["cm-0", "cm-2", "cm-4", "cm-6"])
            let one = try await admin.listJSON(configMaps, namespace: ns, fieldSelector: "metadata.name=cm-3")
            #expect(one.items.count == 1)

            let patched = try await admin.mergePatch(configMaps, "cm-1", namespace: ns,
                                                     patch: ["data": ["added": "yes"], "metadata": ["labels": ["tier": nil]]])
            #expect(patched[path: ["data", "added"]] == "yes")
            #expect(patched[path: ["metadata", "labels", "tier"]] == nil)
            try await admin.annotate(configMaps, "cm-1", namespace: ns, "drbook.dev/checked", "now")
            let annotated = try await admin.getJSON(configMaps, "cm-1", namespace: ns)
            #expect(annotated[path: ["metadata", "annotations", "drbook.dev/checked"]] == "now")
            #expect(annotated[path: ["data", "added"]] == "yes", "an annotation patch must leave other fields alone")

            #expect(try await admin.delete(configMaps, "cm-1", namespace: ns, propagation: .foreground))
            #expect(try await admin.delete(configMaps, "cm-1", namespace: ns) == false)
            let missing = await #expect(throws: KubeAPIError.self) { try await admin.getJSON(configMaps, "cm-1", namespace: ns) }
            #expect(missing?.reason == .notFound)
            #expect(missing?.description.contains("configmaps \"cm-1\" not found") == true)
        }
    }

    @Test("a stale resourceVersion in a patch is a 409 Conflict and is not retried")
    func conflict() async throws {
        try await withClients { admin, _, _ in
            let ns = "conflict-\(SimulationTestNames.unique())"
            try await admin.create(Namespace(name: ns))
            let configMaps = KubeResource.configMaps
            try await admin.create(configMaps, configMap("c"), namespace: ns)
            let error = await #expect(throws: KubeAPIError.self) {
                try await admin.mergePatch(configMaps, "c", namespace: ns, patch: ["metadata": ["resourceVersion": "1"], "data": ["k": "v"]])
            }
            #expect(error?.reason == .conflict)
            #expect(error?.code == 409)
        }
    }

    @Test("the read-only identity reads, is denied writes with the verb and resource named, and its preflight says so")
    func readOnlyIdentity() async throws {
        try await withClients { admin, viewer, _ in
            let ns = "rbac-\(SimulationTestNames.unique())"
            try await admin.create(Namespace(name: ns))
            _ = try await viewer.get(Namespace.self, ns)
            let denied = await #expect(throws: KubeAPIError.self) {
                try await viewer.annotate(.kustomizations, "apps", namespace: ns, FluxReconcile.requestedAtAnnotation, "now")
            }
            #expect(denied?.reason == .forbidden)
            #expect(denied?.description.contains("cannot patch resource \"kustomizations\"") == true)

            #expect(try await viewer.can("list", .persistentVolumeClaims, namespace: ns).allowed)
            #expect(try await viewer.can("delete", .persistentVolumeClaims, namespace: ns).allowed == false)
            #expect(try await admin.can("delete", .persistentVolumeClaims, namespace: ns).allowed)
            let preflight = await #expect(throws: KubePermissionDenied.self) {
                try await viewer.preflight([("get", .secrets, ns), ("delete", .persistentVolumeClaims, ns), ("patch", .kustomizations, "flux-system")])
            }
            let text = preflight?.description ?? ""
            #expect(text.contains("may not delete persistentvolumeclaims in namespace \"\(ns)\""))
            #expect(text.contains("may not patch kustomizations.kustomize.toolkit.fluxcd.io in namespace \"flux-system\""))
            #expect(!text.contains("may not get secrets"))
        }
    }

    @Test("a watch from a list's resourceVersion sees every later change, in order")
    func watch() async throws {
        try await withClients { admin, viewer, _ in
            let ns = "watch-\(SimulationTestNames.unique())"
            try await admin.create(Namespace(name: ns))
            let configMaps = KubeResource.configMaps
            let start = try await viewer.listJSON(configMaps, namespace: ns)
            let events = viewer.watch(configMaps, namespace: ns, resourceVersion: start.resourceVersion, timeout: .seconds(30))
            try await admin.create(configMaps, configMap("w"), namespace: ns)
            try await admin.mergePatch(configMaps, "w", namespace: ns, patch: ["data": ["k": "v"]])
            try await admin.delete(configMaps, "w", namespace: ns)
            var seen: [KubeWatchEvent.Kind] = []
            for try await event in events where event.kind != .bookmark {
                #expect(event.object[path: ["metadata", "name"]] == "w")
                seen.append(event.kind)
                if seen.count == 3 { break }
            }
            #expect(seen == [.added, .modified, .deleted])
        }
    }

    @Test("a resourceVersion older than the server keeps ends the watch with 410 Expired")
    func expiredWatch() async throws {
        try await withClients { admin, _, sandbox in
            try await admin.create(Namespace(name: "expired"))
            let configMaps = KubeResource.configMaps
            try await admin.create(configMaps, configMap("a"), namespace: "expired")
            let old = try await admin.listJSON(configMaps, namespace: "expired").resourceVersion
            // The sandbox keeps a bounded change log (10,000 changes); write past its end.
            for index in 0..<10_001 {
                try await sandbox.store.mergePatch(GroupResource(configMaps), namespace: "expired", name: "a", ["data": ["n": .int(index)]])
            }
            let error = await #expect(throws: KubeAPIError.self) {
                for try await _ in admin.watch(configMaps, namespace: "expired", resourceVersion: old, timeout: .seconds(10)) {}
            }
            #expect(error?.code == 410)
            #expect(error?.reason == .expired)
        }
    }

    @Test("HTTP through the service proxy reaches the service; a service without an endpoint is the proxy's own 503")
    func serviceProxy() async throws {
        try await withClients { admin, _, sandbox in
            let fixture = try await TestServers.shared.fixture()
            for name in ["alertmanager-operated", "nothing-here"] {
                try await admin.create(.services, ["metadata": ["name": .string(name), "namespace": "monitoring"],
                                                   "spec": ["ports": [["name": "web", "port": 9093]]]])
            }
            await sandbox.endpoints.register(namespace: "monitoring", service: "alertmanager-operated", port: "9093", url: fixture.baseURL)
            let service = KubeServiceReference(namespace: "monitoring", name: "alertmanager-operated", scheme: "http", port: "9093")
            let response = try await admin.proxy(service, path: "/status/200")
            #expect(response.status == 200)
            #expect(admin.proxyError(response, service: service) == nil)
            let missing = KubeServiceReference(namespace: "monitoring", name: "nothing-here", port: "80")
            let failed = try await admin.proxy(missing, path: "/")
            #expect(failed.status == 503)
            #expect(admin.proxyError(failed, service: missing)?.reason == .serviceUnavailable)
        }
    }
}

enum SimulationTestNames {
    /// A short unique suffix for names one test owns.
    static func unique() -> String { String(UUID().uuidString.prefix(8)).lowercased() }
}

/// Clients for the standard identities of a sandbox, read from its kubeconfig.
enum SimulatedCluster {
    static func client(_ sandbox: Sandbox, context: String) throws -> KubeClient {
        try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: context, environment: [:]))
    }
}

/// An HTTPS sandbox for one test, with its admin (client certificate) and viewer (token) clients.
func withClients(controllers: [any SandboxController] = [], namespaces: [String] = ["default", "monitoring", "flux-system", "velero"],
                 _ body: (KubeClient, KubeClient, Sandbox) async throws -> Void) async throws {
    let directory = try TemporaryDirectory()
    let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url, tls: true, controllers: controllers,
                                                               namespaces: namespaces))
    do {
        let admin = try SimulatedCluster.client(sandbox, context: "sandbox-admin")
        let viewer = try SimulatedCluster.client(sandbox, context: "sandbox-viewer")
        guard case .clientCertificate = admin.endpoint.credential else {
            Issue.record("the admin context should authenticate with a client certificate, not \(admin.endpoint.credential)")
            throw CancellationError()
        }
        try await body(admin, viewer, sandbox)
        await sandbox.stop()
    } catch {
        await sandbox.stop()
        throw error
    }
}
