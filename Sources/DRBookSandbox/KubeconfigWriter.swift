import DRBookKube
import Foundation

/// Writes kubeconfig files for the sandbox: one per identity (`<context>.kubeconfig`,
/// that identity's context current) and `kubeconfig` with every context, the first
/// identity's current. JSON, which kubectl reads as YAML. Files are 0600: they hold
/// tokens and keys.
enum KubeconfigWriter {
    static let clusterName = "drbook-sandbox"

    static func write(directory: URL, server: URL, identities: [SandboxIdentity], certificates: SandboxCertificates?) throws -> [String: URL] {
        var cluster: JSONValue = ["server": .string(server.absoluteString)]
        if let certificates {
            cluster["certificate-authority-data"] = .string(try Data(contentsOf: certificates.caCertificate).base64EncodedString())
        }
        var users: [String: JSONValue] = [:]
        for identity in identities {
            var user: JSONValue = [:]
            if let certificates, identity.clientCertificate {
                user["client-certificate-data"] = .string(try Data(contentsOf: certificates.clientCertificate(identity)).base64EncodedString())
                user["client-key-data"] = .string(try Data(contentsOf: certificates.clientKey(identity)).base64EncodedString())
            } else if let token = identity.token {
                user["token"] = .string(token)
            }
            users[identity.contextName] = user
        }
        func document(_ selected: [SandboxIdentity]) -> JSONValue {
            [
                "apiVersion": "v1", "kind": "Config", "preferences": [:],
                "current-context": .string(selected.first?.contextName ?? ""),
                "clusters": [["name": .string(clusterName), "cluster": cluster]],
                "users": .array(selected.map { ["name": .string($0.contextName), "user": users[$0.contextName] ?? [:]] }),
                "contexts": .array(selected.map {
                    ["name": .string($0.contextName),
                     "context": ["cluster": .string(clusterName), "user": .string($0.contextName), "namespace": "default"]]
                }),
            ]
        }
        var files: [String: URL] = [:]
        for identity in identities {
            let file = directory.appendingPathComponent("\(identity.contextName).kubeconfig")
            try save(document([identity]), to: file)
            files[identity.contextName] = file
        }
        try save(document(identities), to: combined(in: directory))
        return files
    }

    static func combined(in directory: URL) -> URL { directory.appendingPathComponent("kubeconfig") }

    private static func save(_ document: JSONValue, to file: URL) throws {
        _ = FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        let encoder = KubeJSON.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        try encoder.encode(document).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }
}
