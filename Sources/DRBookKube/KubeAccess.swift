import Foundation

/// kubectl's choice of configuration: `--kubeconfig`, else the `KUBECONFIG` files, else
/// `~/.kube/config`; and when none of those exists and drbook runs in a pod, the pod's
/// service account.
public struct KubeAccess: Sendable {
    public var kubeconfig: String?
    public var context: String?
    public var loader: KubeconfigLoader
    public var inCluster: InClusterConfig

    public init(kubeconfig: String? = nil, context: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                home: String? = nil, serviceAccountDirectory: String = InClusterConfig.defaultDirectory) {
        self.kubeconfig = kubeconfig
        self.context = context
        loader = KubeconfigLoader(environment: environment, home: home)
        inCluster = InClusterConfig(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
    }

    public func endpoint() throws -> KubeEndpoint {
        let merged: MergedKubeconfig
        do {
            merged = try loader.load(explicitPath: kubeconfig)
        } catch let error as KubeconfigError where error.kind == .noConfiguration && context == nil && inCluster.isAvailable {
            return try inCluster.endpoint()
        }
        return try ContextResolver(merged).resolve(context: context)
    }
}
