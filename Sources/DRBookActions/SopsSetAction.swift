import DRBookPlatform
import DRBookRunbook
import DRBookSecrets
import Foundation

/// `sops.set`: writes one secret into a SOPS file, as `drbook secrets set` does.
struct SopsSetAction: Action {
    static let descriptor = ActionDescriptor(
        name: "sops.set",
        summary: "Write one secret into a SOPS file: validated first, given to sops on standard input, verified after.",
        inputs: [
            InputSpec("file", .string, required: true,
                      description: "The SOPS file (relative to drbook's working directory)."),
            InputSpec("key", .string, required: true, description: "The key, e.g. stringData.KEY."),
            InputSpec("value", .string, required: true, secret: true,
                      description: "The value, from a secret source such as ${{ env.HEARTBEAT_URL }}; never written in the runbook itself."),
            InputSpec("format", .string,
                      description: "any, url, slack-webhook, heartbeat-url or regex:<pattern>. Default: the platform profile's format for the key (its alerting secrets), others: any."),
            InputSpec("placeholdersFrom", .list, description: "Manifests whose ${var:=default} defaults are refused as values."),
            InputSpec("pingEndpoints", .list, description: "Ping endpoints of a self-hosted healthchecks with a custom PING_ENDPOINT."),
        ],
        outputs: [
            OutputSpec("added", .bool, description: "True when the key did not exist before."),
            OutputSpec("redacted", .string, description: "The value as drbook shows it: scheme, host and length."),
        ],
        mutates: true, idempotent: true,
        doc: """
            Validates the value (not empty, not a placeholder, of its format), checks that the file's \
            encryption rule selects the key (else sops would write it in plaintext), then runs \
            `sops set --value-stdin` (sops 3.11 or newer; older sops can take a value only in its \
            argv, where `ps` shows it, and is refused) on a copy beside the file. The copy is \
            decrypted again and compared before it replaces the file; on any failure the file is \
            unchanged. It needs an age key for one of the file's recipients in drbook's \
            environment. Writing a file is destructive: the step must be marked `destructive: true`. \
            Setting the same value again gives the same content, so resume may repeat it.
            """)

    let environment: ActionEnvironment

    func plan(_ inputs: ActionInputs) -> [String] {
        ["write \(inputs.string("key") ?? "a key") into \(inputs.string("file") ?? "a SOPS file") (sops set)"]
    }

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let file = try inputs.requiredString("file")
        let keyText = try inputs.requiredString("key")
        let value = SecretValue(try inputs.requiredString("value"))
        context.treatAsSecret(value.revealed)
        guard let key = SopsKeyPath(parsing: keyText) else {
            throw ActionError("input 'key' is '\(keyText)', not a key path", fix: "write it like stringData.KEY")
        }
        let platform = try environment.platformProfile()
        let format: ValueFormat
        do {
            format = try inputs.string("format").map { text throws(ValueFormatError) in try ValueFormat(parsing: text) }
                ?? ValueFormat.inferred(forKey: key.leafName, table: platform.valueFormats)
        } catch {
            throw ActionError("input 'format': \(error.description)", fix: "write any, url, slack-webhook, heartbeat-url or regex:<pattern>")
        }
        let sops: SopsBinary
        do {
            sops = try SopsBinary.locate(environment: environment.processEnvironment)
        } catch {
            throw ActionError(error.what, subject: error.subject, fix: error.fix)
        }
        let writer = SecretWriter(sops: sops, validator: try SopsInputs.validator(inputs, platform: platform))
        do {
            let outcome = try await writer.set(file: file, key: key, value: value, format: format)
            context.log("\(outcome.added ? "added" : "replaced") \(outcome.key) in \(outcome.file): \(outcome.redacted), verified by decrypting it again")
            return ["added": .bool(outcome.added), "redacted": .string(outcome.redacted)]
        } catch {
            throw ActionError("\(error.what) (the file is unchanged)", subject: error.subject, fix: error.fix)
        }
    }
}
