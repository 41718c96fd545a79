import DRBookHTTP
import Foundation

/// Everything needed to talk to one API server as one identity: the result of resolving
/// a kubeconfig context or the in-cluster service account.
///
/// Its `description` (and `debugDescription`, and its mirror for `dump`) never shows a
/// secret: tokens, passwords and key bytes are replaced by what kind of thing they are.
public struct KubeEndpoint: Sendable, Equatable {
    public var server: URL
    /// The context used; nil in-cluster.
    public var contextName: String?
    public var clusterName: String?
    public var userName: String?
    /// The namespace commands act on when none is given.
    public var namespace: String
    /// CA, client certificate and key (from files or PEM bytes), and peer verification.
    public var tls: TLSOptions
    /// The name to verify the server's certificate against instead of the URL's host.
    public var tlsServerName: String?
    public var proxyURL: String?
    /// Read for fidelity and passed to exec plugins; drbook never asks for compressed
    /// responses (it sends no Accept-Encoding), so responses are uncompressed either way.
    public var disableCompression: Bool
    public var credential: KubeCredentialSource
    /// The kubeconfig file that defined the context, or the service-account directory.
    public var source: String

    public init(server: URL, contextName: String? = nil, clusterName: String? = nil, userName: String? = nil,
                namespace: String = "default", tls: TLSOptions = TLSOptions(), tlsServerName: String? = nil,
                proxyURL: String? = nil, disableCompression: Bool = false, credential: KubeCredentialSource = .none,
                source: String) {
        self.server = server
        self.contextName = contextName
        self.clusterName = clusterName
        self.userName = userName
        self.namespace = namespace
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.proxyURL = proxyURL
        self.disableCompression = disableCompression
        self.credential = credential
        self.source = source
    }
}

/// How requests prove who they are. Client certificates travel in `KubeEndpoint.tls`;
/// `.clientCertificate` says they are the only credential.
public enum KubeCredentialSource: Sendable, Equatable {
    case none
    case token(String)
    /// Read when used and re-read about once a minute, like client-go.
    case tokenFile(path: String)
    case basic(username: String, password: String)
    case clientCertificate
    case exec(ExecPluginConfiguration)
    /// The in-cluster service-account token file, re-read about once a minute.
    case serviceAccount(tokenFile: String)
}

extension KubeEndpoint: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        var parts: [String] = []
        if let contextName { parts.append("context \"\(contextName)\" from \(source)") } else { parts.append("in-cluster (\(source))") }
        parts.append("server \(RedactedURL.string(server))")
        if let userName { parts.append("user \"\(userName)\"") }
        parts.append("credential: \(credential)")
        parts.append("namespace \(namespace)")
        parts.append("tls: \(describe(tls))")
        if let tlsServerName { parts.append("tls-server-name \(tlsServerName)") }
        if let proxyURL { parts.append("proxy \(redactingUserInfo(proxyURL))") }
        return "KubeEndpoint(" + parts.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

extension KubeCredentialSource: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .none: return "none"
        case .token: return "bearer token (hidden)"
        case .tokenFile(let path): return "bearer token from file \(path)"
        case .basic(let username, _): return "basic auth as \"\(username)\" (password hidden)"
        case .clientCertificate: return "client certificate"
        case .exec(let plugin): return "exec plugin \(plugin.command) (\(plugin.apiVersion.rawValue))"
        case .serviceAccount(let path): return "service-account token from \(path)"
        }
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

/// TLS settings for a person to read: sources, never key bytes.
func describe(_ tls: TLSOptions) -> String {
    func source(_ pem: PEMSource?) -> String? {
        switch pem {
        case .file(let path)?: return "file \(path)"
        case .pem(let data)?: return "PEM data (\(data.count) bytes)"
        case nil: return nil
        }
    }
    var parts: [String] = [tls.verifyPeer ? "verify" : "insecure-skip-tls-verify"]
    if let ca = source(tls.certificateAuthority) { parts.append("CA \(ca)") }
    if let cert = source(tls.clientCertificate) { parts.append("client certificate \(cert)") }
    if tls.clientKey != nil { parts.append("client key (hidden)") }
    return parts.joined(separator: "; ")
}

/// A URL-ish string with any `user:password@` removed.
func redactingUserInfo(_ text: String) -> String {
    guard let scheme = text.range(of: "://") else {
        guard let at = text.lastIndex(of: "@") else { return text }
        return RedactedURL.mask + String(text[at...])
    }
    let rest = text[scheme.upperBound...]
    let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    guard let at = authority.lastIndex(of: "@") else { return text }
    return String(text[..<scheme.upperBound]) + RedactedURL.mask + String(text[at...])
}
