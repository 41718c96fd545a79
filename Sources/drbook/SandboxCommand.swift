import ArgumentParser
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

    @Flag(help: "Serve HTTPS through nginx, with client certificates (needs nginx: apt-get install -y nginx-light).")
    var tls = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port).") }
    }

    func run() async throws {
        let directory = URL(fileURLWithPath: dir, isDirectory: true).standardizedFileURL
        let sandbox: Sandbox
        do {
            sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory, port: port, tls: tls))
        } catch let error as SandboxError {
            throw BadInput(error.description)
        }
        // Written straight to the file descriptor: stdout is block-buffered when piped, and
        // the lines must show before the command waits for Ctrl-C.
        FileHandle.standardOutput.write(Data("""
        \(Sandbox.disclaimer).
        API server: \(sandbox.serverURL.absoluteString)
        kubeconfig: \(sandbox.kubeconfig.path) (contexts: \(sandbox.identities.map(\.contextName).joined(separator: ", ")))

        Explore it with kubectl:
          export KUBECONFIG=\(sandbox.kubeconfig.path)
          kubectl get backups -n velero
          kubectl --context \(sandbox.identities.last?.contextName ?? "") auth can-i delete backups -n velero

        Press Ctrl-C to stop.

        """.utf8))
        await Interrupt.wait()
        print("Stopping the sandbox.")
        await sandbox.stop()
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
