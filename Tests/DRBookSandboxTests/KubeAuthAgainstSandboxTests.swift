import DRBookKube
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// The credential forms that need a live server to prove: an exec plugin whose first token
/// is refused (401 → the plugin runs once more and the call succeeds), and the in-cluster
/// service account read from a pod-like directory, both against the sandbox over HTTPS.
@Suite("Credentials against the sandbox", .timeLimit(.minutes(2)))
struct KubeAuthAgainstSandboxTests {
    func withHTTPSSandbox(_ body: (Sandbox, TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox"), tls: true))
        do {
            try await body(sandbox, directory)
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    @Test("an exec plugin's refused token is dropped, the plugin runs once more, and the request succeeds")
    func execPluginRerunsAfter401() async throws {
        try await withHTTPSSandbox { sandbox, directory in
            let token = try #require(sandbox.identity("sandbox-viewer")?.token)
            let ca = try #require(sandbox.caCertificate)
            let counter = directory.path("runs")
            let expiry = KubeJSON.formatTime(Date().addingTimeInterval(3_600))
            let script = directory.path("get-token.sh")
            // First run: a token the server does not know; later runs: the viewer's.
            try Data("""
                #!/bin/sh
                echo run >> '\(counter)'
                if [ "$(wc -l < '\(counter)')" -eq 1 ]; then t=stale-token-from-an-old-login; else t=$(cat '\(directory.path("token"))'); fi
                printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"\(expiry)"}}' "$t"
                """.utf8).write(to: URL(fileURLWithPath: script))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
            try Data(token.utf8).write(to: URL(fileURLWithPath: directory.path("token")))
            let kubeconfig = directory.path("kubeconfig")
            try Data("""
                apiVersion: v1
                kind: Config
                current-context: oidc
                clusters:
                - name: sandbox
                  cluster:
                    server: \(sandbox.serverURL.absoluteString)
                    certificate-authority: \(ca.path)
                users:
                - name: oidc-reader
                  user:
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: \(script)
                      interactiveMode: Never
                contexts:
                - name: oidc
                  context: {cluster: sandbox, user: oidc-reader}
                """.utf8).write(to: URL(fileURLWithPath: kubeconfig))

            let client = try KubeClient(access: KubeAccess(kubeconfig: kubeconfig, environment: ["PATH": "/usr/bin:/bin"]))
            let namespaces = try await client.list(Namespace.self)
            #expect(namespaces.items.contains { $0.metadata.name == "default" })
            let runs = try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count
            #expect(runs == 2, "the plugin runs once, is refused, and runs once more")
            _ = try await client.list(Namespace.self)
            #expect(try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 2,
                    "the good credential is cached until it expires")
        }
    }

    @Test("in a pod: the service account's token, CA and namespace, as client-go reads them")
    func inCluster() async throws {
        try await withHTTPSSandbox { sandbox, directory in
            let serviceAccount = directory.path("serviceaccount")
            try FileManager.default.createDirectory(atPath: serviceAccount, withIntermediateDirectories: true)
            try Data(try #require(sandbox.identity("sandbox-viewer")?.token).utf8).write(to: URL(fileURLWithPath: serviceAccount + "/token"))
            try FileManager.default.copyItem(atPath: try #require(sandbox.caCertificate).path, toPath: serviceAccount + "/ca.crt")
            try Data("monitoring".utf8).write(to: URL(fileURLWithPath: serviceAccount + "/namespace"))
            let port = try #require(sandbox.serverURL.port)
            let access = KubeAccess(environment: ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": String(port)],
                                    home: directory.path("no-home"), serviceAccountDirectory: serviceAccount)
            let client = try KubeClient(access: access)
            #expect(client.defaultNamespace == "monitoring")
            let decision = try await client.can("list", .persistentVolumeClaims)
            #expect(decision.allowed)
            #expect(decision.request == "list persistentvolumeclaims in namespace \"monitoring\"")
            #expect(try await client.can("delete", .persistentVolumeClaims).allowed == false)
        }
    }
}
