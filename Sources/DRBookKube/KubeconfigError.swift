import DRBookText
import Foundation

/// Something wrong with kube access: a kubeconfig that cannot be read or used, an
/// exec plugin that failed, or in-cluster configuration that is missing.
///
/// Every error says where (the kubeconfig file, with line and column when known, and
/// the field at fault), what went wrong, and what to do. No error ever carries a
/// secret: tokens, passwords, key material and plugin output are never quoted.
/// All user-facing wording lives in this file.
public struct KubeconfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case fileNotFound, noConfiguration, unreadable, syntax, wrongType, missingField,
             invalidValue, duplicateName, undefinedReference, noContext, unsupported,
             execPlugin, notInCluster
    }

    public var kind: Kind
    /// The kubeconfig file (or service-account directory) at fault.
    public var file: String?
    public var line: Int?
    public var column: Int?
    /// The field at fault, as a path: `users["oidc"].exec.command`.
    public var field: String?
    public var problem: String
    public var fix: String?

    public init(_ kind: Kind, file: String?, line: Int? = nil, column: Int? = nil, field: String? = nil,
                problem: String, fix: String? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.problem = problem
        self.fix = fix
    }

    /// `file:line:column`, as much as is known.
    public var location: String {
        var text = file ?? ""
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        return text
    }

    public var description: String {
        (file == nil ? problem : "\(location): \(problem)") + (fix.map { ". \($0)" } ?? "")
    }
}

/// Where a field sits in a kubeconfig file: used to build errors.
struct KubeconfigPosition: Sendable, Equatable {
    var file: String
    var line: Int?
    var column: Int?

    func error(_ kind: KubeconfigError.Kind, field: String?, _ problem: String, fix: String? = nil) -> KubeconfigError {
        KubeconfigError(kind, file: file, line: line, column: column, field: field, problem: problem, fix: fix)
    }
}

// MARK: - Loading

extension KubeconfigError {
    static func explicitFileMissing(_ path: String) -> KubeconfigError {
        KubeconfigError(.fileNotFound, file: path, field: "--kubeconfig",
                        problem: "the file given with --kubeconfig does not exist",
                        fix: "Check the path, or leave out --kubeconfig to use KUBECONFIG or ~/.kube/config")
    }

    static func noKubeconfigFiles(_ paths: [String], fromEnvironment: Bool) -> KubeconfigError {
        if fromEnvironment {
            return KubeconfigError(.noConfiguration, file: nil, field: "KUBECONFIG",
                                   problem: "none of the files listed in KUBECONFIG exists (\(paths.joined(separator: ", ")))",
                                   fix: "Point KUBECONFIG at an existing kubeconfig file, or pass --kubeconfig")
        }
        return KubeconfigError(.noConfiguration, file: paths.first, field: nil,
                               problem: "no kubeconfig found: the default file does not exist and KUBECONFIG is not set",
                               fix: "Create it (e.g. with your cluster's `kubeconfig` export), set KUBECONFIG, or pass --kubeconfig")
    }

    static func unreadable(_ path: String, reason: String) -> KubeconfigError {
        KubeconfigError(.unreadable, file: path, problem: "cannot read the kubeconfig file: \(reason)",
                        fix: "Check that it is a regular file you may read")
    }

    /// The YAML parser's own messages quote the offending line, which may hold a token;
    /// only its problem and position are kept.
    static func syntax(_ path: String, line: Int?, column: Int?, problem: String) -> KubeconfigError {
        KubeconfigError(.syntax, file: path, line: line, column: column,
                        problem: "the kubeconfig is not valid YAML: \(problem)",
                        fix: "Fix the YAML at that position (indentation, quoting, a missing ':')")
    }

    static func wrongType(_ at: KubeconfigPosition, field: String, found: String, expected: String) -> KubeconfigError {
        at.error(.wrongType, field: field, "\(field) is \(found); expected \(expected)",
                 fix: "See `kubectl config view` for the expected shape")
    }

    static func entryWithoutName(_ at: KubeconfigPosition, list: String) -> KubeconfigError {
        at.error(.missingField, field: "\(list)[].name", "an entry of \(list) has no name",
                 fix: "Give every entry of \(list) a `name:` that contexts can refer to")
    }

    static func duplicateName(_ at: KubeconfigPosition, list: String, name: String) -> KubeconfigError {
        at.error(.duplicateName, field: "\(list)[\"\(name)\"]", "\(list) has two entries named \"\(name)\"",
                 fix: "Rename or remove one of them")
    }

    static func notBase64(_ at: KubeconfigPosition, field: String) -> KubeconfigError {
        at.error(.invalidValue, field: field, "\(field) is not valid base64",
                 fix: "Put the base64 encoding of the PEM file there (`base64 -w0 file.pem`), or use the field without -data and a file path")
    }
}

// MARK: - Resolving a context

extension KubeconfigError {
    static func noCurrentContext(files: [String], contexts: [String]) -> KubeconfigError {
        KubeconfigError(.noContext, file: files.first, field: "current-context",
                        problem: "current-context is not set in \(describeFiles(files)) and no --context was given (contexts: \(list(contexts)))",
                        fix: "Pass --context NAME or run `kubectl config use-context NAME`")
    }

    static func unknownContext(_ name: String, files: [String], contexts: [String], fromFlag: Bool) -> KubeconfigError {
        KubeconfigError(.undefinedReference, file: files.first, field: fromFlag ? "--context" : "current-context",
                        problem: "\(fromFlag ? "--context" : "current-context") names context \"\(name)\", which is not defined in \(describeFiles(files)) (contexts: \(list(contexts)))",
                        fix: "Use one of the defined contexts")
    }

    static func contextMissingReference(_ at: KubeconfigPosition, context: String, kind: String) -> KubeconfigError {
        at.error(.missingField, field: "contexts[\"\(context)\"].context.\(kind)",
                 "context \"\(context)\" does not name a \(kind)",
                 fix: "Add `\(kind): NAME` to the context")
    }

    static func undefinedReference(_ at: KubeconfigPosition, context: String, kind: String, name: String, defined: [String]) -> KubeconfigError {
        let plural = kind == "cluster" ? "clusters" : "users"
        return at.error(.undefinedReference, field: "contexts[\"\(context)\"].context.\(kind)",
                        "context \"\(context)\" refers to \(kind) \"\(name)\", which is not defined in any kubeconfig file (\(plural): \(list(defined)))",
                        fix: "Define a \(kind) named \"\(name)\" or point the context at one of those")
    }

    static func invalidNamespace(_ at: KubeconfigPosition, context: String, namespace: String) -> KubeconfigError {
        at.error(.invalidValue, field: "contexts[\"\(context)\"].context.namespace",
                 "namespace \"\(namespace)\" of context \"\(context)\" is not a valid namespace name",
                 fix: "Use lower-case letters, digits and '-', at most 63 characters")
    }

    static func serverMissing(_ at: KubeconfigPosition, cluster: String) -> KubeconfigError {
        at.error(.missingField, field: "clusters[\"\(cluster)\"].cluster.server", "cluster \"\(cluster)\" has no server",
                 fix: "Set `server: https://HOST:6443` for that cluster")
    }

    static func serverNotURL(_ at: KubeconfigPosition, cluster: String, server: String, why: String) -> KubeconfigError {
        at.error(.invalidValue, field: "clusters[\"\(cluster)\"].cluster.server",
                 "server \"\(server)\" of cluster \"\(cluster)\" is not a usable URL: \(why)",
                 fix: "Use the form https://HOST:PORT")
    }

    static func proxyNotURL(_ at: KubeconfigPosition, cluster: String, proxy: String) -> KubeconfigError {
        at.error(.invalidValue, field: "clusters[\"\(cluster)\"].cluster.proxy-url",
                 "proxy-url \"\(redactingUserInfo(proxy))\" of cluster \"\(cluster)\" is not a URL with scheme http, https, socks5 or socks5h and a host",
                 fix: "Use the form http://HOST:PORT")
    }

    static func bothSet(_ at: KubeconfigPosition, entry: String, field: String, other: String) -> KubeconfigError {
        at.error(.invalidValue, field: "\(entry).\(field)",
                 "\(field) and \(other) are both set for \(entry); kubectl rejects this",
                 fix: "Keep one of them")
    }

    static func insecureWithCA(_ at: KubeconfigPosition, cluster: String) -> KubeconfigError {
        at.error(.invalidValue, field: "clusters[\"\(cluster)\"].cluster.insecure-skip-tls-verify",
                 "cluster \"\(cluster)\" sets insecure-skip-tls-verify together with a certificate authority; kubectl rejects this",
                 fix: "Remove insecure-skip-tls-verify (preferred) or the certificate-authority")
    }

    static func fileMissing(_ at: KubeconfigPosition, entry: String, field: String, path: String) -> KubeconfigError {
        at.error(.invalidValue, field: "\(entry).\(field)", "\(field) of \(entry) names \(path), which cannot be read",
                 fix: "Check the path; a relative path is resolved against the directory of the kubeconfig file that defines it")
    }

    static func keyMissing(_ at: KubeconfigPosition, user: String) -> KubeconfigError {
        at.error(.missingField, field: "users[\"\(user)\"].user.client-key",
                 "user \"\(user)\" has a client certificate but neither client-key nor client-key-data",
                 fix: "Add the client key that belongs to the certificate")
    }

    static func severalMethods(_ at: KubeconfigPosition, user: String, methods: [String]) -> KubeconfigError {
        at.error(.invalidValue, field: "users[\"\(user)\"].user",
                 "user \"\(user)\" has more than one authentication method (\(methods.joined(separator: ", "))); only one is allowed",
                 fix: "Keep either the token or username/password")
    }

    static func unsupported(_ at: KubeconfigPosition, user: String, field: String, why: String) -> KubeconfigError {
        at.error(.unsupported, field: "users[\"\(user)\"].user.\(field)", "user \"\(user)\" uses \(field), which drbook does not support: \(why)",
                 fix: "Use a token, a client certificate or an exec plugin for this user")
    }

    static func execField(_ at: KubeconfigPosition, user: String, field: String, _ problem: String, fix: String) -> KubeconfigError {
        at.error(.invalidValue, field: "users[\"\(user)\"].user.exec.\(field)", "user \"\(user)\": exec \(problem)", fix: fix)
    }

    static func userEmpty(_ at: KubeconfigPosition, context: String) -> KubeconfigError {
        at.error(.missingField, field: "contexts[\"\(context)\"].context.user", "context \"\(context)\" does not name a user",
                 fix: "Add `user: NAME` to the context")
    }
}

// MARK: - Exec plugins

extension KubeconfigError {
    static func pluginNotFound(_ at: KubeconfigPosition, user: String, command: String, installHint: String?) -> KubeconfigError {
        at.error(.execPlugin, field: "users[\"\(user)\"].user.exec.command",
                 "the exec plugin \"\(command)\" of user \"\(user)\" was not found" + (command.contains("/") ? "" : " on PATH"),
                 fix: installHint.map { "To install it: \($0.trimmingCharacters(in: .whitespacesAndNewlines))" }
                    ?? "Install the plugin or fix exec.command")
    }

    static func pluginFailed(_ at: KubeconfigPosition, user: String, command: String, status: Int32, stderr: String) -> KubeconfigError {
        let said = stderr.isEmpty ? "" : "; it said: \(stderr)"
        return at.error(.execPlugin, field: "users[\"\(user)\"].user.exec",
                        "the exec plugin \"\(command)\" of user \"\(user)\" exited with status \(status)\(said)",
                        fix: "Run the plugin by hand to see what it needs (a login, network access)")
    }

    static func pluginTimedOut(_ at: KubeconfigPosition, user: String, command: String, after: Duration) -> KubeconfigError {
        at.error(.execPlugin, field: "users[\"\(user)\"].user.exec",
                 "the exec plugin \"\(command)\" of user \"\(user)\" did not finish within \(DurationText.format(after)) and was stopped",
                 fix: "Run it by hand; if it waits for a login, log in first; if it needs longer, set \(ExecPluginRunOptions.timeoutVariable)=SECONDS")
    }

    static func pluginCannotStart(_ at: KubeconfigPosition, user: String, command: String, reason: String) -> KubeconfigError {
        at.error(.execPlugin, field: "users[\"\(user)\"].user.exec.command",
                 "the exec plugin \"\(command)\" of user \"\(user)\" could not be started: \(reason)",
                 fix: "Check that the file is an executable program")
    }

    static func pluginNeedsTerminal(_ at: KubeconfigPosition, user: String) -> KubeconfigError {
        at.error(.execPlugin, field: "users[\"\(user)\"].user.exec.interactiveMode",
                 "the exec plugin of user \"\(user)\" has interactiveMode Always but standard input is not a terminal",
                 fix: "Run drbook from a terminal, or log in beforehand so the plugin needs no input")
    }

    /// `problem` must never quote the plugin's standard output: it holds the credential.
    static func pluginBadOutput(_ at: KubeconfigPosition, user: String, command: String, _ problem: String) -> KubeconfigError {
        at.error(.execPlugin, field: "users[\"\(user)\"].user.exec",
                 "the exec plugin \"\(command)\" of user \"\(user)\" returned an unusable ExecCredential: \(problem)",
                 fix: "Check the plugin's version and exec.apiVersion; its output is not shown because it holds credentials")
    }
}

// MARK: - In-cluster

extension KubeconfigError {
    static let notInCluster = KubeconfigError(
        .notInCluster, file: nil, field: "KUBERNETES_SERVICE_HOST",
        problem: "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set",
        fix: "Run drbook inside the cluster (as a Job), or give it a kubeconfig")

    static func serviceAccountToken(_ path: String, reason: String) -> KubeconfigError {
        KubeconfigError(.unreadable, file: path, field: "token",
                        problem: "cannot read the service-account token: \(reason)",
                        fix: "Mount a service-account token into the pod (automountServiceAccountToken: true)")
    }

    static func tokenFileUnreadable(_ path: String, reason: String) -> KubeconfigError {
        KubeconfigError(.unreadable, file: path, field: "tokenFile",
                        problem: "cannot read the token file: \(reason)",
                        fix: "Check that the token file exists and is readable")
    }
}

private func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
private func describeFiles(_ files: [String]) -> String {
    switch files.count {
    case 0: return "the kubeconfig"
    case 1: return files[0]
    default: return "any of \(files.joined(separator: ", "))"
    }
}
