import DRBookActions
import DRBookDigest
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// The default way in: no URLs, the platform profile's Services reached through the sandbox's
/// API server proxy (its endpoints are the real Prometheus and Alertmanager on loopback), and
/// the receiver's URL read from the operator's generated Secret as on Alertmanager 0.26+.
@Suite("Alert-path actions through the Kubernetes service proxy and the generated Secret", .serialized, .timeLimit(.minutes(3)))
struct ServiceProxyActionTests {
    @Test("with the platform profile's defaults: rule firing, alert active, and git's URL found in alertmanager-<name>-generated")
    func defaults() async throws {
        let profile = PlatformProfile.default
        guard case let .alertmanagerRoute(route) = profile.heartbeat.source else { Issue.record("the default heartbeat is not a route"); return }
        try await withAlertStack { stack in
            _ = try await eventually(seconds: 60, { await stack.monitor.pings(of: "watchdog").count }, until: { $0 >= 1 })
            let directory = try TemporaryDirectory()
            let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox"),
                                                                       namespaces: ["default", route.namespace]))
            do {
                await sandbox.endpoints.register(namespace: route.namespace, service: route.alertmanagerService.name, port: route.alertmanagerService.port,
                                                 url: stack.alertmanager.baseURL)
                await sandbox.endpoints.register(namespace: route.namespace, service: route.prometheusService.name, port: route.prometheusService.port,
                                                 url: stack.prometheus.baseURL)
                let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
                for service in [route.alertmanagerService, route.prometheusService] {
                    try await admin.create(KubeResource.services, [
                        "metadata": ["name": .string(service.name), "namespace": .string(route.namespace)],
                        "spec": ["clusterIP": "None", "ports": [["name": "web", "port": .int(Int(service.port ?? "80") ?? 80)]]],
                    ])
                }
                // The operator's rendering of the config the pod loads, gzipped.
                let config = try String(contentsOfFile: stack.directory.path("alertmanager.yml"), encoding: .utf8)
                try config.write(toFile: directory.path("alertmanager.yaml"), atomically: true, encoding: .utf8)
                _ = try Tools.run("/bin/gzip", ["-f", directory.path("alertmanager.yaml")])
                let gz = try Data(contentsOf: URL(fileURLWithPath: directory.path("alertmanager.yaml.gz")))
                let secretName = "alertmanager-\(route.alertmanager)-generated"
                try await admin.create(Secret.resource, [
                    "metadata": ["name": .string(secretName), "namespace": .string(route.namespace)],
                    "data": ["alertmanager.yaml.gz": .string(gz.base64EncodedString())],
                ])
                let yaml = """
                    apiVersion: drbook/v1
                    kind: Runbook
                    metadata: {name: proxied, title: Through the service proxy}
                    steps:
                      - id: rule
                        title: Prometheus fires the heartbeat rule
                        uses: prometheus.ruleFiring
                      - id: active
                        title: The heartbeat alert is active and routed
                        uses: alertmanager.alertActive
                      - id: config
                        title: The rendered config pings git's URL
                        uses: alertmanager.configHasReceiver
                        with: {source: secret, heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                    """
                let environment = ActionEnvironment(processEnvironment: [:], kube: KubeConnection(access: KubeAccess(
                    kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:])), platform: .success(profile))
                let url = stack.pingURL.absoluteString
                let run = try await runRunbook(yaml, environment: environment, env: ["HEARTBEAT_URL": url], secret: ["HEARTBEAT_URL"])
                for step in ["rule", "active", "config"] { #expect(run.status(step) == .passed, "\(step): \(run.error(step) ?? "")") }
                #expect(run.output("config", "source") == .string("secret"))
                #expect(run.lines("config") == ["receiver heartbeat in the config from secret \(route.namespace)/\(secretName) (the operator's generated config) posts to git's heartbeat URL (sha256 \(SHA256Digest.hex(of: url).prefix(12))…)"])
                #expect(!run.journalText.contains(url))

                // Without the rendered Secret the step names it.
                try await admin.delete(Secret.resource, secretName, namespace: route.namespace)
                let missing = try await runRunbook(yaml, environment: environment, env: ["HEARTBEAT_URL": url], secret: ["HEARTBEAT_URL"])
                #expect(missing.error("config") == "secret \(route.namespace)/\(secretName): does not exist")
                await sandbox.stop()
            } catch {
                await sandbox.stop()
                throw error
            }
        }
    }

    @Test("auto: an Alertmanager whose API masks the URL (0.26+) is judged from the generated Secret, which here holds the placeholder")
    func maskedAPI() async throws {
        let profile = PlatformProfile.default
        guard case let .alertmanagerRoute(route) = profile.heartbeat.source else { Issue.record("the default heartbeat is not a route"); return }
        let placeholder = try #require(profile.alerting.heartbeatURL.placeholders.first?.value)
        let directory = try TemporaryDirectory()
        // What 0.32's `GET /api/v2/status` answers: the config re-serialised with the URL as <secret>.
        let original = "route:\n  receiver: \(route.receiver)\nreceivers:\n- name: \(route.receiver)\n  webhook_configs:\n  - url: <secret>\n"
        let status: [String: Any] = [
            "cluster": ["status": "disabled", "peers": [] as [Any]], "uptime": "2026-12-04T19:00:00.000Z", "config": ["original": original],
            "versionInfo": ["version": "0.32.1", "revision": "", "branch": "", "buildUser": "", "buildDate": "", "goVersion": ""],
        ]
        try FileManager.default.createDirectory(atPath: directory.path("web/api/v2"), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: status).write(to: URL(fileURLWithPath: directory.path("web/api/v2/status")))
        let python = try Tools.python
        let alertmanager = try await ServerProcess.start {
            try ServerProcess.python("run_bound.py", ["/api/v2/status", python, "-m", "http.server", "{port}", "--bind", "127.0.0.1",
                                                      "--directory", directory.path("web")], name: "masked-alertmanager")
        }
        defer { alertmanager.stop() }
        let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox"),
                                                                   namespaces: ["default", route.namespace]))
        do {
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            try "receivers:\n- name: \(route.receiver)\n  webhook_configs:\n  - url: \(placeholder)\n"
                .write(toFile: directory.path("alertmanager.yaml"), atomically: true, encoding: .utf8)
            _ = try Tools.run("/bin/gzip", ["-f", directory.path("alertmanager.yaml")])
            let gz = try Data(contentsOf: URL(fileURLWithPath: directory.path("alertmanager.yaml.gz")))
            let secretName = "alertmanager-\(route.alertmanager)-generated"
            try await admin.create(Secret.resource, [
                "metadata": ["name": .string(secretName), "namespace": .string(route.namespace)],
                "data": ["alertmanager.yaml.gz": .string(gz.base64EncodedString())],
            ])
            let yaml = """
                apiVersion: drbook/v1
                kind: Runbook
                metadata: {name: masked, title: A masked URL}
                params:
                  alertmanager: {type: string}
                steps:
                  - id: config
                    title: The rendered config pings git's URL
                    uses: alertmanager.configHasReceiver
                    with: {url: "${{ params.alertmanager }}", heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                """
            let environment = ActionEnvironment(processEnvironment: [:], kube: KubeConnection(access: KubeAccess(
                kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:])), platform: .success(profile))
            let git = "https://hc-ping.com/7c0a3d2e-1b4f-4d6a-8e9f-0a1b2c3d4e5f"
            let run = try await runRunbook(yaml, environment: environment, params: ["alertmanager=\(alertmanager.baseURL.absoluteString)"],
                                           env: ["HEARTBEAT_URL": git], secret: ["HEARTBEAT_URL"])
            #expect(run.lines("config").first == "Alertmanager 0.32.1 hides webhook URLs in its API; reading the operator's generated config instead")
            #expect(run.error("config") == "receiver \(route.receiver) in the config from secret \(route.namespace)/\(secretName) (the operator's generated config): holds the placeholder \(placeholder): the heartbeat reaches nobody")
            #expect(!run.journalText.contains(git))
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }
}
