import DRBookHTTP
import DRBookKube
import Foundation
import Testing

@Suite("Every cluster and user form resolves to the endpoint kubectl would use")
struct CredentialFormTests {
    @Test("a static token becomes a bearer credential")
    func token() async throws {
        let fixture = try KubeFixture()
        try fixture.write("config", singleContextConfig(user: "    token: abc.def"))
        let endpoint = try fixture.endpoint("config")
        #expect(endpoint.credential == .token("abc.def"))
        let credentials = try await KubeCredentialProvider(endpoint: endpoint).credentials()
        guard case .bearer(let token)? = credentials.authentication else {
            Issue.record("expected bearer authentication")
            return
        }
        #expect(token == "abc.def")
    }

    @Test("tokenFile is read when used, and a token set alongside it wins")
    func tokenFile() async throws {
        let fixture = try KubeFixture()
        try fixture.write("token.txt", "from-file\n")
        try fixture.write("config", singleContextConfig(user: "    tokenFile: token.txt"))
        let endpoint = try fixture.endpoint("config")
        #expect(endpoint.credential == .tokenFile(path: fixture.path("token.txt")))
        let credentials = try await KubeCredentialProvider(endpoint: endpoint).credentials()
        guard case .bearer(let token)? = credentials.authentication else {
            Issue.record("expected bearer authentication")
            return
        }
        #expect(token == "from-file")

        try fixture.write("both", singleContextConfig(user: "    token: inline\n    tokenFile: token.txt"))
        #expect(try fixture.endpoint("both").credential == .token("inline"))
    }

    @Test("username and password become basic auth")
    func basic() async throws {
        let fixture = try KubeFixture()
        try fixture.write("config", singleContextConfig(user: "    username: admin\n    password: \"p@ss: word\""))
        let endpoint = try fixture.endpoint("config")
        #expect(endpoint.credential == .basic(username: "admin", password: "p@ss: word"))
        let credentials = try await KubeCredentialProvider(endpoint: endpoint).credentials()
        guard case .basic(let username, let password)? = credentials.authentication else {
            Issue.record("expected basic authentication")
            return
        }
        #expect(username == "admin" && password == "p@ss: word")
    }

    @Test("client certificate and key from files")
    func clientCertificateFiles() async throws {
        let fixture = try KubeFixture()
        let cert = try fixture.write("pki/client.pem", fakeCertPEM)
        let key = try fixture.write("pki/client.key", fakeKeyPEM)
        try fixture.write("config", singleContextConfig(user: "    client-certificate: pki/client.pem\n    client-key: \(key)"))
        let endpoint = try fixture.endpoint("config")
        #expect(endpoint.credential == .clientCertificate)
        #expect(endpoint.tls.clientCertificate == .file(cert))
        #expect(endpoint.tls.clientKey == .file(key))
        let credentials = try await KubeCredentialProvider(endpoint: endpoint).credentials()
        #expect(credentials.authentication == nil)
        #expect(credentials.tls.clientKey == .file(key))
    }

    @Test("client certificate and key from base64 data become PEM bytes, never files")
    func clientCertificateData() throws {
        let fixture = try KubeFixture()
        try fixture.write("config", singleContextConfig(user: """
                client-certificate-data: \(base64(fakeCertPEM))
                client-key-data: \(base64(fakeKeyPEM))
            """))
        let endpoint = try fixture.endpoint("config")
        #expect(endpoint.tls.clientCertificate == .pem(Data(fakeCertPEM.utf8)))
        #expect(endpoint.tls.clientKey == .pem(Data(fakeKeyPEM.utf8)))
    }

    @Test("certificate authority from a file or from base64 data (line-wrapped base64 accepted)")
    func certificateAuthority() throws {
        let fixture = try KubeFixture()
        let ca = try fixture.write("ca.pem", fakeCAPEM)
        try fixture.write("file", singleContextConfig(cluster: """
                server: https://api.example.test
                certificate-authority: ca.pem
            """, user: "    token: t"))
        #expect(try fixture.endpoint("file").tls.certificateAuthority == .file(ca))

        let encoded = base64(fakeCAPEM)
        let wrapped = encoded.prefix(20) + "\n      " + encoded.dropFirst(20)
        try fixture.write("data", singleContextConfig(cluster: """
                server: https://api.example.test
                certificate-authority-data: >-
                  \(wrapped)
            """, user: "    token: t"))
        let endpoint = try fixture.endpoint("data")
        #expect(endpoint.tls.certificateAuthority == .pem(Data(fakeCAPEM.utf8)))
        #expect(endpoint.tls.verifyPeer)
    }

    @Test("insecure-skip-tls-verify turns peer verification off")
    func insecure() throws {
        let fixture = try KubeFixture()
        try fixture.write("config", singleContextConfig(cluster: """
                server: https://10.0.0.1:6443
                insecure-skip-tls-verify: true
            """, user: "    token: t"))
        let endpoint = try fixture.endpoint("config")
        #expect(endpoint.tls.verifyPeer == false)
        #expect(endpoint.tls.certificateAuthority == nil)
    }

    @Test("tls-server-name, proxy-url, disable-compression and the context namespace are carried over")
    func serverNameAndProxy() async throws {
        let fixture = try KubeFixture()
        try fixture.write("config", singleContextConfig(cluster: """
                server: https://10.0.0.1:6443
                tls-server-name: kubernetes.default.svc
                proxy-url: http://proxy.example.test:3128
                disable-compression: true
            """, user: "    token: t", namespace: "monitoring"))
        let endpoint = try fixture.endpoint("config")
        #expect(endpoint.tlsServerName == "kubernetes.default.svc")
        #expect(endpoint.proxyURL == "http://proxy.example.test:3128")
        #expect(endpoint.disableCompression)
        #expect(endpoint.namespace == "monitoring")
        let credentials = try await KubeCredentialProvider(endpoint: endpoint).credentials()
        #expect(credentials.proxy == "http://proxy.example.test:3128")
        var request = HTTPRequest(.get, endpoint.server)
        credentials.apply(to: &request)
        #expect(request.proxy == "http://proxy.example.test:3128")
        #expect(request.authentication != nil)
    }

    @Test("a server without a scheme gets https when TLS is configured, http otherwise (client-go DefaultServerURL)")
    func serverWithoutScheme() throws {
        let fixture = try KubeFixture()
        try fixture.write("tls", singleContextConfig(cluster: "    server: api.example.test:6443\n    insecure-skip-tls-verify: true", user: "    token: t"))
        #expect(try fixture.endpoint("tls").server.absoluteString == "https://api.example.test:6443")
        try fixture.write("plain", singleContextConfig(cluster: "    server: localhost:8080", user: "    token: t"))
        #expect(try fixture.endpoint("plain").server.absoluteString == "http://localhost:8080")
    }

    @Test("a token or a client certificate beats an exec plugin, which then never runs (client-go)")
    func staticBeatsExec() throws {
        let fixture = try KubeFixture()
        try fixture.write("config", singleContextConfig(user: """
                token: static
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: does-not-exist
                  interactiveMode: Never
            """))
        #expect(try fixture.endpoint("config").credential == .token("static"))
    }

    @Test("a request's own Authorization header is kept")
    func callerAuthorizationKept() async throws {
        let fixture = try KubeFixture()
        try fixture.write("config", singleContextConfig(user: "    token: t"))
        let credentials = try await KubeCredentialProvider(endpoint: fixture.endpoint("config")).credentials()
        var request = HTTPRequest(.get, URL(string: "https://api.example.test")!, headers: ["Authorization": "Bearer mine"])
        credentials.apply(to: &request)
        #expect(request.authentication == nil)
    }
}
