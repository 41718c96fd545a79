import DRBookHTTP
import DRBookProcess
import Foundation

/// nginx (from Debian) in front of the plain-HTTP API server: it terminates TLS with the
/// sandbox's server certificate, asks for a client certificate (optional, so bearer
/// tokens still work), and passes the verified subject on in headers together with a
/// random secret that only it and the API server know: Kubernetes' request-header
/// ("authenticating proxy") model. Buffering is off so watch events flow as they happen.
///
/// nginx runs in the foreground as a single process (`master_process off`), under
/// `setpriv --pdeathsig` when available so it dies with the sandbox's process even if
/// `stop()` is never reached.
final class TLSTerminator: Sendable {
    let port: Int
    private let task: Task<ChildProcess.Result, Error>
    private let errorLog: URL

    static let install = "apt-get install -y nginx-light"
    /// nginx's pid file in the sandbox's directory, for `SandboxRecord.stop` after a crash.
    static let pidFileName = "nginx.pid"

    private init(port: Int, task: Task<ChildProcess.Result, Error>, errorLog: URL) {
        self.port = port
        self.task = task
        self.errorLog = errorLog
    }

    static func start(directory: URL, port requested: Int, backendPort: Int, certificates: SandboxCertificates,
                      proxySecret: String) async throws -> TLSTerminator {
        let environment = ProcessInfo.processInfo.environment
        let searchPath = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        guard let nginx = ChildProcess.locate("nginx", path: searchPath) else {
            throw SandboxError.missingTool("nginx", install: install)
        }
        let port = requested == 0 ? try LoopbackPort.free() : requested
        let temporary = directory.appendingPathComponent("nginx-temp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let configuration = directory.appendingPathComponent("nginx.conf")
        let errorLog = directory.appendingPathComponent("nginx-error.log")
        try config(port: port, backendPort: backendPort, certificates: certificates, secret: proxySecret,
                   temporary: temporary, errorLog: errorLog, pidFile: directory.appendingPathComponent(pidFileName))
            .write(to: configuration, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: configuration.path)

        var arguments = [nginx, "-e", errorLog.path, "-p", directory.path, "-c", configuration.path]
        var executable = nginx
        if let setpriv = ChildProcess.locate("setpriv", path: searchPath) {
            arguments = ["setpriv", "--pdeathsig", "KILL"] + arguments
            executable = setpriv
        }
        let process = ChildProcess(arguments: arguments, executable: executable, environment: environment,
                                   directory: directory.path, timeout: .seconds(366 * 24 * 3600), captureLimit: 64 << 10)
        let task = Task { try await process.run() }
        let terminator = TLSTerminator(port: port, task: task, errorLog: errorLog)
        let exit = ExitProbe()
        Task { exit.set((try? await task.value)?.exitCode ?? -1) }
        // Generous: alone it answers in milliseconds, but the API server behind it shares the
        // machine with whatever else runs (a test suite on two cores took over 15 s).
        let patience = 90
        let deadline = ContinuousClock.now + .seconds(patience)
        // Listening is proved by an answer through nginx over TLS with this sandbox's own CA:
        // a connection alone would also succeed to whatever else holds the port.
        var lastAnswer = "no connection"
        while true {
            if let exited = exit.value {
                let log = terminator.errorLogTail
                if log.contains("Address already in use") { throw SandboxError.portInUse(port, holder: LoopbackPort.holder(of: port)) }
                throw SandboxError.tlsTerminator("nginx exited (\(exited)): \(log)")
            }
            if LoopbackPort.accepts(port) {
                switch await answersThroughTLS(port: port, caCertificate: certificates.caCertificate) {
                case .success: return terminator
                case .failure(let failure): lastAnswer = failure.why
                }
            }
            if ContinuousClock.now > deadline {
                await terminator.stop()
                throw SandboxError.tlsTerminator("nginx did not answer on 127.0.0.1:\(port) within \(patience) s (\(lastAnswer)): \(terminator.errorLogTail)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// One request to the API server's `/healthz` through nginx, verifying the server's
    /// certificate against the sandbox's CA.
    private static func answersThroughTLS(port: Int, caCertificate: URL) async -> Result<Void, ProbeFailure> {
        let request = HTTPRequest(.get, URL(string: "https://127.0.0.1:\(port)/healthz")!,
                                  timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(20), stall: nil), retry: .never,
                                  tls: TLSOptions(certificateAuthority: .file(caCertificate.path)), proxy: "")
        do {
            let response = try await HTTPClient.shared.send(request)
            return response.status == 200 ? .success(()) : .failure(ProbeFailure("HTTP \(response.status)"))
        } catch {
            return .failure(ProbeFailure("\(error)"))
        }
    }

    struct ProbeFailure: Error {
        var why: String
        init(_ why: String) { self.why = why }
    }

    /// Ends nginx and waits until it is gone.
    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    private var errorLogTail: String {
        String(((try? String(contentsOf: errorLog, encoding: .utf8)) ?? "").suffix(600))
    }

    static func config(port: Int, backendPort: Int, certificates: SandboxCertificates, secret: String,
                       temporary: URL, errorLog: URL, pidFile: URL) -> String {
        """
        # Written by the drbook sandbox (a simulation, not Kubernetes). Holds a secret: not for sharing.
        daemon off;
        master_process off;
        worker_processes 1;
        pid \(pidFile.path);
        error_log \(errorLog.path) warn;
        events { worker_connections 512; }
        http {
            access_log off;
            client_body_temp_path \(temporary.path)/body;
            proxy_temp_path \(temporary.path)/proxy;
            fastcgi_temp_path \(temporary.path)/fastcgi;
            uwsgi_temp_path \(temporary.path)/uwsgi;
            scgi_temp_path \(temporary.path)/scgi;
            client_max_body_size 64m;
            server {
                listen 127.0.0.1:\(port) ssl;
                ssl_certificate \(certificates.serverCertificate.path);
                ssl_certificate_key \(certificates.serverKey.path);
                ssl_client_certificate \(certificates.caCertificate.path);
                ssl_verify_client optional;
                location / {
                    proxy_pass http://127.0.0.1:\(backendPort);
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $http_host;
                    proxy_buffering off;
                    proxy_request_buffering off;
                    proxy_read_timeout 3600s;
                    proxy_send_timeout 3600s;
                    proxy_set_header \(Authenticator.secretHeader) "\(secret)";
                    proxy_set_header \(Authenticator.verifyHeader) $ssl_client_verify;
                    proxy_set_header \(Authenticator.subjectHeader) $ssl_client_s_dn;
                }
            }
        }

        """
    }
}

private final class ExitProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var code: Int?
    func set(_ value: Int) { lock.withLock { code = value } }
    var value: Int? { lock.withLock { code } }
}
