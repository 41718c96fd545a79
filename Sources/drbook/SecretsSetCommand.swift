import ArgumentParser
import DRBookPlatform
import DRBookSecrets
import Foundation

struct SecretsSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Write one secret into a SOPS file, validated first and verified after.",
        discussion: """
        The value is read from a hidden prompt on the terminal, or from standard input when \
        that is a pipe (printf %s "$VALUE" | drbook secrets set …); never from the command line, \
        where shell history and ps would show it. It is validated (not empty, not a \
        placeholder, of the key's format) and handed to sops set on standard input (sops 3.11 \
        or newer). sops works on a copy beside the file; the copy is decrypted again and \
        compared, then replaces the file. If anything fails, the file is unchanged. Writing a \
        file is destructive: drbook asks for confirmation on the terminal; without one, pass \
        --yes. Needs an age key for one of the file's recipients, as sops does. Exit status 0 \
        when written, 1 when sops or the verification failed, 2 for bad input (an invalid \
        value, no confirmation possible), 3 when the operator declined.
        """
    )

    @Argument(help: ArgumentHelp("The key, e.g. stringData.KEY (or [\"stringData\"][\"KEY\"]).", valueName: "key"))
    var key: String

    @Option(help: ArgumentHelp("The SOPS file. Default: the platform profile's file of its alerting secrets.", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("The value's format: any, url, slack-webhook, heartbeat-url or regex:<pattern>. Default: the platform profile's format for the key (its alerting secrets), others: any.", valueName: "format"))
    var format: String?

    @Flag(help: "Write without asking for confirmation (needed when there is no terminal).")
    var yes = false

    @Option(help: ArgumentHelp("The sops program to run. Default: sops on PATH.", valueName: "path"))
    var sops: String?

    @OptionGroup var validation: ValidationOptions

    @OptionGroup var platform: PlatformOptions

    func validate() throws {
        guard SopsKeyPath(parsing: key) != nil else {
            throw ValidationError("'\(key)' is not a key path; write it like stringData.KEY")
        }
        if let format {
            do { _ = try ValueFormat(parsing: format) } catch { throw ValidationError("--format: \(error.description)") }
        }
    }

    func run() async throws {
        let path = SopsKeyPath(parsing: key)!
        let profile = try platform.profile()
        let file = self.file ?? profile.path(of: profile.alerting.slackWebhook)
        let format = try format.map { text throws in try ValueFormat(parsing: text) }
            ?? ValueFormat.inferred(forKey: path.leafName, table: profile.valueFormats)
        let binary: SopsBinary
        do {
            binary = try SopsBinary.locate(environment: ProcessInfo.processInfo.environment, explicitPath: sops)
        } catch {
            throw Self.fail(error.description, code: 1)
        }
        let writer = SecretWriter(sops: binary, validator: try validation.validator(platform: profile))
        if !yes && !SecretInput.canAsk {
            throw BadInput("writing \(file) needs a confirmation and there is no terminal to ask; pass --yes to confirm in advance")
        }
        let value = SecretValue(try SecretInput.read(prompt: "Value for \(path) (\(format.noun); input hidden): "))
        do {
            _ = try writer.precheck(file: file, key: path, value: value, format: format)
        } catch {
            throw BadInput(error.description)
        }
        if !yes, !SecretInput.confirm("Write \(path) = \(RedactedValue.describe(value.revealed)) into \(file)? [y/N] ") {
            throw Self.fail("not written: the operator declined; \(file) is unchanged", code: 3)
        }
        do {
            let outcome = try await writer.set(file: file, key: path, value: value, format: format)
            print("\(outcome.added ? "Added" : "Replaced") \(outcome.key) in \(outcome.file): \(outcome.redacted), encrypted by sops \(outcome.sopsVersion) and verified by decrypting it again.")
            print("Next: commit and push the file, let Flux reconcile, then check the chain: drbook secrets check --file \(file) --key \(path)")
        } catch {
            throw Self.fail("\(error.description) (\(file) is unchanged)", code: error.kind == .invalidValue || error.kind == .notEncryptedByRule ? 2 : 1)
        }
    }

    /// Prints the message as drbook prints errors and gives the exit status to return.
    private static func fail(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        return ExitCode(code)
    }
}
