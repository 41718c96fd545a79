import ArgumentParser
import DRBookKube
import DRBookObjectStore
import DRBookSandbox
import DRBookVelero
import Foundation

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the built-in sandbox: a simulated Kubernetes API server to explore with kubectl.",
        subcommands: [SandboxStart.self, SandboxStatusCommand.self, SandboxStop.self]
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

    @Option(help: ArgumentHelp("The platform's manifests to load instead of the built-in ones (sandbox/platform.yaml, part of drbook): namespaces, Velero's location and schedule, the monitoring CRs, Flux's objects.", valueName: "file"))
    var seed: String?

    @Flag(help: "Start an empty sandbox: no seed, no history, no simulated controllers.")
    var bare = false

    @Option(help: ArgumentHelp("How many days each schedule of the seed has already run: one Completed backup per firing, in the store and synced into the API, the newest at the last firing. The seed's Schedule says how many by default (sandbox.drbook.dev/history-days); 0 for none.", valueName: "days"))
    var history: Int?

    @Option(help: ArgumentHelp("Write the simulated Velero's backups to this S3-compatible endpoint (moto, MinIO, R2) instead of a folder, in the BackupStorageLocation's bucket and prefix; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.", valueName: "url"))
    var s3Endpoint: String?

    @Option(help: ArgumentHelp("The signing region for --s3-endpoint.", valueName: "region"))
    var s3Region: String = "auto"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port).") }
        if let history, history < 0 { throw ValidationError("--history must be a number of days, 0 or more, not \(history).") }
        if bare, seed != nil || history.map({ $0 > 0 }) == true {
            throw ValidationError("--bare starts an empty sandbox; it takes no --seed or --history.")
        }
    }

    func run() async throws {
        let directory = URL(fileURLWithPath: dir, isDirectory: true).standardizedFileURL
        try refuseRunningSandbox(in: directory)
        let configuration = SandboxConfiguration(directory: directory, port: port, tls: tls)
        let sandbox: Sandbox
        var heartbeat: HeartbeatMonitor?
        var storeLines = ""
        var store: String?
        // The namespace to show kubectl in: Velero's, as the seed's BackupStorageLocation says (no literal here).
        var exploreNamespace: String?
        var seedSource: String?
        do {
            if bare {
                sandbox = try await Sandbox.start(configuration)
            } else {
                let storeDirectory = directory.appendingPathComponent("store")
                var platform = try seed.map { try SandboxPlatform.load(seed: $0, storeDirectory: storeDirectory) }
                    ?? SandboxPlatform.builtin(storeDirectory: storeDirectory)
                seedSource = platform.seedSource
                exploreNamespace = platform.veleroNamespace
                var endpointFlag = ""
                if let s3Endpoint {
                    guard let url = URL(string: s3Endpoint), url.scheme == "http" || url.scheme == "https" else {
                        throw BadInput("--s3-endpoint '\(s3Endpoint)' is not an http(s) URL")
                    }
                    try await platform.useS3(endpoint: url, region: s3Region, credentials: try S3Credentials.fromEnvironment())
                    endpointFlag = " --endpoint \(s3Endpoint)"
                }
                let checks = try HeartbeatCheckConfig.fromSeed(platform.seed, source: platform.seedSource)
                sandbox = try await platform.start(configuration, historyDays: history)
                store = platform.storeArgument
                let backups = (try? await sandbox.store.list(GroupResource(.veleroBackups), namespace: platform.veleroNamespace).items.count) ?? 0
                storeLines = """
                Simulated Velero writes its backups to \(platform.storeArgument)\(endpointFlag.isEmpty ? "" : " at \(s3Endpoint ?? "")")\
                \(backups > 0 ? ", which holds \(backups) from the schedule's past (--history 0 for none)" : "")
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
        // Every server answers (nginx through TLS with the sandbox's CA): only now is it recorded and announced.
        let record = SandboxRecord(serverURL: sandbox.serverURL.absoluteString, apiServerPort: sandbox.apiServerPort, tls: tls,
                                   kubeconfig: sandbox.kubeconfig.path, contexts: sandbox.identities.map(\.contextName),
                                   seed: seedSource, store: store, heartbeatURL: heartbeat?.baseURL.absoluteString)
        do {
            try record.write(in: directory)
        } catch {
            await heartbeat?.stop()
            await sandbox.stop()
            throw BadInput("cannot write \(SandboxRecord.file(in: directory).path): \(error.localizedDescription)")
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

        \(storeLines)From another shell: drbook sandbox status --dir \(directory.path), drbook sandbox stop --dir \(directory.path)
        Press Ctrl-C to stop.

        """.utf8))
        await Interrupt.wait()
        print("Stopping the sandbox.")
        await heartbeat?.stop()
        await sandbox.stop()
        SandboxRecord.remove(in: directory)
    }

    /// One sandbox per directory: its kubeconfig, certificates and record would be overwritten.
    private func refuseRunningSandbox(in directory: URL) throws {
        let existing: SandboxRecord?
        do {
            existing = try SandboxRecord.read(in: directory)
        } catch let error as SandboxError {
            throw BadInput(error.description)
        }
        guard let existing else { return }
        if existing.isRunning {
            throw BadInput("a sandbox already runs in \(directory.path) (pid \(existing.pid), \(existing.serverURL)); stop it with: drbook sandbox stop --dir \(directory.path), or give another --dir")
        }
        SandboxRecord.remove(in: directory)
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

/// `--dir` of the sandbox that `status` and `stop` ask about.
struct SandboxDirectory: ParsableArguments {
    @Option(help: ArgumentHelp("The directory given to drbook sandbox start.", valueName: "dir"))
    var dir: String = ".drbook/sandbox"

    var url: URL { URL(fileURLWithPath: dir, isDirectory: true).standardizedFileURL }

    /// Runs a question about the sandbox; what it cannot read there is bad input.
    func asking<T>(_ question: () async throws -> T) async throws -> T {
        do { return try await question() } catch let error as SandboxError { throw BadInput(error.description) }
    }
}

struct SandboxStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Whether the sandbox of a directory runs: its pid, ports, kubeconfig, and how many objects and backups it holds.",
        discussion: "Exit status 0 when it runs, 1 when it does not."
    )

    @OptionGroup var sandbox: SandboxDirectory

    func run() async throws {
        let directory = sandbox.url
        let found = try await sandbox.asking { try await SandboxStatus.read(in: directory) }
        guard let status = found else {
            print("No sandbox in \(directory.path): no \(SandboxRecord.fileName) (start one with: drbook sandbox start --dir \(directory.path)).")
            throw ExitCode(1)
        }
        let record = status.record
        guard status.running else {
            print("The sandbox in \(directory.path) is not running: pid \(record.pid) has exited without stopping it (drbook sandbox stop --dir \(directory.path) cleans up).")
            throw ExitCode(1)
        }
        let apiPort = URL(string: record.serverURL)?.port.map(String.init) ?? "?"
        var lines = [
            "The sandbox in \(directory.path) is running: pid \(record.pid), since \(KubeJSON.formatTime(record.startedAt)).",
            "API server: \(record.serverURL) (port \(apiPort)\(record.tls ? ", nginx in front of the simulated API server on port \(record.apiServerPort)" : ""))",
            "kubeconfig: \(record.kubeconfig) (contexts: \(record.contexts.joined(separator: ", ")))",
            "seed: \(record.seed ?? "none (bare)")",
        ]
        if let objects = status.objects {
            let phases = (status.backupsByPhase ?? [:]).sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            let backups = status.backupsByPhase?.values.reduce(0, +) ?? 0
            lines.append("objects: \(objects) in the API, \(backups) of them Velero backups\(phases.isEmpty ? "" : " (\(phases.joined(separator: ", ")))")")
        }
        if let store = record.store {
            lines.append("store: \(store)\(status.storeBackups.map { ", \($0) backups" } ?? "")")
        }
        if let heartbeat = record.heartbeatURL { lines.append("heartbeat monitor: \(heartbeat)") }
        print(lines.joined(separator: "\n"))
    }
}

struct SandboxStop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the sandbox of a directory (as Ctrl-C would), wait until it has exited, and make sure its nginx is gone.",
        discussion: "Exit status 0 when it stopped or was no longer running (its leftovers are cleaned up), 2 when no sandbox was started in the directory."
    )

    @OptionGroup var sandbox: SandboxDirectory

    func run() async throws {
        let directory = sandbox.url
        let outcome = try await sandbox.asking {
            try await SandboxRecord.stop(in: directory) { waited in
                FileHandle.standardError.write(Data("waiting for the sandbox to exit (\(Int(waited.components.seconds)) s)\n".utf8))
            }
        }
        switch outcome {
        case nil:
            throw BadInput("no sandbox was started in \(directory.path): it has no \(SandboxRecord.fileName); give the --dir that drbook sandbox start was given")
        case .stopped(let pid)?:
            print("Stopped the sandbox in \(directory.path) (pid \(pid)).")
        case .wasNotRunning(let pid)?:
            print("The sandbox in \(directory.path) was not running (pid \(pid) had exited); removed its record.")
        }
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
