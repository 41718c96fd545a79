import DRBookAlerting
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import Foundation

/// Where the data probes ask, and how much history they expect: the inputs', else the
/// platform profile's `dataProbes`, else the heartbeat route's Services (the same servers).
enum DataProbeInputs {
    static func endpointInputs(_ system: String, key: String) -> [InputSpec] {
        [
            InputSpec("url", .string, description: "\(system)'s base URL (a port-forward, an ingress). Default: through the Kubernetes API server's service proxy."),
            InputSpec("namespace", .string, description: "The namespace of \(system)'s Service. Default: the platform profile's dataProbes.\(key).namespace, else its heartbeat route's."),
            InputSpec("service", .string, description: "\(system)'s Service as name or name:port, reached through the service proxy. Default: the platform profile's dataProbes.\(key).service, else its heartbeat route's."),
        ]
    }

    static func profile(_ environment: ActionEnvironment) -> PlatformProfile.DataProbes? {
        guard case let .success(profile) = environment.platform else { return nil }
        return profile.dataProbes
    }

    /// The margin of history before the backup: the profile's `dataProbes.history`, else `fallback`.
    static func history(_ environment: ActionEnvironment, fallback: Duration) -> Duration {
        profile(environment).map { $0.history.duration } ?? fallback
    }

    static func endpoint(_ inputs: ActionInputs, _ environment: ActionEnvironment, system: String,
                         probe: (PlatformProfile.DataProbes) -> PlatformProfile.ServiceEndpoint?,
                         route: (PlatformProfile.AlertmanagerRoute) -> PlatformProfile.ServiceName) throws(ActionError) -> APIEndpoint {
        let configured = profile(environment).flatMap(probe)
        guard inputs.string("url") == nil, let configured else {
            return try AlertPathInputs.endpoint(inputs, environment, system: system, profileService: route)
        }
        let namespace = inputs.string("namespace") ?? configured.namespace
        let service = inputs.string("service").map(AlertPathInputs.serviceName) ?? configured.service
        return .service(try environment.kube.kubeClient(), KubeServiceReference(namespace: namespace, name: service.name, port: service.port))
    }
}
