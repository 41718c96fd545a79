import DRBookPlatform
import DRBookRunbook
import DRBookSecrets
import Foundation

/// `slack.probeWebhook`: proves the Slack webhook is live without posting a message.
struct SlackProbeWebhookAction: Action {
    static let descriptor = ActionDescriptor(
        name: "slack.probeWebhook",
        summary: "Prove a Slack incoming webhook is live without posting any message.",
        inputs: [
            InputSpec("url", .string, secret: true,
                      description: "The webhook URL, from a secret source such as ${{ env.SLACK_WEBHOOK_URL }}. Without it, the webhook is decrypted from file and key."),
            InputSpec("file", .string, description: "A SOPS file holding the webhook, decrypted with the age key in drbook's environment. Default (without url): the platform profile's file of the Slack webhook."),
            InputSpec("key", .string, description: "The key of the webhook in file. Default: the platform profile's Slack webhook key."),
        ],
        outputs: [
            OutputSpec("verdict", .string, description: "live, dead, unknown (rate limited, a Slack error) or unreachable (no answer)."),
            OutputSpec("status", .int, description: "Slack's HTTP status, when it answered."),
        ],
        mutates: false, idempotent: true,
        doc: """
            POSTs the payload `{}` to the webhook. A live incoming webhook rejects it with 400 \
            `no_text` (or the older `missing_text_or_fallback_or_attachments`), so nothing is posted \
            to the channel. A revoked or unknown webhook answers 404 `no_service`, a disabled one 403 \
            `invalid_token`, an archived channel 410; a path that is not a webhook is redirected to \
            api.slack.com (not followed). Rate limiting (429) and Slack errors give `unknown`; no \
            answer at all (DNS, connection, TLS, timeout) gives `unreachable`, which says nothing \
            about the webhook. Workflow Builder URLs (`/triggers/`, `/workflows/`) are never probed: \
            any POST starts their workflow. The step passes only when the webhook is live; the URL is \
            a secret and is shown as its scheme and host only.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let value = try await webhook(inputs, context)
        context.treatAsSecret(value.revealed)
        let key = inputs.string("key") ?? (try? environment.platformProfile())?.alerting.slackWebhook.key
        let result = await SlackWebhookProbe(http: environment.http, key: key).probe(value)
        context.log("\(result.verdict.rawValue): \(result.message)")
        guard result.verdict == .live else {
            throw ActionError(result.message, subject: "Slack webhook", fix: result.fix)
        }
        var outputs: ActionOutputs = ["verdict": .string(result.verdict.rawValue)]
        if let status = result.status { outputs["status"] = .int(status) }
        return outputs
    }

    /// The URL given, or the one decrypted from the SOPS file.
    private func webhook(_ inputs: ActionInputs, _ context: ActionContext) async throws(ActionError) -> SecretValue {
        if let url = inputs.string("url") { return SecretValue(url) }
        // Without url, the webhook is where the platform profile keeps it, unless file and key say otherwise.
        let platform = try environment.platformProfile()
        let file = inputs.string("file") ?? platform.path(of: platform.alerting.slackWebhook)
        let keyText = inputs.string("key") ?? platform.alerting.slackWebhook.key
        guard let key = SopsKeyPath(parsing: keyText) else {
            throw ActionError("input 'key' is '\(keyText)', not a key path", fix: "write it like stringData.KEY")
        }
        do {
            let sops = try SopsBinary.locate(environment: environment.processEnvironment)
            return try await sops.decrypt(file: file, key: key)
        } catch {
            throw ActionError(error.what, subject: error.subject, fix: error.fix)
        }
    }
}
