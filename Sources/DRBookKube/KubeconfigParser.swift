import Foundation
import Yams

/// Reads the text of one kubeconfig file into a `Kubeconfig`, the way kubectl decodes it:
/// unknown fields are tolerated, wrongly typed fields are errors naming the field and
/// its line, and relative paths are resolved against the file's directory.
struct KubeconfigParser {
    /// The absolute path of the file being read.
    let file: String

    private var directory: String { (file as NSString).deletingLastPathComponent }

    func parse(_ text: String) throws -> Kubeconfig {
        var config = Kubeconfig(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file)
        } catch {
            throw KubeconfigError.syntax(file, line: nil, column: nil, problem: "\(type(of: error))")
        }
        guard let root, !isNull(root) else { return config }
        guard let top = root.mapping else {
            throw KubeconfigError.wrongType(position(root), field: "the document", found: shape(root),
                                            expected: "a mapping with clusters, users, contexts and current-context")
        }
        for (key, value) in top {
            switch key.scalar?.string {
            case "clusters":
                config.clusters = try entries(value, list: "clusters", stanza: "cluster", read: cluster)
            case "users":
                config.users = try entries(value, list: "users", stanza: "user", read: user)
            case "contexts":
                config.contexts = try entries(value, list: "contexts", stanza: "context", read: context)
            case "current-context":
                config.currentContext = try string(value, "current-context") ?? ""
            default:
                break  // apiVersion, kind, preferences, extensions and unknown fields
            }
        }
        return config
    }

    // MARK: Entries

    private func entries<Value>(_ node: Node, list: String, stanza: String,
                                read: (Node, String) throws -> Value) throws -> [KubeconfigEntry<Value>] {
        if isNull(node) { return [] }
        guard let sequence = node.sequence else {
            throw KubeconfigError.wrongType(position(node), field: list, found: shape(node),
                                            expected: "a list of entries with name and \(stanza)")
        }
        var result: [KubeconfigEntry<Value>] = []
        for (index, item) in sequence.enumerated() {
            guard let mapping = item.mapping else {
                throw KubeconfigError.wrongType(position(item), field: "\(list)[\(index)]", found: shape(item),
                                                expected: "a mapping with name and \(stanza)")
            }
            guard let name = try mapping["name"].flatMap({ try string($0, "\(list)[\(index)].name") }), !name.isEmpty else {
                throw KubeconfigError.entryWithoutName(position(item), list: list)
            }
            if result.contains(where: { $0.name == name }) {
                throw KubeconfigError.duplicateName(position(item), list: list, name: name)
            }
            let body = mapping[stanza] ?? Node("~")
            let value = try read(body, "\(list)[\"\(name)\"].\(stanza)")
            let at = position(item)
            result.append(KubeconfigEntry(name: name, value: value, file: file, line: at.line, column: at.column))
        }
        return result
    }

    private func cluster(_ node: Node, _ path: String) throws -> KubeconfigCluster {
        var cluster = KubeconfigCluster()
        for (key, value) in try fields(node, path) {
            let field = "\(path).\(key)"
            switch key {
            case "server": cluster.server = try string(value, field)
            case "certificate-authority": cluster.certificateAuthority = try filePath(value, field)
            case "certificate-authority-data": cluster.certificateAuthorityData = try base64(value, field)
            case "insecure-skip-tls-verify": cluster.insecureSkipTLSVerify = try bool(value, field)
            case "tls-server-name": cluster.tlsServerName = try string(value, field)
            case "proxy-url": cluster.proxyURL = try string(value, field)
            case "disable-compression": cluster.disableCompression = try bool(value, field)
            case "extensions": cluster.execExtensionJSON = try execExtension(value, field)
            default: break
            }
        }
        return cluster
    }

    private func user(_ node: Node, _ path: String) throws -> KubeconfigUser {
        var user = KubeconfigUser()
        for (key, value) in try fields(node, path) {
            let field = "\(path).\(key)"
            switch key {
            case "client-certificate": user.clientCertificate = try filePath(value, field)
            case "client-certificate-data": user.clientCertificateData = try base64(value, field)
            case "client-key": user.clientKey = try filePath(value, field)
            case "client-key-data": user.clientKeyData = try base64(value, field)
            case "token": user.token = try string(value, field)
            case "tokenFile": user.tokenFile = try filePath(value, field)
            case "username": user.username = try string(value, field)
            case "password": user.password = try string(value, field)
            case "exec": user.exec = isNull(value) ? nil : try exec(value, field)
            case "auth-provider": user.hasAuthProvider = !isNull(value)
            case "as", "as-uid", "as-groups", "as-user-extra":
                if !isNull(value), value.scalar?.string.isEmpty != true, user.impersonationField == nil {
                    user.impersonationField = key
                }
            default: break
            }
        }
        return user
    }

    private func context(_ node: Node, _ path: String) throws -> KubeconfigContext {
        var context = KubeconfigContext()
        for (key, value) in try fields(node, path) {
            let field = "\(path).\(key)"
            switch key {
            case "cluster": context.cluster = try string(value, field)
            case "user": context.user = try string(value, field)
            case "namespace": context.namespace = try string(value, field)
            default: break
            }
        }
        return context
    }

    private func exec(_ node: Node, _ path: String) throws -> ExecConfig {
        var exec = ExecConfig()
        for (key, value) in try fields(node, path) {
            let field = "\(path).\(key)"
            switch key {
            case "apiVersion": exec.apiVersion = try string(value, field)
            case "command":
                exec.command = try string(value, field).map { $0.contains("/") ? resolve($0) : $0 }
            case "args": exec.args = try list(value, field).enumerated().map { try string($1, "\(field)[\($0)]") ?? "" }
            case "env":
                exec.env = try list(value, field).enumerated().map { index, item in
                    let entry = try fields(item, "\(field)[\(index)]")
                    let name = try entry.first { $0.key == "name" }.flatMap { try string($0.value, "\(field)[\(index)].name") } ?? ""
                    let value = try entry.first { $0.key == "value" }.flatMap { try string($0.value, "\(field)[\(index)].value") } ?? ""
                    return ExecConfig.EnvVar(name: name, value: value)
                }
            case "installHint": exec.installHint = try string(value, field)
            case "provideClusterInfo": exec.provideClusterInfo = try bool(value, field)
            case "interactiveMode": exec.interactiveMode = try string(value, field)
            default: break
            }
        }
        return exec
    }

    /// The `client.authentication.k8s.io/exec` entry of a cluster's `extensions` list, as JSON.
    private func execExtension(_ node: Node, _ path: String) throws -> Data? {
        for (index, item) in try list(node, path).enumerated() {
            let entry = try fields(item, "\(path)[\(index)]")
            guard entry.first(where: { $0.key == "name" })?.value.scalar?.string == "client.authentication.k8s.io/exec",
                  let extensionNode = entry.first(where: { $0.key == "extension" })?.value else { continue }
            let json = jsonValue(extensionNode)
            guard JSONSerialization.isValidJSONObject(json) else { return nil }
            return try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        }
        return nil
    }

    // MARK: Typed field readers

    private func fields(_ node: Node, _ path: String) throws -> [(key: String, value: Node)] {
        if isNull(node) { return [] }
        guard let mapping = node.mapping else {
            throw KubeconfigError.wrongType(position(node), field: path, found: shape(node), expected: "a mapping")
        }
        return mapping.compactMap { key, value in key.scalar.map { ($0.string, value) } }
    }

    private func list(_ node: Node, _ path: String) throws -> [Node] {
        if isNull(node) { return [] }
        guard let sequence = node.sequence else {
            throw KubeconfigError.wrongType(position(node), field: path, found: shape(node), expected: "a list")
        }
        return Array(sequence)
    }

    /// Plain scalars are taken as written (a token of digits stays a string); null and
    /// empty mean "not set".
    private func string(_ node: Node, _ path: String) throws -> String? {
        if isNull(node) { return nil }
        guard let scalar = node.scalar else {
            throw KubeconfigError.wrongType(position(node), field: path, found: shape(node), expected: "a string")
        }
        return scalar.string.isEmpty ? nil : scalar.string
    }

    private func bool(_ node: Node, _ path: String) throws -> Bool {
        if isNull(node) { return false }
        guard let scalar = node.scalar, let value = Bool.construct(from: scalar) else {
            throw KubeconfigError.wrongType(position(node), field: path, found: shape(node), expected: "true or false")
        }
        return value
    }

    private func base64(_ node: Node, _ path: String) throws -> Data? {
        guard let text = try string(node, path) else { return nil }
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else {
            throw KubeconfigError.notBase64(position(node), field: path)
        }
        return data
    }

    private func filePath(_ node: Node, _ path: String) throws -> String? {
        try string(node, path).map(resolve)
    }

    private func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : ((directory as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }

    // MARK: Node helpers

    private func isNull(_ node: Node) -> Bool {
        node.null != nil
    }

    private func position(_ node: Node) -> KubeconfigPosition {
        KubeconfigPosition(file: file, line: node.mark?.line, column: node.mark?.column)
    }

    /// What a node is, without quoting its value (it may be a secret).
    private func shape(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if node.null != nil { return "empty" }
            if Bool.construct(from: scalar) != nil { return "a boolean" }
            if scalar.style == .plain, Double.construct(from: scalar) != nil { return "a number" }
            return "a string"
        }
    }

    private func jsonValue(_ node: Node) -> Any {
        switch node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping { object[key.scalar?.string ?? ""] = jsonValue(value) }
            return object
        case .sequence(let sequence):
            return sequence.map(jsonValue)
        case .alias:
            return NSNull()
        case .scalar(let scalar):
            if node.null != nil { return NSNull() }
            if let bool = Bool.construct(from: scalar) { return bool }
            if scalar.style == .plain, let int = Int.construct(from: scalar) { return int }
            if scalar.style == .plain, let double = Double.construct(from: scalar), double.isFinite { return double }
            return scalar.string
        }
    }

    private static func syntaxError(_ error: YamlError, file: String) -> KubeconfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text))" } ?? ""
            return .syntax(file, line: mark.line, column: mark.column, problem: problem + during)
        case .reader(let problem, _, _, _):
            return .syntax(file, line: nil, column: nil, problem: problem)
        default:
            return .syntax(file, line: nil, column: nil, problem: "the YAML parser failed")
        }
    }
}
