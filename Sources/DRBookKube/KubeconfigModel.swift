import Foundation

/// One kubeconfig file as written, with relative paths already resolved against its
/// directory. Field names follow client-go's `api/v1/types.go`; fields drbook does not
/// use (preferences, extensions other than the exec one) are tolerated and dropped.
public struct Kubeconfig: Sendable, Equatable {
    /// The absolute path of the file.
    public var file: String
    public var clusters: [KubeconfigEntry<KubeconfigCluster>] = []
    public var users: [KubeconfigEntry<KubeconfigUser>] = []
    public var contexts: [KubeconfigEntry<KubeconfigContext>] = []
    /// Empty when not set.
    public var currentContext: String = ""

    public init(file: String) { self.file = file }
}

/// A named cluster, user or context, with where it was defined.
public struct KubeconfigEntry<Value: Sendable & Equatable>: Sendable, Equatable {
    public var name: String
    public var value: Value
    /// The file that defined this entry: the one whose directory its relative paths are resolved against.
    public var file: String
    public var line: Int?
    public var column: Int?

    var position: KubeconfigPosition { KubeconfigPosition(file: file, line: line, column: column) }
}

public struct KubeconfigCluster: Sendable, Equatable {
    public var server: String?
    public var certificateAuthority: String?
    public var certificateAuthorityData: Data?
    public var insecureSkipTLSVerify = false
    public var tlsServerName: String?
    public var proxyURL: String?
    public var disableCompression = false
    /// The cluster extension `client.authentication.k8s.io/exec`, as JSON, handed to exec
    /// plugins as `spec.cluster.config`.
    public var execExtensionJSON: Data?

    public init() {}
}

public struct KubeconfigUser: Sendable, Equatable {
    public var clientCertificate: String?
    public var clientCertificateData: Data?
    public var clientKey: String?
    public var clientKeyData: Data?
    public var token: String?
    public var tokenFile: String?
    public var username: String?
    public var password: String?
    public var exec: ExecConfig?
    /// Set when the user has an `auth-provider` stanza (unsupported).
    public var hasAuthProvider = false
    /// Set when the user impersonates (`as`, `as-uid`, `as-groups`, `as-user-extra`; unsupported).
    public var impersonationField: String?

    public init() {}
}

public struct KubeconfigContext: Sendable, Equatable {
    public var cluster: String?
    public var user: String?
    public var namespace: String?

    public init(cluster: String? = nil, user: String? = nil, namespace: String? = nil) {
        self.cluster = cluster
        self.user = user
        self.namespace = namespace
    }
}

/// The `exec` stanza of a user (client-go `ExecConfig`).
public struct ExecConfig: Sendable, Equatable {
    public var apiVersion: String?
    /// Resolved against the kubeconfig's directory when it contains a '/'; otherwise looked up on PATH.
    public var command: String?
    public var args: [String] = []
    public var env: [EnvVar] = []
    public var installHint: String?
    public var provideClusterInfo = false
    /// `Never`, `IfAvailable` or `Always`; nil when not set.
    public var interactiveMode: String?

    public struct EnvVar: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init() {}
}

/// The credential-exchange API versions exec plugins may speak.
public enum ExecAPIVersion: String, Sendable, CaseIterable {
    case v1 = "client.authentication.k8s.io/v1"
    case v1beta1 = "client.authentication.k8s.io/v1beta1"
}

public enum ExecInteractiveMode: String, Sendable, CaseIterable {
    case never = "Never"
    case ifAvailable = "IfAvailable"
    case always = "Always"
}
