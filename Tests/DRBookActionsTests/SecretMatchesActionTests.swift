import DRBookActions
import DRBookKube
import DRBookRunbook
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// `k8s.secretMatches` with a real SOPS file (real sops and age) and the sandbox's Secret and
/// Flux Kustomization: matching, git ahead of the cluster, missing — never a value shown.
@Suite("k8s.secretMatches compares git and the cluster by digest", .timeLimit(.minutes(3)))
struct SecretMatchesActionTests {
    static let webhook = "https://hooks.slack.com/services/T0DRBOOK/B0DRBOOK/sekritWebhookValue42"
    static let heartbeat = "https://hc-ping.com/5f0c1e2a-9f3b-4c1d-8e7a-123456789abc"

    @Test("matching values pass; a changed value in git is 'git ahead of the cluster' with the reconcile fix; a missing Secret says Flux has not applied it")
    func compare() async throws {
        let directory = try TemporaryDirectory()
        let key = try await AgeTestKey.generate(in: directory)
        let file = try await sopsEncrypt(variablesSecretYAML(["alertmanager_webhook_url": Self.webhook, "alertmanager_heartbeat_url": Self.heartbeat]), name: "variables-cluster-secret.enc.yaml", recipients: [key.recipient], in: directory)
        let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox"),
                                                                   controllers: [FluxController()], namespaces: ["flux-system"]))
        do {
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            var environment = SopsTools.environment(keyFile: key.path, home: directory.path("home"))
            environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
            let run = ActionRun(environment: ActionEnvironment(processEnvironment: environment, kube: KubeConnection(access: KubeAccess(
                kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))))
            let inputs: [String: Value] = [
                "file": .string(file), "keys": strings("stringData.alertmanager_webhook_url", "stringData.alertmanager_heartbeat_url"),
                "secretNamespace": .string("flux-system"), "secretName": .string("variables-cluster"),
                "kustomization": .string("bootstrap"), "revision": .string("main@sha1:feedface"),
            ]
            try await admin.create(Kustomization.resource, ["metadata": ["name": "bootstrap", "namespace": "flux-system"], "spec": ["interval": "10m"]])

            let missing = try #require(await actionError { try await run("k8s.secretMatches", inputs) })
            #expect(missing.message == "does not exist in the cluster")
            #expect(missing.fix?.contains("has not applied main@sha1:feedface yet") == true)

            try await admin.create(Secret(metadata: ObjectMeta(name: "variables-cluster", namespace: "flux-system"), data: [
                "alertmanager_webhook_url": Data(Self.webhook.utf8).base64EncodedString(),
                "alertmanager_heartbeat_url": Data("https://example.invalid/no-heartbeat-configured".utf8).base64EncodedString(),
            ]))
            let differs = try #require(await actionError { try await run("k8s.secretMatches", inputs) })
            #expect(differs.message == "alertmanager_heartbeat_url differs (git is ahead of the cluster)")
            #expect(differs.fix?.contains("flux reconcile kustomization bootstrap -n flux-system --with-source") == true)

            try await admin.mergePatch(Secret.self, "variables-cluster", namespace: "flux-system",
                                       patch: ["data": ["alertmanager_heartbeat_url": .string(Data(Self.heartbeat.utf8).base64EncodedString())]])
            let outputs = try await run("k8s.secretMatches", inputs)
            #expect(outputs["matched"] == .int(2))
            #expect(run.reports.lines.contains { $0.hasPrefix("[matches] alertmanager_webhook_url") })

            let everything = run.reports.lines.joined(separator: "\n") + "\(missing)\(differs)\(missing.fix ?? "")\(differs.fix ?? "")"
            for secret in [Self.webhook, Self.heartbeat, "sekritWebhookValue42", "5f0c1e2a-9f3b-4c1d-8e7a-123456789abc"] {
                #expect(!everything.contains(secret))
            }
            #expect(run.reports.secrets.contains(Self.webhook), "decrypted values must be handed to the run's redactor")
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }
}
