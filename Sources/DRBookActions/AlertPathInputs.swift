import DRBookAlerting
import DRBookDigest
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import DRBookSecrets
import Foundation

/// The inputs the alert-path actions share, and how each defaults from the platform profile:
/// where Alertmanager, Prometheus and the monitor are reached, and git's heartbeat URL.
enum AlertPathInputs {
    static func endpointInputs(_ system: String, service: String) -> [InputSpec] {
        [
            InputSpec("url", .string, description: "\(system)'s base URL (a port-forward, an ingress). Default: through the Kubernetes API server's service proxy."),
            InputSpec("namespace", .string, description: "The namespace of \(system)'s Service. Default: the platform profile's heartbeat route namespace."),
            InputSpec("service", .string, description: "\(system)'s Service as name or name:port, reached through the service proxy. Default: the platform profile's \(service)."),
        ]
    }

    static let alertmanagerEndpoint = endpointInputs("Alertmanager", service: "alertmanagerService (the operator's Service)")
    static let prometheusEndpoint = endpointInputs("Prometheus", service: "prometheusService (the operator's Service)")

    static let gitURL: [InputSpec] = [
        InputSpec("heartbeatURL", .string, secret: true, description: "Git's heartbeat URL itself, from a secret source such as ${{ env.HEARTBEAT_URL }}. Default: decrypted from file and key."),
        InputSpec("file", .string, description: "The SOPS file holding git's heartbeat URL, decrypted with the age key in drbook's environment. Default: the platform profile's file of heartbeatURL."),
        InputSpec("key", .string, description: "The key of the heartbeat URL in file. Default: the platform profile's heartbeatURL key."),
    ]

    static let monitor: [InputSpec] = [
        InputSpec("api", .string, description: "The healthchecks Management API base, e.g. https://healthchecks.io/api/v3/ or <SITE_ROOT>/api/v3/. Default: https://healthchecks.io/api/v3/."),
        InputSpec("apiKey", .string, secret: true, description: "A project API key (read-only hcr_… suffices; pings need hcw_…). Default: the environment variable HEALTHCHECKS_API_KEY."),
        InputSpec("pingURL", .string, secret: true, description: "The check's ping URL, to find the check (never requested). Default: git's heartbeat URL, decrypted from file and key."),
    ] + gitURL

    static let hostedAPI = "https://healthchecks.io/api/v3/"
    static let apiKeyVariable = "HEALTHCHECKS_API_KEY"

    /// The platform's Alertmanager route, when the heartbeat goes through Alertmanager.
    static func route(_ environment: ActionEnvironment) -> PlatformProfile.AlertmanagerRoute? {
        guard case let .success(profile) = environment.platform, case let .alertmanagerRoute(route) = profile.heartbeat.source else { return nil }
        return route
    }

    /// `url`, else the Service named by the inputs or the profile, through the service proxy.
    static func endpoint(_ inputs: ActionInputs, _ environment: ActionEnvironment, system: String,
                         profileService: (PlatformProfile.AlertmanagerRoute) -> PlatformProfile.ServiceName) throws(ActionError) -> APIEndpoint {
        if let text = inputs.string("url") {
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
                throw ActionError("input 'url' is not an http(s) URL", fix: "write it as http://HOST:PORT")
            }
            return .url(url)
        }
        let route = route(environment)
        guard let namespace = inputs.string("namespace") ?? route?.namespace,
              let service = inputs.string("service").map(serviceName) ?? route.map(profileService) else {
            throw ActionError("no \(system) to ask: the platform's heartbeat is not an Alertmanager route, and neither url nor namespace and service is given",
                              fix: "give url, or namespace and service (name or name:port)")
        }
        let kube = try environment.kube.kubeClient()
        return .service(kube, KubeServiceReference(namespace: namespace, name: service.name, port: service.port))
    }

    static func serviceName(_ text: String) -> PlatformProfile.ServiceName {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        return PlatformProfile.ServiceName(name: parts.first ?? text, port: parts.count > 1 ? parts[1] : nil)
    }

    /// Git's heartbeat URL from the SOPS file, registered as a secret before anything can show it.
    static func gitHeartbeatURL(_ inputs: ActionInputs, _ environment: ActionEnvironment, _ context: ActionContext) async throws(ActionError) -> SecretValue {
        if let given = inputs.string("heartbeatURL") {
            context.treatAsSecret(given)
            return SecretValue(given)
        }
        let platform = try environment.platformProfile()
        let file = inputs.string("file") ?? platform.path(of: platform.alerting.heartbeatURL)
        let keyText = inputs.string("key") ?? platform.alerting.heartbeatURL.key
        guard let key = SopsKeyPath(parsing: keyText) else {
            throw ActionError("input 'key' is '\(keyText)', not a key path", fix: "write it like stringData.KEY")
        }
        do {
            let value = try await SopsBinary.locate(environment: environment.processEnvironment).decrypt(file: file, key: key)
            context.treatAsSecret(value.revealed)
            return value
        } catch {
            throw ActionError(error.what, subject: error.subject, fix: error.fix)
        }
    }

    /// Values of the heartbeat URL that mean "never set": the platform profile's placeholders.
    static func placeholders(_ environment: ActionEnvironment) -> [String] {
        guard case let .success(profile) = environment.platform else { return [] }
        return profile.alerting.heartbeatURL.placeholders.map(\.value)
    }

    /// The monitor's client and the check's ping URL (given, or git's).
    static func monitor(_ inputs: ActionInputs, _ environment: ActionEnvironment,
                        _ context: ActionContext) async throws(ActionError) -> (HealthchecksClient, HealthchecksPingURL) {
        let apiText = inputs.string("api") ?? hostedAPI
        guard let api = URL(string: apiText), api.host != nil else {
            throw ActionError("input 'api' is not a URL: \(apiText)", fix: "write it like https://healthchecks.io/api/v3/")
        }
        let key: String
        if let given = inputs.string("apiKey") {
            key = given
        } else {
            do {
                key = try HealthchecksClient.apiKey(fromEnvironment: apiKeyVariable, environment: environment.processEnvironment)
            } catch {
                throw ActionError.alerting(error)
            }
        }
        context.treatAsSecret(key)
        let ping: SecretValue
        if let given = inputs.string("pingURL") { ping = SecretValue(given) } else { ping = try await gitHeartbeatURL(inputs, environment, context) }
        context.treatAsSecret(ping.revealed)
        guard let pingURL = HealthchecksPingURL(ping.revealed) else {
            throw ActionError("the heartbeat URL is not a healthchecks ping URL (no check UUID or ping key and slug in it)", subject: "heartbeat URL",
                              fix: "set it to the check's ping URL, e.g. https://hc-ping.com/<uuid>")
        }
        return (HealthchecksClient(apiBase: api, apiKey: key, http: environment.http), pingURL)
    }

    /// The monitor's period and grace: the inputs', else the platform profile's.
    static func monitorTimes(_ inputs: ActionInputs, _ environment: ActionEnvironment) throws(ActionError) -> (period: TimeInterval, grace: TimeInterval) {
        let profile = try? environment.platformProfile()
        guard let period = inputs.duration("monitorPeriod")?.seconds ?? profile.map({ TimeInterval($0.heartbeat.monitor.period.seconds) }),
              let grace = inputs.duration("monitorGrace")?.seconds ?? profile.map({ TimeInterval($0.heartbeat.monitor.grace.seconds) }) else {
            throw ActionError("the monitor's period and grace are unknown", fix: "give monitorPeriod and monitorGrace")
        }
        return (period, grace)
    }
}

extension ActionError {
    init(_ problem: AlertPathProblem) {
        self.init(problem.message, subject: problem.subject, fix: problem.fix)
    }

    /// An alert-path API's failure as the step's failure.
    static func alerting(_ error: any Error) -> ActionError {
        if let api = error as? AlertingAPIError {
            return ActionError("\(api.request) failed: \(api.message)", subject: api.system, fix: api.fix)
        }
        if let problem = error as? AlertPathProblem { return ActionError(problem) }
        if let action = error as? ActionError { return action }
        return ActionError("\(error)")
    }
}
