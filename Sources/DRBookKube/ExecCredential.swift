import Foundation

/// A validated exec plugin, ready to run: what `users[].user.exec` says, plus the
/// cluster information the plugin asked for.
public struct ExecPluginConfiguration: Sendable, Equatable {
    public var apiVersion: ExecAPIVersion
    /// An absolute path, or a name looked up on PATH.
    public var command: String
    public var args: [String]
    public var env: [ExecConfig.EnvVar]
    public var installHint: String?
    public var interactiveMode: ExecInteractiveMode
    /// Sent as `spec.cluster` only when the kubeconfig sets `provideClusterInfo: true`.
    public var cluster: ExecClusterInfo?
    /// The kubeconfig user this plugin belongs to, and where it was defined (for errors).
    public var userName: String
    public var file: String
    public var line: Int?
    public var column: Int?

    public init(apiVersion: ExecAPIVersion, command: String, args: [String] = [], env: [ExecConfig.EnvVar] = [],
                installHint: String? = nil, interactiveMode: ExecInteractiveMode = .ifAvailable,
                cluster: ExecClusterInfo? = nil, userName: String, file: String, line: Int? = nil, column: Int? = nil) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.installHint = installHint
        self.interactiveMode = interactiveMode
        self.cluster = cluster
        self.userName = userName
        self.file = file
        self.line = line
        self.column = column
    }

    var position: KubeconfigPosition { KubeconfigPosition(file: file, line: line, column: column) }
}

/// The cluster as an exec plugin sees it in `KUBERNETES_EXEC_INFO` (client-go `Cluster`).
public struct ExecClusterInfo: Sendable, Equatable {
    public var server: String
    public var tlsServerName: String?
    public var insecureSkipTLSVerify: Bool
    public var certificateAuthorityData: Data?
    public var proxyURL: String?
    public var disableCompression: Bool
    /// The cluster extension `client.authentication.k8s.io/exec`, as JSON.
    public var configJSON: Data?

    public init(server: String, tlsServerName: String? = nil, insecureSkipTLSVerify: Bool = false,
                certificateAuthorityData: Data? = nil, proxyURL: String? = nil, disableCompression: Bool = false,
                configJSON: Data? = nil) {
        self.server = server
        self.tlsServerName = tlsServerName
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.certificateAuthorityData = certificateAuthorityData
        self.proxyURL = proxyURL
        self.disableCompression = disableCompression
        self.configJSON = configJSON
    }
}

/// What an exec plugin returned: a bearer token, or a client certificate and key (PEM).
public struct ExecCredential: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var token: String?
    public var clientCertificateData: Data?
    public var clientKeyData: Data?
    /// Cached until then; nil means for the life of the process.
    public var expirationTimestamp: Date?

    public init(token: String? = nil, clientCertificateData: Data? = nil, clientKeyData: Data? = nil,
                expirationTimestamp: Date? = nil) {
        self.token = token
        self.clientCertificateData = clientCertificateData
        self.clientKeyData = clientKeyData
        self.expirationTimestamp = expirationTimestamp
    }

    public var description: String {
        let kind = token != nil ? "bearer token (hidden)" : "client certificate and key (hidden)"
        return "ExecCredential(\(kind), expires \(expirationTimestamp.map { "\($0)" } ?? "never"))"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}

/// The JSON an exec plugin reads and writes (`client.authentication.k8s.io` ExecCredential).
enum ExecCredentialJSON {
    /// `KUBERNETES_EXEC_INFO`: `{apiVersion, kind, spec: {interactive, cluster?}}`.
    static func execInfo(_ plugin: ExecPluginConfiguration, interactive: Bool) -> String {
        var spec: [String: Any] = ["interactive": interactive]
        if let cluster = plugin.cluster {
            var object: [String: Any] = ["server": cluster.server]
            if let name = cluster.tlsServerName { object["tls-server-name"] = name }
            if cluster.insecureSkipTLSVerify { object["insecure-skip-tls-verify"] = true }
            if let ca = cluster.certificateAuthorityData { object["certificate-authority-data"] = ca.base64EncodedString() }
            if let proxy = cluster.proxyURL { object["proxy-url"] = proxy }
            if cluster.disableCompression { object["disable-compression"] = true }
            if let json = cluster.configJSON, let config = try? JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed]) {
                object["config"] = config
            }
            spec["cluster"] = object
        }
        let info: [String: Any] = ["apiVersion": plugin.apiVersion.rawValue, "kind": "ExecCredential", "spec": spec]
        let data = (try? JSONSerialization.data(withJSONObject: info, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses a plugin's standard output. Thrown problems never quote that output.
    static func parse(_ output: Data, expecting apiVersion: ExecAPIVersion) throws(ProblemText) -> ExecCredential {
        guard let object = (try? JSONSerialization.jsonObject(with: output)) as? [String: Any] else {
            throw ProblemText("its output (\(output.count) bytes) is not a JSON object")
        }
        let returned = object["apiVersion"] as? String ?? ""
        guard returned == apiVersion.rawValue else {
            throw ProblemText("it is configured for apiVersion \(apiVersion.rawValue) but returned apiVersion \"\(returned)\"")
        }
        if let kind = object["kind"] as? String, kind != "ExecCredential" {
            throw ProblemText("it returned kind \"\(kind)\" instead of ExecCredential")
        }
        guard let status = object["status"] as? [String: Any] else {
            throw ProblemText("it returned no status field")
        }
        func text(_ key: String) throws(ProblemText) -> String? {
            guard let value = status[key], !(value is NSNull) else { return nil }
            guard let string = value as? String else { throw ProblemText("status.\(key) is not a string") }
            return string.isEmpty ? nil : string
        }
        var credential = ExecCredential()
        credential.token = try text("token")
        credential.clientCertificateData = try text("clientCertificateData").map { Data($0.utf8) }
        credential.clientKeyData = try text("clientKeyData").map { Data($0.utf8) }
        if let timestamp = try text("expirationTimestamp") {
            guard let date = parseRFC3339(timestamp) else {
                throw ProblemText("status.expirationTimestamp is not an RFC 3339 time")
            }
            credential.expirationTimestamp = date
        }
        if credential.token == nil {
            switch (credential.clientCertificateData, credential.clientKeyData) {
            case (nil, nil): throw ProblemText("its status has neither a token nor clientCertificateData and clientKeyData")
            case (nil, _): throw ProblemText("its status has clientKeyData but no clientCertificateData")
            case (_, nil): throw ProblemText("its status has clientCertificateData but no clientKeyData")
            default: break
            }
        }
        return credential
    }

    static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

/// A sentence about what is wrong, free of secrets; wrapped into a `KubeconfigError` by the caller.
struct ProblemText: Error {
    var text: String
    init(_ text: String) { self.text = text }
}
