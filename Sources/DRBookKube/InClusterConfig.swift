import DRBookHTTP
import Foundation

/// The service account of the pod drbook runs in (client-go `rest.InClusterConfig`):
/// the API server from `KUBERNETES_SERVICE_HOST`/`_PORT`, the token and `ca.crt` from the
/// service-account directory, the namespace from `POD_NAMESPACE`, the `namespace` file,
/// or `default`.
public struct InClusterConfig: Sendable {
    public static let defaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    public var environment: [String: String]
    public var serviceAccountDirectory: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                serviceAccountDirectory: String = InClusterConfig.defaultDirectory) {
        self.environment = environment
        self.serviceAccountDirectory = serviceAccountDirectory
    }

    /// Whether the environment says we run in a pod.
    public var isAvailable: Bool {
        !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty && !(environment["KUBERNETES_SERVICE_PORT"] ?? "").isEmpty
    }

    public func endpoint() throws -> KubeEndpoint {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeconfigError.notInCluster
        }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostPart):\(port)") else { throw KubeconfigError.notInCluster }

        let tokenPath = directory("token")
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeconfigError.serviceAccountToken(tokenPath, reason: "the file does not exist or is not readable")
        }
        var tls = TLSOptions()
        // Like client-go, a CA that cannot be loaded is not fatal: the system roots are used.
        let caPath = directory("ca.crt")
        if FileManager.default.isReadableFile(atPath: caPath) { tls.certificateAuthority = .file(caPath) }

        return KubeEndpoint(server: server, namespace: namespace(), tls: tls,
                            credential: .serviceAccount(tokenFile: tokenPath), source: serviceAccountDirectory)
    }

    /// `$POD_NAMESPACE`, then the `namespace` file, then `default`.
    public func namespace() -> String {
        if let namespace = environment["POD_NAMESPACE"], !namespace.isEmpty { return namespace }
        if let text = try? String(contentsOfFile: directory("namespace"), encoding: .utf8) {
            let namespace = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !namespace.isEmpty { return namespace }
        }
        return "default"
    }

    private func directory(_ name: String) -> String { (serviceAccountDirectory as NSString).appendingPathComponent(name) }
}
