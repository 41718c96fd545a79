import Foundation

/// Who a request comes from, as the API server's authenticators report it.
public struct UserInfo: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var groups: [String]

    public init(name: String, groups: [String]) {
        self.name = name
        self.groups = groups
    }

    /// Every authenticated user is also in this group, as in Kubernetes.
    public static let authenticatedGroup = "system:authenticated"

    public var description: String { name }
}

/// An identity the sandbox knows, with the credentials it accepts for it: a bearer
/// token, a client certificate (CN = user, O = groups) issued by the sandbox's CA, or both.
public struct SandboxIdentity: Sendable, Hashable {
    public var user: UserInfo
    /// Named in the kubeconfig written for this identity (context, user and file name).
    public var contextName: String
    /// Accepted as `Authorization: Bearer`. Never printed.
    public var token: String?
    /// Whether the sandbox issues a client certificate for this identity (HTTPS only).
    public var clientCertificate: Bool

    public init(user: UserInfo, contextName: String, token: String? = nil, clientCertificate: Bool = false) {
        self.user = user
        self.contextName = contextName
        self.token = token
        self.clientCertificate = clientCertificate
    }
}

// The token never prints: not through description, debugDescription (arrays and
// interpolation of containers use it), dump or Mirror.
extension SandboxIdentity: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "\(contextName) (user \(user.name), groups \(user.groups.joined(separator: ",")))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["user": user, "contextName": contextName, "token": token == nil ? "none" : "redacted",
                                "clientCertificate": clientCertificate])
    }
}

/// Turns a request's credentials into a user, like the API server's authenticator chain:
/// the request-header authenticator (the TLS terminator vouches for a verified client
/// certificate, proven by a shared secret only it knows), then bearer tokens.
struct Authenticator: Sendable {
    var tokens: [String: UserInfo]
    /// The secret the TLS terminator sends with every request; nil when there is none,
    /// and then no request can assert a certificate identity.
    var proxySecret: String?

    static let secretHeader = "X-Drbook-Proxy-Secret"
    static let verifyHeader = "X-Drbook-Client-Verify"
    static let subjectHeader = "X-Drbook-Client-Subject"

    func authenticate(header: (String) -> String?) -> UserInfo? {
        if let proxySecret, let sent = header(Self.secretHeader), Self.constantTimeEqual(sent, proxySecret),
           header(Self.verifyHeader) == "SUCCESS", let subject = header(Self.subjectHeader),
           let user = Self.user(fromSubject: subject) {
            return user
        }
        if let authorization = header("Authorization"), authorization.lowercased().hasPrefix("bearer ") {
            let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
            if let match = tokens.first(where: { Self.constantTimeEqual($0.key, token) }) { return withAuthenticated(match.value) }
        }
        return nil
    }

    private func withAuthenticated(_ user: UserInfo) -> UserInfo {
        var user = user
        if !user.groups.contains(UserInfo.authenticatedGroup) { user.groups.append(UserInfo.authenticatedGroup) }
        return user
    }

    /// The user of an RFC 2253 subject as nginx gives it (`CN=admin,O=system:masters`):
    /// CN is the user, every O a group. Backslash escapes are honoured.
    static func user(fromSubject subject: String) -> UserInfo? {
        var name: String?
        var groups: [String] = []
        for attribute in splitUnescaped(subject, on: ",") {
            let parts = splitUnescaped(attribute, on: "=", limit: 2)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces).uppercased()
            let value = unescape(parts[1].trimmingCharacters(in: .whitespaces))
            if key == "CN" { name = value }
            if key == "O" { groups.append(value) }
        }
        guard let name, !name.isEmpty else { return nil }
        return UserInfo(name: name, groups: groups.reversed() + [UserInfo.authenticatedGroup])
    }

    private static func splitUnescaped(_ text: String, on separator: Character, limit: Int = .max) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" { current.append(character); escaped = true; continue }
            if character == separator, parts.count < limit - 1 { parts.append(current); current = ""; continue }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    private static func unescape(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if !escaped, character == "\\" { escaped = true; continue }
            escaped = false
            result.append(character)
        }
        return result
    }

    /// Compares secrets without leaking their length of common prefix through timing.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }
}
