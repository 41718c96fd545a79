import DRBookAlerting
import DRBookDigest
import DRBookRunbook
import Foundation

/// `alertmanager.configHasReceiver`: the configuration Alertmanager loaded sends heartbeats to git's URL.
struct AlertmanagerConfigHasReceiverAction: Action {
    static let descriptor = ActionDescriptor(
        name: "alertmanager.configHasReceiver",
        summary: "Check that Alertmanager's loaded configuration has the heartbeat receiver and that its webhook URL is git's (by SHA-256), not the placeholder.",
        inputs: AlertPathInputs.alertmanagerEndpoint + AlertPathInputs.gitURL + [
            InputSpec("receiver", .string, description: "The heartbeat receiver. Default: the platform profile's heartbeat receiver."),
            InputSpec("source", .string, description: "Where to read the receiver's URL: auto (the API where it shows URLs, Alertmanager 0.25; else the generated Secret), api or secret. Default: auto."),
            InputSpec("alertmanager", .string, description: "The Alertmanager resource whose generated Secret (alertmanager-<name>-generated) holds the config. Default: the platform profile's."),
            InputSpec("secretNamespace", .string, description: "The generated Secret's namespace. Default: namespace, else the platform profile's route namespace."),
        ],
        outputs: [
            OutputSpec("source", .string, description: "api or secret: where the URL was read."),
            OutputSpec("version", .string, description: "Alertmanager's version."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Decrypts git's heartbeat URL from the SOPS file (the platform profile's by default) \
            and compares its SHA-256 digest with the URL of every webhook of the receiver in the \
            configuration Alertmanager really uses. Alertmanager 0.25 shows webhook URLs in \
            `GET /api/v2/status` (`config.original`, re-serialised YAML, compared parsed); 0.26 \
            and later show `<secret>` there, so the step then reads the Secret \
            prometheus-operator renders for the pod, `alertmanager-<name>-generated`, key \
            `alertmanager.yaml.gz` (gunzipped), and says which source it used. It fails when the \
            receiver is missing, when its URL is the placeholder (the heartbeat then reaches \
            nobody), or when the digests differ (git is ahead: Flux has not substituted the new \
            value, or the operator has not rendered it); a `url_file` receiver is pointed to \
            `k8s.secretMatches`. URLs are never shown, only digest prefixes.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let route = AlertPathInputs.route(environment)
        guard let receiver = inputs.string("receiver") ?? route?.receiver else {
            throw ActionError("the receiver is unknown: the platform's heartbeat is not an Alertmanager route", fix: "give receiver")
        }
        let mode = inputs.string("source") ?? "auto"
        guard ["auto", "api", "secret"].contains(mode) else { throw ActionError("input 'source' is '\(mode)'", fix: "write auto, api or secret") }
        let git = try await AlertPathInputs.gitHeartbeatURL(inputs, environment, context)
        let endpoint = try AlertPathInputs.endpoint(inputs, environment, system: "Alertmanager") { $0.alertmanagerService }
        let status: AlertmanagerStatus
        do {
            status = try await AlertmanagerClient(endpoint: endpoint, http: environment.http).status()
        } catch {
            throw ActionError.alerting(error)
        }
        let version = status.versionInfo.version
        var source = AlertmanagerConfigSource.api(version: version)
        var webhooks: [AlertmanagerConfig.Webhook]?
        do {
            if mode != "secret" {
                webhooks = try AlertmanagerConfig(yaml: status.config.original, source: source.description).receivers[receiver]
            }
            if mode == "secret" || (mode == "auto" && (webhooks ?? []).contains { $0.isMasked || $0.url == nil }) {
                if mode == "auto" { context.log("Alertmanager \(version) hides webhook URLs in its API; reading the operator's generated config instead") }
                guard let alertmanager = inputs.string("alertmanager") ?? route?.alertmanager,
                      let namespace = inputs.string("secretNamespace") ?? inputs.string("namespace") ?? route?.namespace else {
                    throw AlertPathProblem("the generated Secret is unknown", fix: "give alertmanager and secretNamespace")
                }
                let kube = try environment.kube.kubeClient()
                source = .generatedSecret(namespace: namespace, name: AlertmanagerConfigSource.generatedSecretName(alertmanager: alertmanager))
                let text = try await AlertmanagerConfigSource.generatedConfig(kube, namespace: namespace, alertmanager: alertmanager)
                webhooks = try AlertmanagerConfig(yaml: text, source: source.description).receivers[receiver]
            }
        } catch let problem as AlertPathProblem {
            throw ActionError(problem)
        }
        let subject = "receiver \(receiver) in the config from \(source)"
        guard let webhooks, !webhooks.isEmpty else {
            throw ActionError(webhooks == nil ? "does not exist" : "has no webhook_configs", subject: subject,
                              fix: "add the receiver with a webhook_configs url of the heartbeat URL to Alertmanager's configuration, and route the heartbeat alert to it")
        }
        if let file = webhooks.compactMap(\.urlFile).first {
            throw ActionError("reads its URL from the file \(file), which drbook cannot read through the API", subject: subject,
                              fix: "compare the Secret mounted at that path with git using k8s.secretMatches")
        }
        if webhooks.contains(where: \.isMasked) {
            throw ActionError("shows its URL as <secret>", subject: subject, fix: "use source: secret (or auto) to read the operator's generated Secret")
        }
        do {
            let digest = try HeartbeatJudgement.urlIsGits(webhooks.compactMap(\.url), gitDigest: SHA256Digest.hex(of: git.revealed),
                                                          placeholders: AlertPathInputs.placeholders(environment), subject: subject,
                                                          fix: "let Flux apply git's value: `flux reconcile kustomization <the one that substitutes it> --with-source`, then wait for the operator to render the config and Alertmanager to reload it")
            context.log("\(subject) posts to git's heartbeat URL (sha256 \(digest.prefix(12))…)")
        } catch {
            throw ActionError(error)
        }
        let kind: String = if case .api = source { "api" } else { "secret" }
        return ["source": .string(kind), "version": .string(version)]
    }
}
