import Foundation

/// How a sandbox starts: where its files go, which port, TLS or not, who may use it,
/// what it serves and which simulated controllers run in it.
public struct SandboxConfiguration: Sendable {
    /// Kubeconfigs, certificates and the nginx configuration are written here.
    public var directory: URL
    /// The port clients connect to; 0 picks a free one.
    public var port: Int
    /// HTTPS through nginx with client certificates; plain HTTP (bearer tokens only) otherwise.
    public var tls: Bool
    public var identities: [SandboxIdentity]
    public var policy: AccessPolicy
    public var catalogue: ResourceCatalogue
    public var controllers: [any SandboxController]
    /// Namespaces that exist from the start.
    public var namespaces: [String]
    /// The longest a watch stays open (a real server picks 30 to 60 minutes).
    public var maximumWatch: Duration

    public init(directory: URL, port: Int = 0, tls: Bool = false, identities: [SandboxIdentity] = SandboxIdentity.standard(),
                policy: AccessPolicy = .standard, catalogue: ResourceCatalogue = .standard,
                controllers: [any SandboxController] = [], namespaces: [String] = ["default", "kube-system"],
                maximumWatch: Duration = .seconds(1800)) {
        self.directory = directory
        self.port = port
        self.tls = tls
        self.identities = identities
        self.policy = policy
        self.catalogue = catalogue
        self.controllers = controllers
        self.namespaces = namespaces
        self.maximumWatch = maximumWatch
    }
}

extension SandboxIdentity {
    /// The group whose members may do anything (Kubernetes' `system:masters`).
    public static let adminGroup = "system:masters"
    /// The group whose members may get, list and watch everything.
    public static let viewerGroup = "drbook-sandbox:viewers"

    /// An admin (client certificate over HTTPS, token over HTTP) and a read-only viewer
    /// (bearer token), each with a fresh random token.
    public static func standard() -> [SandboxIdentity] {
        [
            SandboxIdentity(user: UserInfo(name: "sandbox-admin", groups: [adminGroup]), contextName: "sandbox-admin",
                            token: randomToken(), clientCertificate: true),
            SandboxIdentity(user: UserInfo(name: "sandbox-viewer", groups: [viewerGroup]), contextName: "sandbox-viewer",
                            token: randomToken()),
        ]
    }

    /// 32 random bytes, hex.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

extension AccessPolicy {
    /// Admins may do anything, viewers may read anything, and every authenticated user may
    /// ask what it may do (`system:basic-user` in Kubernetes).
    public static let standard = AccessPolicy(bindings: [
        PolicyBinding(name: "cluster-admin", groups: [SandboxIdentity.adminGroup], rules: [PolicyRule(verbs: ["*"])]),
        PolicyBinding(name: "view", groups: [SandboxIdentity.viewerGroup], rules: [PolicyRule(verbs: ["get", "list", "watch"])]),
        PolicyBinding(name: "system:basic-user", groups: [UserInfo.authenticatedGroup], rules: [
            PolicyRule(verbs: ["create"], apiGroups: ["authorization.k8s.io"],
                       resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
        ]),
    ])
}
