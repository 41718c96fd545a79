import DRBookKube
import DRBookRunbook
import Foundation
import Synchronization

/// The cluster a run talks to, as `--kubeconfig` / `--context` / `KUBECONFIG` or the pod's
/// service account name it. The client is made on first use and shared by every step,
/// so an exec plugin (an OIDC login) runs once per run, not once per step.
public final class KubeConnection: Sendable {
    public let access: KubeAccess
    private let client: Mutex<KubeClient?> = Mutex(nil)

    public init(access: KubeAccess) { self.access = access }

    public func kubeClient() throws(ActionError) -> KubeClient {
        try client.withLock { (cached: inout KubeClient?) throws(ActionError) -> KubeClient in
            if let cached { return cached }
            do {
                let made = try KubeClient(access: access)
                cached = made
                return made
            } catch let error as KubeconfigError {
                throw ActionError("cannot connect to the cluster: \(error)", subject: "kubeconfig",
                                  fix: "check --kubeconfig, --context or KUBECONFIG (`kubectl config get-contexts` lists the contexts)")
            } catch {
                throw ActionError("cannot connect to the cluster: \(error)", subject: "kubeconfig")
            }
        }
    }
}

extension ActionError {
    /// A failed API call as a step's error: what was asked, the server's answer and the fix.
    static func kube(_ error: any Error, doing what: String) -> ActionError {
        switch error {
        case let api as KubeAPIError:
            return ActionError("\(what): \(api.code) \(api.serverReason ?? api.reason.rawValue): \(api.message)", subject: api.target, fix: api.hint)
        case let denied as KubePermissionDenied:
            return ActionError(denied.description, fix: "use a context with these rights, or grant them")
        case let config as KubeconfigError:
            // It names its own place and fix; a second, generic one would bury it.
            let place = config.file == nil ? config.problem : "\(config.location): \(config.problem)"
            return ActionError("\(what): \(place)", fix: config.fix ?? "check the kubeconfig's context and its user's credentials")
        default:
            return ActionError("\(what): \(error)", fix: "check that the cluster is reachable with the kubeconfig's context")
        }
    }
}
