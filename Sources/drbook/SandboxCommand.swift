import ArgumentParser
import DRBookKube
import DRBookObjectStore
import DRBookSandbox
import Foundation

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the built-in sandbox: a simulated Kubernetes API server to explore with kubectl.",
        subcommands: [SandboxStart.self]
    )
}

struct SandboxStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start the sandbox in the foreground until Ctrl-C, and write a kubeconfig for it.",
        discussion: """
        The sandbox is a simulation, not a Kubernetes cluster: it stores objects and \
        answers the Kubernetes API as a server would (discovery, get/list/watch, apply, \
        patch, scale, delete, RBAC, access reviews, the service proxy), and nothing runs \
        in it but its simulated controllers. Two identities are written: sandbox-admin \
        (may do anything) and sandbox-viewer (read-only).
        """
    )

    @Option(help: ArgumentHelp("Where the kubeconfig, certificates and logs go (created if missing).", valueName: "dir"))
    var dir: String = ".drbook/sandbox"

    @Option(help: "The loopback port to listen on; 0 picks a free one.")
    var port: Int = 0

    // kubectl never sends a bearer token over plain HTTP, so HTTPS is the default.
    @Flag(inversion: .prefixedNo,
          help: "Serve HTTPS through nginx, with client certificates (needs nginx: apt-get install -y nginx-light); --no-tls serves plain HTTP, which drbook can use but kubectl will not send credentials over.")
    var tls = true

    @Option(help: ArgumentHelp("The platform's manifests to load: namespaces, Velero's location and schedule, the monitoring CRs, Flux's objects.", valueName: "file"))
    var seed: String = "sandbox/platform.yaml"

    @Flag(help: "Start an empty sandbox: no seed, no simulated controllers.")
    var bare = false

    @Option(help: ArgumentHelp("Write the simulated Velero's backups to this S3-compatible endpoint (moto, MinIO, R2) instead of a folder, in the BackupStorageLocation's bucket and prefix; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.", valueName: "url"))
    var s3Endpoint: String?

    @Option(help: ArgumentHelp("The signing region for --s3-endpoint.", valueName: "region"))
    var s3Region: String = "auto"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port).") }
    }

    func run() async throws {
        let directory = URL(fileURLWithPath: dir, isDirectory: true).standardizedFileURL
        let configuration = SandboxConfiguration(directory: directory, port: port, tls: tls)
        let sandbox: Sandbox
        var heartbeat: HeartbeatMonitor?
        var storeLines = ""
        // The namespace to show kubectl in: Velero's, as the seed's BackupStorageLocation says (no literal here).
        var exploreNamespace: String?
        do {
            if bare {
                sandbox = try await Sandbox.start(configuration)
            } else {
                var platform = try SandboxPlatform.load(seed: seed, storeDirectory: directory.appendingPathComponent("store"))
                exploreNamespace = platform.veleroNamespace
                var endpointFlag = ""
                if let s3Endpoint {
                    guard let url = URL(string: s3Endpoint), url.scheme == "http" || url.scheme == "https" else {
                        throw BadInput("--s3-endpoint '\(s3Endpoint)' is not an http(s) URL")
                    }
                    try await platform.useS3(endpoint: url, region: s3Region, credentials: try S3Credentials.fromEnvironment())
                    endpointFlag = " --endpoint \(s3Endpoint)"
                }
                let checks = try HeartbeatCheckConfig.fromSeed(platform.seed, source: seed)
                sandbox = try await platform.start(configuration)
                storeLines = """
                Simulated Velero writes its backups to \(platform.storeArgument)\(endpointFlag.isEmpty ? "" : " at \(s3Endpoint ?? "")")
                  drbook backups list --store \(platform.storeArgument)\(endpointFlag)

                """
                if !checks.isEmpty {
                    do {
                        let started = try await HeartbeatMonitor.start(checks: checks)
                        heartbeat = started
                        // The keys go to a file; only the sandbox's own loopback URLs are printed.
                        storeLines += """
                        Simulated heartbeat monitor (healthchecks-compatible, \(checks.map(\.name).joined(separator: ", "))):
                          API \(started.apiURL.absoluteString), pings under \(started.baseURL.absoluteString)/ping/
                          API keys in \(try started.writeKeys(in: directory).path)

                        """
                    } catch {
                        await heartbeat?.stop()
                        await sandbox.stop()
                        throw error
                    }
                }
            }
        } catch let error as SandboxError {
            throw BadInput(error.description)
        } catch let error as KubeManifestError {
            throw BadInput("\(error.description) (give the platform's manifests with --seed, or --bare for an empty sandbox)")
        }
        // Written straight to the file descriptor: stdout is block-buffered when piped, and
        // the lines must show before the command waits for Ctrl-C.
        FileHandle.standardOutput.write(Data("""
        \(Sandbox.disclaimer).
        API server: \(sandbox.serverURL.absoluteString)
        kubeconfig: \(sandbox.kubeconfig.path) (contexts: \(sandbox.identities.map(\.contextName).joined(separator: ", ")))

        Explore it with kubectl:
          export KUBECONFIG=\(sandbox.kubeconfig.path)
        \(Self.exploreLines(namespace: exploreNamespace, viewer: sandbox.identities.last?.contextName ?? ""))

        \(storeLines)Press Ctrl-C to stop.

        """.utf8))
        await Interrupt.wait()
        print("Stopping the sandbox.")
        await heartbeat?.stop()
        await sandbox.stop()
    }
}

extension SandboxStart {
    /// kubectl commands to try: Velero's backups in its namespace, or namespaces in a bare sandbox.
    static func exploreLines(namespace: String?, viewer: String) -> String {
        guard let namespace else {
            return """
              kubectl get namespaces
              kubectl --context \(viewer) auth can-i create namespaces
            """
        }
        return """
          kubectl get backups -n \(namespace)
          kubectl --context \(viewer) auth can-i delete backups -n \(namespace)
        """
    }
}

/// Waits for SIGINT or SIGTERM without blocking a thread.
enum Interrupt {
    static func wait() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            return source
        }
        for await _ in stream { break }
        for source in sources { source.cancel() }
    }
}
