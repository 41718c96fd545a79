import DRBookKube
import FlyingFox
import Foundation

/// A running sandbox: the simulated Kubernetes API server on loopback (plain HTTP, or
/// HTTPS through nginx with client certificates), its store, the service-proxy table,
/// the simulated controllers, and kubeconfig files for each identity. It is a
/// simulation, not a Kubernetes: it stores objects and answers the API as a server
/// would, and only the controllers it is given make anything happen.
public final class Sandbox: Sendable {
    public let store: SandboxStore
    /// Where the service proxy routes each Service.
    public let endpoints: ServiceEndpoints
    /// The URL clients use (https through nginx, or the API server's own http).
    public let serverURL: URL
    /// The kubeconfig of each identity, by context name.
    public let kubeconfigs: [String: URL]
    /// A kubeconfig with every identity's context; the first identity's is current.
    public let kubeconfig: URL
    /// The CA that signed the server and client certificates (HTTPS only).
    public let caCertificate: URL?
    public let identities: [SandboxIdentity]
    /// The simulated API server's own port (plain HTTP; behind nginx when serving HTTPS).
    public let apiServerPort: Int

    private let server: HTTPServer
    private let serverTask: Task<Void, Error>
    private let controllerTasks: [Task<Void, Never>]
    private let terminator: TLSTerminator?

    /// The sentence the sandbox uses to introduce itself wherever a person sees it.
    public static let disclaimer = "drbook sandbox: a simulated Kubernetes API server for tests and demos, not a Kubernetes cluster"

    private init(store: SandboxStore, endpoints: ServiceEndpoints, serverURL: URL, kubeconfigs: [String: URL], kubeconfig: URL,
                 caCertificate: URL?, identities: [SandboxIdentity], apiServerPort: Int, server: HTTPServer, serverTask: Task<Void, Error>,
                 controllerTasks: [Task<Void, Never>], terminator: TLSTerminator?) {
        self.store = store
        self.endpoints = endpoints
        self.serverURL = serverURL
        self.kubeconfigs = kubeconfigs
        self.kubeconfig = kubeconfig
        self.caCertificate = caCertificate
        self.identities = identities
        self.apiServerPort = apiServerPort
        self.server = server
        self.serverTask = serverTask
        self.controllerTasks = controllerTasks
        self.terminator = terminator
    }

    public static func start(_ configuration: SandboxConfiguration) async throws -> Sandbox {
        let directory = configuration.directory
        // A port asked for by number must be free before anything starts: nginx would otherwise
        // fail to bind while a connection to the port, made by whatever holds it, looks like success.
        if configuration.port != 0 { try LoopbackPort.requireFree(configuration.port) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let store = SandboxStore(catalogue: configuration.catalogue)
        for namespace in configuration.namespaces {
            try await store.create(SandboxStore.namespaces, ["metadata": ["name": .string(namespace)]])
        }
        let endpoints = ServiceEndpoints()
        let proxySecret = configuration.tls ? SandboxIdentity.randomToken() : nil
        var tokens: [String: UserInfo] = [:]
        for identity in configuration.identities { if let token = identity.token { tokens[token] = identity.user } }

        let backendPort = configuration.tls ? 0 : configuration.port
        let publicPort = configuration.tls ? (configuration.port == 0 ? try LoopbackPort.free() : configuration.port) : nil
        let handler = APIHandler(store: store, authenticator: Authenticator(tokens: tokens, proxySecret: proxySecret),
                                 policy: configuration.policy, endpoints: endpoints,
                                 discovery: Discovery(catalogue: configuration.catalogue, serverAddress: "127.0.0.1:\(publicPort ?? backendPort)"),
                                 maximumWatch: configuration.maximumWatch)
        let (server, serverTask) = try await LoopbackServer.start(port: backendPort, requestTimeout: 120, handler: handler)
        guard case .ip4(_, let listening)? = await server.listeningAddress else {
            serverTask.cancel()
            throw SandboxError.server("no listening address")
        }
        let discoveryPort = publicPort ?? Int(listening)

        var certificates: SandboxCertificates?
        var terminator: TLSTerminator?
        do {
            if configuration.tls, let proxySecret {
                let made = try await SandboxCertificates.make(in: directory.appendingPathComponent("pki"), identities: configuration.identities)
                certificates = made
                terminator = try await TLSTerminator.start(directory: directory, port: discoveryPort, backendPort: Int(listening),
                                                           certificates: made, proxySecret: proxySecret)
            }
        } catch {
            await server.stop(timeout: 0)
            serverTask.cancel()
            throw error
        }
        let serverURL = URL(string: "\(configuration.tls ? "https" : "http")://127.0.0.1:\(discoveryPort)")!
        let kubeconfigs = try KubeconfigWriter.write(directory: directory, server: serverURL, identities: configuration.identities,
                                                     certificates: certificates)
        let controllerTasks = configuration.controllers.map { controller in
            Task<Void, Never> {
                do {
                    try await controller.run(store: store)
                } catch is CancellationError {
                } catch {
                    FileHandle.standardError.write(Data("drbook sandbox: controller \(controller.name) stopped: \(error)\n".utf8))
                }
            }
        }
        return Sandbox(store: store, endpoints: endpoints, serverURL: serverURL, kubeconfigs: kubeconfigs,
                       kubeconfig: KubeconfigWriter.combined(in: directory), caCertificate: certificates?.caCertificate,
                       identities: configuration.identities, apiServerPort: Int(listening), server: server, serverTask: serverTask,
                       controllerTasks: controllerTasks, terminator: terminator)
    }

    /// The identity with that context name.
    public func identity(_ contextName: String) -> SandboxIdentity? {
        identities.first { $0.contextName == contextName }
    }

    /// Stops the controllers, ends open watches, stops nginx and the API server.
    public func stop() async {
        for task in controllerTasks { task.cancel() }
        await store.finishWatches()
        await terminator?.stop()
        await server.stop(timeout: 1)
        serverTask.cancel()
        for task in controllerTasks { _ = await task.value }
    }
}
