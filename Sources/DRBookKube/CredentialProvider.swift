import DRBookHTTP
import Foundation

/// What one request carries to prove who it is: the authentication libcurl sends and the
/// TLS options (client certificates from an exec plugin arrive here as PEM bytes).
public struct KubeRequestCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var authentication: HTTPAuthentication?
    public var tls: TLSOptions
    public var proxy: String?
    /// Which credential this was, for `KubeCredentialProvider.unauthorized(_:)`.
    let generation: Int
    let obtainedAt: Date

    /// Sets TLS, proxy and authentication on a request. A request that already has an
    /// `Authorization` header keeps it, like client-go.
    public func apply(to request: inout HTTPRequest) {
        request.tls = tls
        if let proxy { request.proxy = proxy }
        if !request.headers.contains("Authorization") { request.authentication = authentication }
    }

    public var description: String {
        let auth: String
        switch authentication {
        case .bearer?: auth = "bearer token (hidden)"
        case .basic(let username, _)?: auth = "basic auth as \"\(username)\" (password hidden)"
        case .awsSigV4?: auth = "SigV4 (hidden)"
        case nil: auth = "none"
        }
        return "KubeRequestCredentials(\(auth); tls: \(describe(tls)))"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

/// Yields, per request, the credentials of a `KubeEndpoint`: static tokens and basic auth
/// as given, token files re-read about once a minute, exec plugins run and cached until
/// their credential expires. After a 401, `unauthorized(_:)` drops the credential the
/// request used so the next request gets a fresh one (the exec plugin runs again once
/// per credential it produced, like client-go).
public actor KubeCredentialProvider {
    public let endpoint: KubeEndpoint
    private let clock: KubeClock
    private let plugin: ExecCredentialPlugin?
    private let tokenFile: FileTokenSource?

    public init(endpoint: KubeEndpoint, clock: KubeClock = .system, execOptions: ExecPluginRunOptions = ExecPluginRunOptions()) {
        self.endpoint = endpoint
        self.clock = clock
        switch endpoint.credential {
        case .exec(let configuration):
            plugin = ExecCredentialPlugin(configuration, options: execOptions, clock: clock)
            tokenFile = nil
        case .tokenFile(let path):
            plugin = nil
            tokenFile = FileTokenSource(path: path, clock: clock)
        case .serviceAccount(let path):
            plugin = nil
            tokenFile = FileTokenSource(path: path, clock: clock, unreadable: KubeconfigError.serviceAccountToken)
        default:
            plugin = nil
            tokenFile = nil
        }
    }

    /// The exec plugin behind this endpoint, if any (for inspection in tests and diagnostics).
    public var execPlugin: ExecCredentialPlugin? { plugin }

    /// Whether a 401 may be cured by fetching the credential again.
    public var canRefresh: Bool { plugin != nil || tokenFile != nil }

    public func credentials() async throws -> KubeRequestCredentials {
        let started = clock.now()
        var tls = endpoint.tls
        let authentication: HTTPAuthentication?
        var generation = 0
        switch endpoint.credential {
        case .none, .clientCertificate:
            authentication = nil
        case .token(let token):
            authentication = .bearer(token: token)
        case .basic(let username, let password):
            authentication = .basic(username: username, password: password)
        case .tokenFile, .serviceAccount:
            authentication = .bearer(token: try await tokenFile!.token().token)
        case .exec:
            let (credential, fresh) = try await plugin!.credential()
            generation = fresh
            if let token = credential.token {
                authentication = .bearer(token: token)
            } else {
                authentication = nil
                tls.clientCertificate = credential.clientCertificateData.map(PEMSource.pem)
                tls.clientKey = credential.clientKeyData.map(PEMSource.pem)
            }
        }
        return KubeRequestCredentials(authentication: authentication, tls: tls,
                                      proxy: endpoint.proxyURL, generation: generation, obtainedAt: started)
    }

    /// A request made with `used` was answered 401: forget that credential.
    public func unauthorized(_ used: KubeRequestCredentials) async {
        if let plugin { await plugin.invalidate(generation: used.generation) }
        if let tokenFile { await tokenFile.invalidate(readBefore: used.obtainedAt) }
    }

    /// Runs `attempt` with the current credentials. On a 401 the credential is dropped and,
    /// when it can be refreshed (exec plugin, token file), the attempt is made once more
    /// with a fresh one. client-go returns the first 401 to its caller instead; a 401 is
    /// refused before the request has any effect, so repeating it once is safe.
    public func perform<Result: Sendable>(
        _ attempt: @Sendable (KubeRequestCredentials) async throws -> Result,
        isUnauthorized: @Sendable (Result) -> Bool
    ) async throws -> Result {
        let first = try await credentials()
        let result = try await attempt(first)
        guard isUnauthorized(result) else { return result }
        await unauthorized(first)
        guard canRefresh else { return result }
        let second = try await credentials()
        let retried = try await attempt(second)
        if isUnauthorized(retried) { await unauthorized(second) }
        return retried
    }

    /// Sends a request with these credentials through `client`, handling a 401 as `perform` does.
    public func send(_ request: HTTPRequest, with client: HTTPClient) async throws -> HTTPResponse {
        try await perform({ credentials in
            var authorized = request
            credentials.apply(to: &authorized)
            return try await client.send(authorized)
        }, isUnauthorized: { $0.status == 401 })
    }
}
