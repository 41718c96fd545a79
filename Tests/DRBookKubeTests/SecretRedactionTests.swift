import DRBookHTTP
import DRBookKube
import Foundation
import Testing

@Suite("Secrets never appear in errors or descriptions")
struct SecretRedactionTests {
    static let token = "SECRET-TOKEN-4f9a"
    static let password = "SECRET-PASSWORD-77c1"
    static let keyPEM = "-----BEGIN PRIVATE KEY-----\nSECRET-KEY-BYTES-d00d\n-----END PRIVATE KEY-----\n"
    static let secrets = [token, password, "SECRET-KEY-BYTES-d00d", base64(keyPEM)]

    static func assertClean(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in secrets {
            #expect(!text.contains(secret), "\(what) leaks a secret: \(text)", sourceLocation: sourceLocation)
        }
    }

    static func describeAll<T>(_ value: T) -> String {
        var dumped = ""
        dump(value, to: &dumped)
        return String(describing: value) + "\n" + String(reflecting: value) + "\n" + dumped
    }

    @Test("resolved endpoints and request credentials describe themselves without secrets")
    func descriptions() async throws {
        let fixture = try KubeFixture()
        try fixture.write("token", singleContextConfig(cluster: "    server: https://admin:\(Self.password)@api.example.test\n    proxy-url: http://proxyuser:\(Self.password)@proxy:3128",
                                                       user: "    token: \(Self.token)\n    client-certificate-data: \(base64(fakeCertPEM))\n    client-key-data: \(base64(Self.keyPEM))"))
        try fixture.write("basic", singleContextConfig(user: "    username: admin\n    password: \(Self.password)"))
        for name in ["token", "basic"] {
            let endpoint = try fixture.endpoint(name)
            Self.assertClean(Self.describeAll(endpoint), "endpoint \(name)")
            Self.assertClean(Self.describeAll(endpoint.credential), "credential \(name)")
            let credentials = try await KubeCredentialProvider(endpoint: endpoint).credentials()
            Self.assertClean(Self.describeAll(credentials), "request credentials \(name)")
        }
        let described = String(describing: try fixture.endpoint("token"))
        #expect(described.contains("bearer token (hidden)"))
        #expect(described.contains("client key (hidden)"))
        #expect(String(describing: try fixture.endpoint("basic")).contains("basic auth as \"admin\" (password hidden)"))
        Self.assertClean(Self.describeAll(ExecCredential(token: Self.token)), "exec credential")
    }

    @Test("errors about fields that hold secrets do not quote them")
    func errors() throws {
        let fixture = try KubeFixture()
        let broken = [
            // Syntax error on the token's own line.
            "users:\n- name: u\n  user:\n    token: \(Self.token)\n    password: [\(Self.password)\n",
            // Secrets of the wrong type.
            singleContextConfig(user: "    token: [\(Self.token)]"),
            singleContextConfig(user: "    password: {p: \(Self.password)}\n    username: x"),
            // Key data that is not base64 (the secret follows a bad character).
            singleContextConfig(user: "    client-certificate-data: \(base64(fakeCertPEM))\n    client-key-data: \"!\(Self.token)\""),
            // Two methods at once.
            singleContextConfig(user: "    token: \(Self.token)\n    username: admin\n    password: \(Self.password)"),
            // A server URL with a password in it that is not usable.
            singleContextConfig(cluster: "    server: ftp://admin:\(Self.password)@x", user: "    token: \(Self.token)"),
            singleContextConfig(cluster: "    server: https://x\n    proxy-url: \"::admin:\(Self.password)@\"", user: "    token: t"),
        ]
        for (index, yaml) in broken.enumerated() {
            let error = try fixture.error(yaml, name: "config-\(index)")
            Self.assertClean(Self.describeAll(error), "error \(index)")
        }
    }

    @Test("exec plugin failures never show the plugin's standard output")
    func pluginOutput() async throws {
        let fixture = try KubeFixture()
        let outputs = [
            // Fails after printing a credential.
            "#!/bin/sh\necho '{\"status\":{\"token\":\"\(Self.token)\"}}'\necho 'login failed' >&2\nexit 1\n",
            // Prints a credential in a shape that is not JSON.
            "#!/bin/sh\necho 'token=\(Self.token)'\n",
            // Prints a credential with the wrong apiVersion.
            "#!/bin/sh\necho '{\"apiVersion\":\"x\",\"status\":{\"token\":\"\(Self.token)\"}}'\n",
            // Prints a key without a certificate.
            "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"clientKeyData\":\"\(Self.keyPEM.replacingOccurrences(of: "\n", with: "\\\\n"))\"}}'\n",
        ]
        for (index, script) in outputs.enumerated() {
            try fixture.write("bin/plugin", script, executable: true)
            let provider = try ExecPluginTests.provider(fixture)
            let error = try await ExecPluginTests.pluginError(provider)
            Self.assertClean(Self.describeAll(error), "plugin error \(index)")
            if index == 0 { #expect(error.description.contains("it said: login failed")) }
        }
    }
}
