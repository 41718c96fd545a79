import DRBookHTTP
import Foundation

/// Turns one context of a merged kubeconfig into a `KubeEndpoint`, checking what
/// kubectl's `ConfirmUsable` checks (only for the context used: errors elsewhere in the
/// files do not matter) and what its transport would reject later.
public struct ContextResolver: Sendable {
    public let config: MergedKubeconfig

    public init(_ config: MergedKubeconfig) { self.config = config }

    /// Resolves `--context` when given, else `current-context`.
    public func resolve(context override: String? = nil) throws -> KubeEndpoint {
        let explicit = override.flatMap { $0.isEmpty ? nil : $0 }
        let name = explicit ?? config.currentContext
        guard !name.isEmpty else {
            throw KubeconfigError.noCurrentContext(files: config.files, contexts: config.contexts.map(\.name))
        }
        guard let context = config.context(name) else {
            throw KubeconfigError.unknownContext(name, files: explicit == nil ? [config.currentContextFile ?? config.files.first].compactMap { $0 } : config.files,
                                                 contexts: config.contexts.map(\.name), fromFlag: explicit != nil)
        }
        guard let clusterName = context.value.cluster else {
            throw KubeconfigError.contextMissingReference(context.position, context: name, kind: "cluster")
        }
        guard let cluster = config.cluster(clusterName) else {
            throw KubeconfigError.undefinedReference(context.position, context: name, kind: "cluster", name: clusterName,
                                                     defined: config.clusters.map(\.name))
        }
        guard let userName = context.value.user else { throw KubeconfigError.userEmpty(context.position, context: name) }
        guard let user = config.user(userName) else {
            throw KubeconfigError.undefinedReference(context.position, context: name, kind: "user", name: userName,
                                                     defined: config.users.map(\.name))
        }
        if let namespace = context.value.namespace, !Self.isDNSLabel(namespace) {
            throw KubeconfigError.invalidNamespace(context.position, context: name, namespace: namespace)
        }

        var endpoint = try clusterEndpoint(cluster, userHasCertificate: user.value.clientCertificate != nil || user.value.clientCertificateData != nil)
        endpoint.contextName = name
        endpoint.userName = userName
        endpoint.namespace = context.value.namespace ?? "default"
        endpoint.source = context.file
        try applyUser(user, cluster: cluster, to: &endpoint)
        return endpoint
    }

    // MARK: Cluster

    private func clusterEndpoint(_ entry: KubeconfigEntry<KubeconfigCluster>, userHasCertificate: Bool) throws -> KubeEndpoint {
        let cluster = entry.value
        let at = entry.position
        let path = "clusters[\"\(entry.name)\"].cluster"
        if cluster.certificateAuthority != nil, cluster.certificateAuthorityData != nil {
            throw KubeconfigError.bothSet(at, entry: path, field: "certificate-authority-data", other: "certificate-authority")
        }
        let hasCA = cluster.certificateAuthority != nil || cluster.certificateAuthorityData != nil
        if cluster.insecureSkipTLSVerify, hasCA { throw KubeconfigError.insecureWithCA(at, cluster: entry.name) }
        guard let server = cluster.server else { throw KubeconfigError.serverMissing(at, cluster: entry.name) }
        let url = try Self.serverURL(server, defaultTLS: hasCA || userHasCertificate || cluster.insecureSkipTLSVerify,
                                     at: at, cluster: entry.name)
        if let proxy = cluster.proxyURL, !Self.isProxyURL(proxy) {
            throw KubeconfigError.proxyNotURL(at, cluster: entry.name, proxy: proxy)
        }

        var tls = TLSOptions(verifyPeer: !cluster.insecureSkipTLSVerify, serverName: cluster.tlsServerName)
        if let data = cluster.certificateAuthorityData {
            tls.certificateAuthority = .pem(data)
        } else if let file = cluster.certificateAuthority {
            try requireReadable(file, at: at, entry: path, field: "certificate-authority")
            tls.certificateAuthority = .file(file)
        }
        return KubeEndpoint(server: url, clusterName: entry.name, tls: tls, tlsServerName: cluster.tlsServerName,
                            proxyURL: cluster.proxyURL, disableCompression: cluster.disableCompression, source: entry.file)
    }

    /// client-go's `DefaultServerURL`: a server without a scheme gets https when TLS is configured, else http.
    static func serverURL(_ server: String, defaultTLS: Bool, at: KubeconfigPosition, cluster: String) throws -> URL {
        let text = server.contains("://") ? server : (defaultTLS ? "https://" : "http://") + server
        guard let components = URLComponents(string: text), let url = components.url else {
            throw KubeconfigError.serverNotURL(at, cluster: cluster, server: redactingUserInfo(server), why: "it cannot be parsed")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw KubeconfigError.serverNotURL(at, cluster: cluster, server: redactingUserInfo(server), why: "the scheme must be https or http")
        }
        guard let host = components.host, !host.isEmpty else {
            throw KubeconfigError.serverNotURL(at, cluster: cluster, server: redactingUserInfo(server), why: "it has no host")
        }
        return url
    }

    static func isProxyURL(_ proxy: String) -> Bool {
        guard let components = URLComponents(string: proxy), let scheme = components.scheme?.lowercased(),
              ["http", "https", "socks5", "socks5h"].contains(scheme), let host = components.host, !host.isEmpty else { return false }
        return true
    }

    // MARK: User

    private func applyUser(_ entry: KubeconfigEntry<KubeconfigUser>, cluster: KubeconfigEntry<KubeconfigCluster>,
                           to endpoint: inout KubeEndpoint) throws {
        let user = entry.value
        let at = entry.position
        let path = "users[\"\(entry.name)\"].user"
        if user.hasAuthProvider {
            throw KubeconfigError.unsupported(at, user: entry.name, field: "auth-provider",
                                              why: "auth providers were removed from kubectl; use an exec plugin such as kubectl oidc-login")
        }
        if let field = user.impersonationField {
            throw KubeconfigError.unsupported(at, user: entry.name, field: field,
                                              why: "drbook acts only as the identity it authenticates as")
        }

        // Client certificate and key.
        let hasCertificate = user.clientCertificate != nil || user.clientCertificateData != nil
        if hasCertificate {
            if user.clientCertificate != nil, user.clientCertificateData != nil {
                throw KubeconfigError.bothSet(at, entry: path, field: "client-certificate-data", other: "client-certificate")
            }
            if user.clientKey != nil, user.clientKeyData != nil {
                throw KubeconfigError.bothSet(at, entry: path, field: "client-key-data", other: "client-key")
            }
            if user.clientKey == nil, user.clientKeyData == nil { throw KubeconfigError.keyMissing(at, user: entry.name) }
            if let data = user.clientCertificateData {
                endpoint.tls.clientCertificate = .pem(data)
            } else if let file = user.clientCertificate {
                try requireReadable(file, at: at, entry: path, field: "client-certificate")
                endpoint.tls.clientCertificate = .file(file)
            }
            if let data = user.clientKeyData {
                endpoint.tls.clientKey = .pem(data)
            } else if let file = user.clientKey {
                try requireReadable(file, at: at, entry: path, field: "client-key")
                endpoint.tls.clientKey = .file(file)
            }
        }

        let hasBasic = user.username != nil || user.password != nil
        if user.token != nil, hasBasic {
            throw KubeconfigError.severalMethods(at, user: entry.name, methods: ["token", "basicAuth"])
        }
        let plugin = try user.exec.map { try execPlugin($0, user: entry, cluster: cluster) }

        // client-go: a token (or token file), basic auth or a client certificate is used as
        // given and the exec plugin is then not run; a token beats a token file.
        if let token = user.token {
            endpoint.credential = .token(token)
        } else if let file = user.tokenFile {
            try requireReadable(file, at: at, entry: path, field: "tokenFile")
            endpoint.credential = .tokenFile(path: file)
        } else if hasBasic {
            endpoint.credential = .basic(username: user.username ?? "", password: user.password ?? "")
        } else if hasCertificate {
            endpoint.credential = .clientCertificate
        } else if let plugin {
            endpoint.credential = .exec(plugin)
        } else {
            endpoint.credential = .none
        }
    }

    private func execPlugin(_ exec: ExecConfig, user: KubeconfigEntry<KubeconfigUser>,
                            cluster: KubeconfigEntry<KubeconfigCluster>) throws -> ExecPluginConfiguration {
        let at = user.position
        let supported = ExecAPIVersion.allCases.map(\.rawValue).joined(separator: " or ")
        guard let command = exec.command else {
            throw KubeconfigError.execField(at, user: user.name, field: "command", "has no command",
                                            fix: "Set exec.command to the plugin to run, e.g. kubectl (with args: [oidc-login, get-token, ...])")
        }
        guard let version = exec.apiVersion else {
            throw KubeconfigError.execField(at, user: user.name, field: "apiVersion", "has no apiVersion",
                                            fix: "Set exec.apiVersion to \(supported)")
        }
        guard let apiVersion = ExecAPIVersion(rawValue: version) else {
            throw KubeconfigError.execField(at, user: user.name, field: "apiVersion", "apiVersion \"\(version)\" is not supported",
                                            fix: "Use \(supported) (client.authentication.k8s.io/v1alpha1 was removed from kubectl)")
        }
        let modes = ExecInteractiveMode.allCases.map(\.rawValue).joined(separator: ", ")
        let mode: ExecInteractiveMode
        switch exec.interactiveMode {
        case nil where apiVersion == .v1beta1:
            mode = .ifAvailable
        case nil:
            throw KubeconfigError.execField(at, user: user.name, field: "interactiveMode",
                                            "interactiveMode must be specified with apiVersion \(apiVersion.rawValue)",
                                            fix: "Set exec.interactiveMode to one of \(modes) (IfAvailable is what v1beta1 assumed)")
        case let value?:
            guard let parsed = ExecInteractiveMode(rawValue: value) else {
                throw KubeconfigError.execField(at, user: user.name, field: "interactiveMode", "interactiveMode \"\(value)\" is not valid",
                                                fix: "Use one of \(modes)")
            }
            mode = parsed
        }
        if exec.env.contains(where: { $0.name.isEmpty }) {
            throw KubeconfigError.execField(at, user: user.name, field: "env", "has an env entry without a name",
                                            fix: "Give every exec.env entry a name and a value")
        }
        var info: ExecClusterInfo?
        if exec.provideClusterInfo, let server = cluster.value.server {
            var caData = cluster.value.certificateAuthorityData
            if caData == nil, let file = cluster.value.certificateAuthority {
                caData = FileManager.default.contents(atPath: file)
            }
            info = ExecClusterInfo(server: server, tlsServerName: cluster.value.tlsServerName,
                                   insecureSkipTLSVerify: cluster.value.insecureSkipTLSVerify, certificateAuthorityData: caData,
                                   proxyURL: cluster.value.proxyURL, disableCompression: cluster.value.disableCompression,
                                   configJSON: cluster.value.execExtensionJSON)
        }
        return ExecPluginConfiguration(apiVersion: apiVersion, command: command, args: exec.args, env: exec.env,
                                       installHint: exec.installHint, interactiveMode: mode, cluster: info,
                                       userName: user.name, file: user.file, line: user.line, column: user.column)
    }

    // MARK: Helpers

    private func requireReadable(_ file: String, at: KubeconfigPosition, entry: String, field: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isReadableFile(atPath: file) else {
            throw KubeconfigError.fileMissing(at, entry: entry, field: field, path: file)
        }
    }

    /// RFC 1123 label: what a namespace name must be.
    static func isDNSLabel(_ name: String) -> Bool {
        guard (1...63).contains(name.count), let first = name.first, let last = name.last else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        return name.allSatisfy(allowed.contains) && first != "-" && last != "-"
    }
}
