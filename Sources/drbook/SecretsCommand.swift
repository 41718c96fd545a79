import ArgumentParser
import DRBookActions
import DRBookPlatform
import DRBookSecrets
import Foundation

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Check the secrets in a SOPS file (set, encrypted, valid) and set them safely.",
        subcommands: [SecretsCheck.self, SecretsSet.self]
    )
}

/// Where decrypted values are judged: the placeholders and the self-hosted ping endpoints.
struct ValidationOptions: ParsableArguments {
    @Option(name: .customLong("placeholders-from"),
            help: ArgumentHelp("A manifest whose ${var:=default} defaults are placeholders (instead of the platform profile's); repeatable. Default: the platform profile's placeholders.", valueName: "file"))
    var placeholderManifests: [String] = []

    @Option(name: .customLong("placeholder"), help: ArgumentHelp("A value that means 'never set', for any key; repeatable.", valueName: "value"))
    var placeholders: [String] = []

    @Option(name: .customLong("ping-endpoint"),
            help: ArgumentHelp("The ping endpoint of a self-hosted healthchecks with a custom PING_ENDPOINT (https://hc-ping.com/ and <base>/ping/ are known); repeatable.", valueName: "url"))
    var pingEndpoints: [String] = []

    func validator(platform: PlatformProfile) throws -> SecretValidator {
        var known = Placeholders(platform: platform).merging(Placeholders(any: placeholders))
        if !placeholderManifests.isEmpty {
            let texts = try placeholderManifests.map { path in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw BadInput("--placeholders-from \(path): the file cannot be read; give a manifest path")
                }
                return text
            }
            known = Placeholders.fromManifests(texts).merging(Placeholders(any: placeholders))
        }
        return SecretValidator(placeholders: known, pingEndpoints: pingEndpoints)
    }
}

struct SecretsCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Prove that keys of a SOPS file are set and encrypted, and valid when an age key is at hand.",
        discussion: """
        Without a key, reads the file's sops metadata and says for each key whether it is \
        present and encrypted, present in plaintext (a security failure), empty or missing. \
        With an age key (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD or \
        ~/.config/sops/age/keys.txt), also decrypts each value with the sops program, in memory, \
        and validates it: not empty, not a placeholder, and of the key's format (the platform \
        profile's format for its alerting secrets, others any, unless --key PATH=FORMAT says \
        otherwise). Values are never printed: a URL is shown as its scheme, host and length. \
        Without --file and --key, the platform profile's alerting secrets are checked in the \
        profile's file; with --file but no --key, every value the file's rule encrypts. The \
        platform profile is --platform, drbook.yaml's platform:, or the default layout. Exit \
        status 0 when everything passes, 1 when anything fails, 2 for bad input.
        """
    )

    @Option(help: ArgumentHelp("The SOPS file. Default: the platform profile's file of the alerting secrets.", valueName: "file"))
    var file: String?

    @Option(name: .customLong("key"),
            help: ArgumentHelp("A key to check, as PATH or PATH=FORMAT (formats: any, url, slack-webhook, heartbeat-url, regex:<pattern>); repeatable.", valueName: "path[=format]"))
    var keys: [String] = []

    @Option(help: ArgumentHelp("Decrypt the values: auto (when an age key is found), required (fail without one), never.", valueName: "mode"))
    var decrypt: DecryptMode = .auto

    @Option(help: ArgumentHelp("The sops program to run. Default: sops on PATH.", valueName: "path"))
    var sops: String?

    @OptionGroup var validation: ValidationOptions

    @OptionGroup var platform: PlatformOptions

    @Option(name: [.short, .long], help: "Output format: text, json or yaml.")
    var output: OutputFormat = .text

    func validate() throws {
        for key in keys {
            do {
                _ = try SecretKeyRequest(parsing: key)
            } catch {
                throw ValidationError("--key \(key): \(error.description)")
            }
        }
    }

    func run() async throws {
        let profile = try platform.profile()
        let file = self.file ?? profile.path(of: profile.alerting.slackWebhook)
        let keys = self.keys.isEmpty && self.file == nil
            ? profile.alerting.all.filter { profile.path(of: $0) == file }.map(\.key) : self.keys
        let requests = try keys.map { text throws in try SecretKeyRequest(parsing: text, formats: profile.valueFormats) }
        let checker = SecretsChecker(environment: ProcessInfo.processInfo.environment, validator: try validation.validator(platform: profile),
                                     mode: decrypt, sopsPath: sops, formats: profile.valueFormats)
        let report: SecretsReport
        do {
            report = try await checker.check(file: file, keys: requests)
        } catch {
            guard error.kind != .unreadable else { throw BadInput(error.description) }
            // A file that is not SOPS or not parseable is what the check found, not a typo.
            switch output {
            case .json, .yaml: try printDocument(output, SecretsFileFailure(file: file, error: error))
            case .text: print(SecretsChecklistText.render(fileError: error))
            }
            throw ExitCode.failure
        }
        switch output {
        case .json, .yaml: try printDocument(output, report)
        case .text: print(SecretsChecklistText.render(report))
        }
        if !report.passed { throw ExitCode.failure }
    }
}

extension DecryptMode: ExpressibleByArgument {}

/// The JSON of a check that could not read the file as SOPS.
struct SecretsFileFailure: Encodable {
    var file: String
    var passed = false
    var error: SopsFileError
}

extension SopsFileError: Encodable {
    enum CodingKeys: String, CodingKey { case kind, what, position, fix }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(what, forKey: .what)
        try container.encode(position.description, forKey: .position)
        try container.encode(fix, forKey: .fix)
    }
}
