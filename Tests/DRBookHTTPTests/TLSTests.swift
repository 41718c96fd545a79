import DRBookHTTP
import DRBookTestSupport
import Foundation
import Testing

/// A TLS server that requires a client certificate signed by the test CA.
final class MutualTLSServer: Sendable {
    let certificates: TestCertificates
    let server: ServerProcess
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        certificates = try TestCertificates.make(in: directory.url.path)
        server = try ServerProcess.python("http_fixture.py", [
            "--port", "0", "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey,
            "--tls-client-ca", certificates.caCertificate,
        ], name: "tls-fixture")
    }

    /// One server for the whole test process, made off the cooperative pool (openssl and
    /// the server's start block): certificates and a process per test would be slow.
    static func shared() async throws -> MutualTLSServer {
        try await SharedTLSServer.instance.get()
    }

    var echoURL: URL { URL(string: "https://127.0.0.1:\(server.port)/echo")! }
}

/// One task makes the server; every test awaits the same one.
actor SharedTLSServer {
    static let instance = SharedTLSServer()
    private var server: Task<MutualTLSServer, Error>?
    func get() async throws -> MutualTLSServer {
        if server == nil {
            server = Task {
                try await withCheckedThrowingContinuation { continuation in
                    Thread { continuation.resume(with: Result { try MutualTLSServer() }) }.start()
                }
            }
        }
        return try await server!.value
    }
}

@Suite("TLS: server verification and client certificates", .serialized)
struct TLSTests {
    let tls: MutualTLSServer
    init() async throws { tls = try await MutualTLSServer.shared() }

    func request(_ options: TLSOptions) -> HTTPRequest {
        HTTPRequest(.get, tls.echoURL, retry: .never, tls: options)
    }

    @Test("the right CA and client certificate from files are accepted")
    func filesAccepted() async throws {
        let c = tls.certificates
        let response = try await HTTPClient.shared.send(request(TLSOptions(
            certificateAuthority: .file(c.caCertificate), clientCertificate: .file(c.clientCertificate), clientKey: .file(c.clientKey))))
        #expect(response.status == 200)
        #expect(try JSONDecoder().decode(Echo.self, from: response.body).client_cert_cn == "drbook-test-client")
    }

    @Test("the right CA and client certificate as PEM bytes are accepted")
    func pemAccepted() async throws {
        let c = tls.certificates
        let response = try await HTTPClient.shared.send(request(TLSOptions(
            certificateAuthority: .pem(try c.pem(c.caCertificate)), clientCertificate: .pem(try c.pem(c.clientCertificate)),
            clientKey: .pem(try c.pem(c.clientKey)))))
        #expect(response.status == 200)
        #expect(try JSONDecoder().decode(Echo.self, from: response.body).client_cert_cn == "drbook-test-client")
    }

    @Test("a server certificate from an untrusted CA is refused (file and PEM forms)", arguments: [false, true])
    func wrongCARefused(asPEM: Bool) async throws {
        let c = tls.certificates
        let ca: PEMSource = asPEM ? .pem(try c.pem(c.otherCACertificate)) : .file(c.otherCACertificate)
        let error = try await #require(throws: HTTPError.self) {
            try await HTTPClient.shared.send(request(TLSOptions(certificateAuthority: ca, clientCertificate: .file(c.clientCertificate), clientKey: .file(c.clientKey))))
        }
        #expect(error.phase == .tls)
        #expect(error.description.localizedCaseInsensitiveContains("certificate"))
        #expect(!error.isTransient)
    }

    @Test("the system trust store does not trust the test CA")
    func systemStoreRefuses() async throws {
        let error = try await #require(throws: HTTPError.self) { try await HTTPClient.shared.send(request(TLSOptions())) }
        #expect(error.phase == .tls)
    }

    @Test("without a client certificate the server refuses the connection", arguments: [false, true])
    func missingClientCertificate(asPEM: Bool) async throws {
        let c = tls.certificates
        let ca: PEMSource = asPEM ? .pem(try c.pem(c.caCertificate)) : .file(c.caCertificate)
        await #expect(throws: HTTPError.self) {
            try await HTTPClient.shared.send(request(TLSOptions(certificateAuthority: ca)))
        }
    }

    @Test("a client certificate from another CA is refused by the server")
    func foreignClientCertificate() async throws {
        let c = tls.certificates
        await #expect(throws: HTTPError.self) {
            try await HTTPClient.shared.send(request(TLSOptions(certificateAuthority: .file(c.caCertificate),
                                                                clientCertificate: .pem(try c.pem(c.otherClientCertificate)),
                                                                clientKey: .pem(try c.pem(c.otherClientKey)))))
        }
    }

    @Test("a TLS server name (tls-server-name) is verified instead of the URL's host, which still is connected to")
    func serverName() async throws {
        let c = tls.certificates
        var options = TLSOptions(certificateAuthority: .file(c.caCertificate), clientCertificate: .file(c.clientCertificate), clientKey: .file(c.clientKey))
        options.serverName = "localhost"
        let response = try await HTTPClient.shared.send(request(options))
        #expect(response.status == 200)
        #expect(try JSONDecoder().decode(Echo.self, from: response.body).headers["host"] == "127.0.0.1:\(tls.server.port)")
        options.serverName = "api.wrong.example"
        let error = try await #require(throws: HTTPError.self) { try await HTTPClient.shared.send(request(options)) }
        #expect(error.phase == .tls)
        #expect(error.description.contains("127.0.0.1"))
    }

    @Test("verification can be turned off explicitly (insecure-skip-tls-verify)")
    func insecureSkipVerify() async throws {
        let c = tls.certificates
        let response = try await HTTPClient.shared.send(request(TLSOptions(verifyPeer: false, clientCertificate: .file(c.clientCertificate), clientKey: .file(c.clientKey))))
        #expect(response.status == 200)
    }
}
