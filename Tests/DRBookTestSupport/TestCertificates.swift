import Foundation

/// A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made
/// with `openssl` for one test, plus an unrelated CA that must not be trusted.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caCertificate: String { "\(directory)/ca.pem" }
    public var serverCertificate: String { "\(directory)/server.pem" }
    public var serverKey: String { "\(directory)/server.key" }
    public var clientCertificate: String { "\(directory)/client.pem" }
    public var clientKey: String { "\(directory)/client.key" }
    public var otherCACertificate: String { "\(directory)/other-ca.pem" }
    public var otherClientCertificate: String { "\(directory)/other-client.pem" }
    public var otherClientKey: String { "\(directory)/other-client.key" }

    public static func make(in directory: String, clientName: String = "drbook-test-client") throws -> TestCertificates {
        let openssl = try Tools.require("openssl", install: "apt-get install -y openssl")
        func run(_ arguments: [String]) throws { try Tools.run(openssl, arguments) }
        func path(_ name: String) -> String { "\(directory)/\(name)" }

        for ca in ["ca", "other-ca"] {
            try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", path("\(ca).key"), "-out", path("\(ca).pem"), "-days", "2", "-subj", "/CN=drbook test \(ca)",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        }
        try String("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
            .write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        try String("extendedKeyUsage=clientAuth\n").write(toFile: path("client.ext"), atomically: true, encoding: .utf8)
        let leaves: [(name: String, subject: String, ca: String, ext: String)] = [
            ("server", "/CN=localhost", "ca", "server.ext"),
            ("client", "/CN=\(clientName)", "ca", "client.ext"),
            ("other-client", "/CN=intruder", "other-ca", "client.ext"),
        ]
        for leaf in leaves {
            try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", path("\(leaf.name).key"), "-out", path("\(leaf.name).csr"), "-subj", leaf.subject])
            try run(["x509", "-req", "-in", path("\(leaf.name).csr"), "-CA", path("\(leaf.ca).pem"), "-CAkey", path("\(leaf.ca).key"),
                     "-CAcreateserial", "-out", path("\(leaf.name).pem"), "-days", "2", "-extfile", path(leaf.ext)])
        }
        for key in ["ca.key", "other-ca.key", "server.key", "client.key", "other-client.key"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path(key))
        }
        return TestCertificates(directory: directory)
    }

    public func pem(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
}
