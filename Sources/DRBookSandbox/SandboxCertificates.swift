import DRBookProcess
import Foundation

/// The sandbox's own PKI, made with the `openssl` command (no key code of our own): a
/// CA, a server certificate for 127.0.0.1 and localhost, and one client certificate per
/// identity that wants one (CN = user, O = each group, as the API server reads them).
/// Private keys are written 0600 into the sandbox's directory and never printed.
struct SandboxCertificates: Sendable {
    let directory: URL
    var caCertificate: URL { directory.appendingPathComponent("ca.pem") }
    var serverCertificate: URL { directory.appendingPathComponent("server.pem") }
    var serverKey: URL { directory.appendingPathComponent("server.key") }
    func clientCertificate(_ identity: SandboxIdentity) -> URL { directory.appendingPathComponent("\(identity.contextName).pem") }
    func clientKey(_ identity: SandboxIdentity) -> URL { directory.appendingPathComponent("\(identity.contextName).key") }

    static let validityDays = "30"

    static func make(in directory: URL, identities: [SandboxIdentity]) async throws -> SandboxCertificates {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let certificates = SandboxCertificates(directory: directory)
        let environment = ProcessInfo.processInfo.environment
        guard let openssl = ChildProcess.locate("openssl", path: environment["PATH"]) else {
            throw SandboxError.missingTool("openssl", install: "apt-get install -y openssl")
        }
        func run(_ arguments: [String]) async throws {
            let result = try await ChildProcess(arguments: ["openssl"] + arguments, executable: openssl, environment: environment,
                                                directory: directory.path, timeout: .seconds(30)).run()
            guard result.exitCode == 0 else {
                throw SandboxError.certificates("openssl \(arguments.first ?? "") failed: \(result.stderr.text.suffix(400))")
            }
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await run(["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.pem", "-days", validityDays,
                      "-subj", "/CN=drbook sandbox CA (a simulation, not a Kubernetes cluster)",
                      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
            .write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(to: directory.appendingPathComponent("client.ext"), atomically: true, encoding: .utf8)
        var leaves = [(name: "server", subject: "/CN=localhost", ext: "server.ext")]
        for identity in identities where identity.clientCertificate {
            let subject = (["CN=\(identity.user.name)"] + identity.user.groups.map { "O=\($0)" })
                .map { "/" + $0.replacingOccurrences(of: "/", with: "\\/") }.joined()
            leaves.append((identity.contextName, subject, "client.ext"))
        }
        for leaf in leaves {
            try await run(["req"] + key + ["-keyout", "\(leaf.name).key", "-out", "\(leaf.name).csr", "-subj", leaf.subject])
            try await run(["x509", "-req", "-in", "\(leaf.name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                           "-out", "\(leaf.name).pem", "-days", validityDays, "-extfile", leaf.ext])
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        for file in files where file.hasSuffix(".key") {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory.appendingPathComponent(file).path)
        }
        return certificates
    }
}

/// Why a sandbox could not start. Never carries a token or key.
public enum SandboxError: Error, CustomStringConvertible, Sendable {
    case missingTool(String, install: String)
    case certificates(String)
    case tlsTerminator(String)
    case server(String)
    /// Something else listens on the port a server of the sandbox was to listen on.
    case portInUse(Int, holder: String?)
    /// The record a running sandbox leaves in its directory, or stopping it.
    case record(String)
    /// A Schedule of the seed whose past the sandbox cannot make up.
    case history(schedule: String, why: String)

    public var description: String {
        switch self {
        case .missingTool(let tool, let install): "\(tool) is needed by the sandbox but was not found. Install it with: \(install)"
        case .certificates(let why): "sandbox certificates: \(why)"
        case .tlsTerminator(let why): "sandbox TLS terminator (nginx): \(why)"
        case .server(let why): "sandbox API server: \(why)"
        case .record(let why): "sandbox: \(why)"
        case .history(let schedule, let why):
            "the sandbox's history of Schedule '\(schedule)': \(why); fix the seed's Schedule, or start with --history 0"
        case .portInUse(let port, let holder):
            "port \(port) on 127.0.0.1 is already in use\(holder.map { " by \($0)" } ?? "") and the sandbox cannot listen on it; stop that, or choose another port with --port (0 picks a free one)"
        }
    }
}
