import DRBookHTTP
import DRBookKube
import Foundation
import Testing

@Suite("Exec credential plugins run like client-go runs them")
struct ExecPluginTests {
    /// A plugin script that counts its runs in `runs.log`, saves its environment and
    /// prints `body` (a shell here-document, so `$N`, the run number, is expanded).
    static func plugin(_ body: String, status: Int = 0, stderr: String = "") -> String {
        """
        #!/bin/sh
        dir=$(dirname "$0")
        echo run >> "$dir/runs.log"
        N=$(wc -l < "$dir/runs.log" | tr -d ' ')
        printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/exec-info.json"
        printf '%s|%s|%s' "$PLUGIN_MODE" "$1" "$2" > "$dir/args.txt"
        cat <<JSON
        \(body)
        JSON
        \(stderr.isEmpty ? "" : "echo '\(stderr)' >&2")
        exit \(status)
        """
    }

    static func kubeconfig(apiVersion: String = "client.authentication.k8s.io/v1", interactiveMode: String? = "Never",
                           provideClusterInfo: Bool = false, command: String = "./bin/plugin", installHint: String? = nil) -> String {
        """
        clusters:
        - name: c
          cluster:
            server: https://api.example.test:6443
            tls-server-name: api.internal
            certificate-authority-data: \(base64(fakeCAPEM))
            extensions:
            - name: client.authentication.k8s.io/exec
              extension: {audience: drbook, retries: 2}
        users:
        - name: oidc
          user:
            exec:
              apiVersion: \(apiVersion)
              command: \(command)
              args: [get-token, --quiet]
              env:
              - {name: PLUGIN_MODE, value: test}
        \(interactiveMode.map { "      interactiveMode: \($0)" } ?? "")
              provideClusterInfo: \(provideClusterInfo)
        \(installHint.map { "      installHint: \($0)" } ?? "")
        contexts:
        - name: ctx
          context: {cluster: c, user: oidc}
        current-context: ctx
        """
    }

    static func provider(_ fixture: KubeFixture, config: String = kubeconfig(), clock: ManualClock = ManualClock(),
                         timeout: Duration = .seconds(20), terminal: Bool = false) throws -> KubeCredentialProvider {
        try fixture.write("config", config)
        let options = ExecPluginRunOptions(environment: ProcessInfo.processInfo.environment,
                                           standardInputIsTerminal: terminal, timeout: timeout)
        return KubeCredentialProvider(endpoint: try fixture.endpoint("config"), clock: clock.clock, execOptions: options)
    }

    static func bearer(_ credentials: KubeRequestCredentials) -> String? {
        if case .bearer(let token)? = credentials.authentication { return token }
        return nil
    }

    static func runs(_ fixture: KubeFixture) -> Int {
        ((try? String(contentsOfFile: fixture.path("bin/runs.log"), encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    static func pluginError(_ provider: KubeCredentialProvider) async throws -> KubeconfigError {
        do {
            let credentials = try await provider.credentials()
            Issue.record("expected the plugin to fail, got \(credentials)")
            throw KubeFixture.Unexpected()
        } catch let error as KubeconfigError {
            return error
        }
    }

    @Test("token form: the token becomes a bearer credential; args and env reach the plugin")
    func tokenForm() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-$N"}}"#), executable: true)
        let provider = try Self.provider(fixture)
        #expect(Self.bearer(try await provider.credentials()) == "token-1")
        #expect(try String(contentsOfFile: fixture.path("bin/args.txt"), encoding: .utf8) == "test|get-token|--quiet")
        // Cached for the life of the process without an expirationTimestamp.
        #expect(Self.bearer(try await provider.credentials()) == "token-1")
        #expect(Self.runs(fixture) == 1)
    }

    @Test("client-certificate form: certificate and key go into the TLS options as PEM bytes")
    func certificateForm() async throws {
        let fixture = try KubeFixture()
        let cert = fakeCertPEM.replacingOccurrences(of: "\n", with: "\\n")
        let key = fakeKeyPEM.replacingOccurrences(of: "\n", with: "\\n")
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"clientCertificateData":"\#(cert)","clientKeyData":"\#(key)"}}"#), executable: true)
        let provider = try Self.provider(fixture, config: Self.kubeconfig(apiVersion: "client.authentication.k8s.io/v1beta1", interactiveMode: nil))
        let credentials = try await provider.credentials()
        #expect(credentials.authentication == nil)
        #expect(credentials.tls.clientCertificate == .pem(Data(fakeCertPEM.utf8)))
        #expect(credentials.tls.clientKey == .pem(Data(fakeKeyPEM.utf8)))
        #expect(credentials.tls.certificateAuthority == .pem(Data(fakeCAPEM.utf8)))
    }

    @Test("KUBERNETES_EXEC_INFO carries spec.interactive, and spec.cluster only with provideClusterInfo")
    func execInfo() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}"#), executable: true)
        _ = try await Self.provider(fixture, config: Self.kubeconfig(provideClusterInfo: true)).credentials()
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.path("bin/exec-info.json")))
        let info = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(info["apiVersion"] as? String == "client.authentication.k8s.io/v1")
        #expect(info["kind"] as? String == "ExecCredential")
        let spec = try #require(info["spec"] as? [String: Any])
        #expect(spec["interactive"] as? Bool == false)
        let cluster = try #require(spec["cluster"] as? [String: Any])
        #expect(cluster["server"] as? String == "https://api.example.test:6443")
        #expect(cluster["tls-server-name"] as? String == "api.internal")
        #expect(cluster["certificate-authority-data"] as? String == base64(fakeCAPEM))
        let config = try #require(cluster["config"] as? [String: Any])
        #expect(config["audience"] as? String == "drbook")
        #expect(config["retries"] as? Int == 2)

        let other = try KubeFixture()
        try other.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}"#), executable: true)
        _ = try await Self.provider(other, config: Self.kubeconfig(interactiveMode: "IfAvailable")).credentials()
        let plain = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: other.path("bin/exec-info.json")))) as? [String: Any]
        let plainSpec = try #require(plain?["spec"] as? [String: Any])
        #expect(plainSpec["cluster"] == nil)
        #expect(plainSpec["interactive"] as? Bool == false)
    }

    @Test("a credential is cached until its expirationTimestamp and fetched again after it")
    func expiry() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-$N","expirationTimestamp":"2030-01-01T00:00:00Z"}}"#), executable: true)
        let clock = ManualClock(ISO8601DateFormatter().date(from: "2029-12-31T23:00:00Z")!)
        let provider = try Self.provider(fixture, clock: clock)
        #expect(Self.bearer(try await provider.credentials()) == "token-1")
        clock.advance(59 * 60)
        #expect(Self.bearer(try await provider.credentials()) == "token-1")
        #expect(Self.runs(fixture) == 1)
        clock.advance(61)
        #expect(Self.bearer(try await provider.credentials()) == "token-2")
        #expect(Self.runs(fixture) == 2)
    }

    @Test("after a 401 the plugin runs again once, and the request is repeated once with the new token")
    func unauthorizedReruns() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-$N"}}"#), executable: true)
        let provider = try Self.provider(fixture)
        let seen = TokenLog()
        let status = try await provider.perform({ credentials in
            let token = Self.bearer(credentials) ?? ""
            seen.append(token)
            return token == "token-1" ? 401 : 200
        }, isUnauthorized: { $0 == 401 })
        #expect(status == 200)
        #expect(seen.tokens == ["token-1", "token-2"])
        #expect(Self.runs(fixture) == 2)

        // A server that keeps refusing: one re-run, never a loop; the refused credential
        // is dropped, so the next request runs the plugin again.
        let refused = try await provider.perform({ _ in 401 }, isUnauthorized: { $0 == 401 })
        #expect(refused == 401)
        #expect(Self.runs(fixture) == 3)
        #expect(Self.bearer(try await provider.credentials()) == "token-4")
    }

    @Test("invalidate with an older generation keeps the newer credential")
    func invalidateByGeneration() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-$N"}}"#), executable: true)
        let provider = try Self.provider(fixture)
        let first = try await provider.credentials()
        await provider.unauthorized(first)
        let second = try await provider.credentials()
        #expect(Self.bearer(second) == "token-2")
        await provider.unauthorized(first)  // a late 401 for the old token
        #expect(Self.bearer(try await provider.credentials()) == "token-2")
        let plugin = try #require(await provider.execPlugin)
        await plugin.invalidate()
        #expect(Self.bearer(try await provider.credentials()) == "token-3")
    }

    @Test("concurrent requests share one plugin run")
    func concurrentShareRun() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"token-$N"}}"#), executable: true)
        let provider = try Self.provider(fixture)
        let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<5 { group.addTask { Self.bearer(try await provider.credentials()) } }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(Set(tokens) == ["token-1"])
        #expect(Self.runs(fixture) == 1)
    }

    @Test("output with another apiVersion is refused")
    func wrongAPIVersion() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}"#), executable: true)
        let error = try await Self.pluginError(try Self.provider(fixture))
        #expect(error.kind == .execPlugin)
        #expect(error.description.hasPrefix(fixture.path("config") + ":"))
        #expect(error.description.contains("the exec plugin \"\(fixture.path("bin/plugin"))\" of user \"oidc\" returned an unusable ExecCredential: it is configured for apiVersion client.authentication.k8s.io/v1 but returned apiVersion \"client.authentication.k8s.io/v1beta1\""))
    }

    @Test("output without status, or with only half a key pair, is refused")
    func missingStatus() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}"#), executable: true)
        let error = try await Self.pluginError(try Self.provider(fixture))
        #expect(error.description.contains("returned an unusable ExecCredential: it returned no status field"))

        let half = try KubeFixture()
        try half.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"x"}}"#), executable: true)
        let halfError = try await Self.pluginError(try Self.provider(half))
        #expect(halfError.description.contains("its status has clientCertificateData but no clientKeyData"))

        let garbage = try KubeFixture()
        try garbage.write("bin/plugin", Self.plugin("not json at all"), executable: true)
        let garbageError = try await Self.pluginError(try Self.provider(garbage))
        #expect(garbageError.description.contains("is not a JSON object"))
    }

    @Test("a non-zero exit is an error with the plugin's stderr, naming the file and user")
    func nonZeroExit() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin("{}", status: 3, stderr: "error: refresh token expired, run kubectl oidc-login"), executable: true)
        let error = try await Self.pluginError(try Self.provider(fixture))
        #expect(error.field == "users[\"oidc\"].user.exec")
        #expect(error.description == "\(fixture.path("config")):11:3: the exec plugin \"\(fixture.path("bin/plugin"))\" of user \"oidc\" exited with status 3; it said: error: refresh token expired, run kubectl oidc-login. Run the plugin by hand to see what it needs (a login, network access)")
    }

    @Test("a command not on PATH is an error with the installHint")
    func notFound() async throws {
        let fixture = try KubeFixture()
        let error = try await Self.pluginError(try Self.provider(fixture, config: Self.kubeconfig(
            command: "kubectl-oidc_login-not-installed", installHint: "\"brew install int128/kubelogin/kubelogin\"")))
        #expect(error.description == "\(fixture.path("config")):11:3: the exec plugin \"kubectl-oidc_login-not-installed\" of user \"oidc\" was not found on PATH. To install it: brew install int128/kubelogin/kubelogin")
    }

    @Test("a plugin that hangs is stopped after the timeout")
    func timeout() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", "#!/bin/sh\nsleep 300\n", executable: true)
        let started = ContinuousClock.now
        let error = try await Self.pluginError(try Self.provider(fixture, timeout: .milliseconds(500)))
        #expect(error.description.contains("did not finish within 500ms and was stopped"))
        // Far below the plugin's 300 s: it was stopped, not waited for (a loaded machine may take seconds).
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    @Test("interactiveMode Always without a terminal is an error; IfAvailable with a terminal says interactive")
    func interactiveModes() async throws {
        let fixture = try KubeFixture()
        try fixture.write("bin/plugin", Self.plugin(#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}"#), executable: true)
        let error = try await Self.pluginError(try Self.provider(fixture, config: Self.kubeconfig(interactiveMode: "Always")))
        #expect(error.description.contains("has interactiveMode Always but standard input is not a terminal"))
        #expect(Self.runs(fixture) == 0)

        _ = try await Self.provider(fixture, config: Self.kubeconfig(interactiveMode: "IfAvailable"), terminal: true).credentials()
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture.path("bin/exec-info.json")))) as? [String: Any]
        #expect((info?["spec"] as? [String: Any])?["interactive"] as? Bool == true)
    }
}

final class TokenLog: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    func append(_ token: String) { lock.withLock { values.append(token) } }
    var tokens: [String] { lock.withLock { values } }
}
