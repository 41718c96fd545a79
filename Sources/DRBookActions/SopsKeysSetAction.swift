import DRBookPlatform
import DRBookRunbook
import DRBookSecrets
import Foundation

/// `sops.keysSet`: the check `drbook secrets check` runs, as a runbook step.
struct SopsKeysSetAction: Action {
    static let descriptor = ActionDescriptor(
        name: "sops.keysSet",
        summary: "Prove that keys of a SOPS file are set and encrypted and, with an age key, that their values are valid.",
        inputs: [
            InputSpec("file", .string,
                      description: "The SOPS file (relative to drbook's working directory). Default: the platform profile's file of the alerting secrets."),
            InputSpec("keys", .list,
                      description: "Keys to check, as PATH or PATH=FORMAT (formats: any, url, slack-webhook, heartbeat-url, regex:<pattern>), e.g. [\"stringData.KEY=url\"]. Default: with file, every value the file's rule encrypts; without, the platform profile's alerting secrets."),
            InputSpec("decrypt", .string,
                      description: "auto (decrypt when an age key is found), required (fail without one) or never. Default: auto."),
            InputSpec("placeholdersFrom", .list,
                      description: "Manifests whose ${var:=default} defaults mean 'never set' (instead of the platform profile's placeholders). Default: the platform profile's placeholders."),
            InputSpec("placeholders", .list, description: "More values that mean 'never set', for any key."),
            InputSpec("pingEndpoints", .list,
                      description: "Ping endpoints of a self-hosted healthchecks with a custom PING_ENDPOINT (https://hc-ping.com/ and <base>/ping/ are always known)."),
        ],
        outputs: [
            OutputSpec("keysChecked", .int, description: "How many keys were checked."),
            OutputSpec("decrypted", .bool, description: "Whether the values were decrypted and validated (an age key was at hand)."),
            OutputSpec("recipients", .list, description: "The file's age recipients (public keys)."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Without a key, reads the file's `sops` metadata (recipients, `lastmodified`, `mac`, the \
            selection rule, `version`) and says for each key whether it is present and encrypted (a \
            well-formed `ENC[AES256_GCM,…]`), present in plaintext where the rule says it must be \
            encrypted (a security failure), empty, or missing; values the rule selects anywhere in \
            the file must be encrypted too. With an age key (`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`, \
            `SOPS_AGE_KEY_CMD` or `~/.config/sops/age/keys.txt` in drbook's environment), each value \
            is decrypted by the `sops` program into memory and validated: not empty, not a \
            placeholder, and of its format (the platform profile's format for its alerting secrets: \
            a Slack incoming webhook, a healthchecks ping URL; others any value, unless PATH=FORMAT \
            says otherwise). The platform profile is drbook.yaml's `platform:` or the default layout.

            Values never reach the log, the journal or a report: they are registered as secrets \
            with the run's redactor, and lines show a URL as its scheme, host and length. Each key \
            is logged as one checklist line; the step fails on the first failure with its fix. It \
            is the check `drbook secrets check` runs.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let platform = try environment.platformProfile()
        let file = inputs.string("file") ?? platform.path(of: platform.alerting.slackWebhook)
        let keys = try inputs.strings("keys") ?? (inputs.string("file") == nil ? SopsInputs.alertingKeys(platform, in: file) : [])
        let requests = try keys.map { (text: String) throws(ActionError) -> SecretKeyRequest in
            do {
                return try SecretKeyRequest(parsing: text, formats: platform.valueFormats)
            } catch let error as ValueFormatError {
                throw ActionError("input 'keys' has \(error.description)", fix: "write each key as PATH or PATH=FORMAT")
            } catch {
                throw ActionError("input 'keys' has an unreadable key '\(text)'", fix: "write each key as PATH or PATH=FORMAT")
            }
        }
        let mode = try decryptMode(inputs.string("decrypt"))
        let checker = SecretsChecker(environment: environment.processEnvironment, validator: try SopsInputs.validator(inputs, platform: platform),
                                     mode: mode, formats: platform.valueFormats)
        // Every decrypted value goes to the run's redactor before anything can print it.
        let learnSecret: @Sendable (String) -> Void = { context.treatAsSecret($0) }
        let report: SecretsReport
        do {
            report = try await checker.check(file: file, keys: requests, learnSecret: learnSecret)
        } catch {
            throw ActionError(error.what, subject: error.position.description, fix: error.fix)
        }
        for item in report.checklist {
            context.log("[\(item.status.rawValue)] \(item.subject): \(item.detail)")
            for note in item.notes { context.log("  note: \(note)") }
        }
        guard report.passed else {
            let first = report.checklist.first { $0.status == .failed }
            throw ActionError("\(first.map { "\($0.subject) \($0.detail)" } ?? "the check failed") (\(report.summary))",
                              subject: first?.position?.description ?? file, fix: first?.fix)
        }
        return ["keysChecked": .int(report.keys.count), "decrypted": .bool(report.decryption.attempted && report.decryption.error == nil),
                "recipients": .list(report.metadata.ageRecipients.map(Value.string))]
    }

    private func decryptMode(_ text: String?) throws(ActionError) -> DecryptMode {
        guard let text else { return .auto }
        guard let mode = DecryptMode(rawValue: text) else {
            throw ActionError("input 'decrypt' is '\(text)'", fix: "write auto, required or never")
        }
        return mode
    }
}

/// Inputs the SOPS actions share.
enum SopsInputs {
    /// The validator the inputs describe: placeholders (the platform profile's, or the manifests'), extra ping endpoints.
    static func validator(_ inputs: ActionInputs, platform: PlatformProfile) throws(ActionError) -> SecretValidator {
        let extra = Placeholders(any: try inputs.strings("placeholders") ?? [])
        var placeholders = Placeholders(platform: platform).merging(extra)
        if let manifests = try inputs.strings("placeholdersFrom"), !manifests.isEmpty {
            var texts: [String] = []
            for path in manifests {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw ActionError("the manifest \(path) in input 'placeholdersFrom' cannot be read", fix: "give the path of a manifest")
                }
                texts.append(text)
            }
            placeholders = Placeholders.fromManifests(texts).merging(extra)
        }
        return SecretValidator(placeholders: placeholders, pingEndpoints: try inputs.strings("pingEndpoints") ?? [])
    }

    /// The platform profile's alerting secrets that live in `file`.
    static func alertingKeys(_ platform: PlatformProfile, in file: String) -> [String] {
        platform.alerting.all.filter { platform.path(of: $0) == file }.map(\.key)
    }
}
