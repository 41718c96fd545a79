import DRBookHTTP
import DRBookKube
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// nginx in front of the API server: the verified client certificate is the identity,
/// and nothing a client sends can claim one.
@Suite("Sandbox over HTTPS: nginx terminates TLS and vouches for client certificates")
struct TLSTerminatorTests {
    func get(_ sandbox: Sandbox, _ path: String, tls: TLSOptions, headers: DRBookHTTP.HTTPHeaders = [:],
             token: String? = nil) async throws -> (status: Int, body: JSONValue) {
        let response = try await DRBookHTTP.HTTPClient.shared.send(DRBookHTTP.HTTPRequest(
            .get, URL(string: sandbox.serverURL.absoluteString + path)!, headers: headers,
            timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(30)), retry: .never, tls: tls,
            authentication: token.map { .bearer(token: $0) }))
        return (response.status, try JSONValue(data: response.body))
    }

    @Test("the admin's certificate authenticates; no certificate is 401 even with forged identity headers; a token still works")
    func clientCertificates() async throws {
        try await withSandbox(tls: true) { sandbox in
            #expect(sandbox.serverURL.scheme == "https")
            let pki = sandbox.caCertificate!.deletingLastPathComponent()
            let trust = PEMSource.file(sandbox.caCertificate!.path)
            let admin = TLSOptions(certificateAuthority: trust, clientCertificate: .file(pki.appendingPathComponent("sandbox-admin.pem").path),
                                   clientKey: .file(pki.appendingPathComponent("sandbox-admin.key").path))
            let withCertificate = try await get(sandbox, "/api/v1/namespaces/default", tls: admin)
            #expect(withCertificate.status == 200)
            #expect(withCertificate.body[path: ["metadata", "name"]] == "default")

            let forged = try await get(sandbox, "/api/v1/namespaces", tls: TLSOptions(certificateAuthority: trust), headers: [
                "X-Drbook-Client-Verify": "SUCCESS", "X-Drbook-Client-Subject": "CN=intruder,O=system:masters",
            ])
            #expect(forged.status == 401)
            #expect(forged.body["reason"] == "Unauthorized")

            let viewer = try await get(sandbox, "/apis/velero.io/v1/backups", tls: TLSOptions(certificateAuthority: trust),
                                       token: sandbox.identity("sandbox-viewer")!.token)
            #expect(viewer.status == 200)
            #expect(viewer.body["kind"] == "BackupList")

            let version = try await get(sandbox, "/version", tls: admin)
            #expect(version.body["gitVersion"]?.stringValue?.hasSuffix("+drbook-sandbox") == true)
        }
    }

    @Test("the kubeconfigs name their contexts, embed the CA, a client certificate for the admin and a token for the viewer, and are private")
    func kubeconfigs() async throws {
        try await withSandbox(tls: true) { sandbox in
            let admin = try JSONValue(data: Data(contentsOf: sandbox.kubeconfigs["sandbox-admin"]!))
            #expect(admin["current-context"] == "sandbox-admin")
            #expect(admin["clusters"]?.arrayValue?.first?[path: ["cluster", "server"]] == .string(sandbox.serverURL.absoluteString))
            #expect(admin["clusters"]?.arrayValue?.first?[path: ["cluster", "certificate-authority-data"]] != nil)
            #expect(admin["users"]?.arrayValue?.first?[path: ["user", "client-certificate-data"]] != nil)
            let viewer = try JSONValue(data: Data(contentsOf: sandbox.kubeconfigs["sandbox-viewer"]!))
            #expect(viewer["users"]?.arrayValue?.first?[path: ["user", "token"]] == .string(sandbox.identity("sandbox-viewer")!.token!))
            let combined = try JSONValue(data: Data(contentsOf: sandbox.kubeconfig))
            #expect(combined["contexts"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["sandbox-admin", "sandbox-viewer"])
            let token = sandbox.identity("sandbox-viewer")!.token!
            var dumped = ""
            dump(sandbox.identities, to: &dumped)
            for shown in ["\(sandbox.identities)", String(describing: sandbox.identities), dumped] {
                #expect(!shown.contains(token), "a token was printed")
            }
            for file in [sandbox.kubeconfig] + Array(sandbox.kubeconfigs.values) {
                let permissions = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
                #expect(permissions == 0o600, "\(file.lastPathComponent)")
            }
        }
    }

    @Test("stopping the sandbox stops nginx: its port refuses connections afterwards")
    func stopEndsNginx() async throws {
        let directory = try TemporaryDirectory()
        let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url, tls: true))
        let pid = try String(contentsOf: directory.url.appendingPathComponent("nginx.pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(kill(pid_t(pid) ?? 0, 0) == 0, "nginx is running while the sandbox is")
        await sandbox.stop()
        #expect(kill(pid_t(pid) ?? 0, 0) != 0, "nginx \(pid) outlived the sandbox")
        await #expect(throws: HTTPError.self) {
            try await DRBookHTTP.HTTPClient.shared.send(DRBookHTTP.HTTPRequest(
                .get, URL(string: sandbox.serverURL.absoluteString + "/version")!,
                timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(10)), retry: .never,
                tls: TLSOptions(certificateAuthority: .file(sandbox.caCertificate!.path))))
        }
    }
}
