import ArgumentParser
import DRBookActions
import DRBookObjectStore
import DRBookRunbook
import DRBookVelero
import Foundation

/// How to reach an S3-compatible store; shared by every command that reads one. The
/// flags are `StoreSetting`s, so they mean what the runbook inputs of the same names mean.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("S3 endpoint, e.g. https://ACCOUNT.r2.cloudflarestorage.com. Default: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL.", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("Signing region (default: auto, as R2 wants).", valueName: "region"))
    var region: String?

    @Flag(help: "Address the bucket as BUCKET.ENDPOINT (AWS) instead of ENDPOINT/BUCKET (R2, default).")
    var virtualHostedStyle = false

    @Option(help: ArgumentHelp("""
        A profile of the AWS shared-credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials). \
        As with aws --profile, a named profile comes before AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, which come before AWS_PROFILE.
        """, valueName: "name"))
    var profile: String?

    @Option(name: .customLong("credentials-from-sops"), help: ArgumentHelp("""
        Decrypt the store's access key pair from this SOPS file (the platform's variables secret) with sops and your age key; \
        takes precedence over profiles and the environment.
        """, valueName: "file"))
    var credentialsFromSops: String?

    @Option(name: .customLong("sops-access-key-id"), help: ArgumentHelp("Key path of the access key id in the SOPS file. Default: the platform profile's.", valueName: "path"))
    var sopsAccessKeyID: String?

    @Option(name: .customLong("sops-secret-access-key"), help: ArgumentHelp("Key path of the secret access key in the SOPS file. Default: the platform profile's.", valueName: "path"))
    var sopsSecretAccessKey: String?

    /// The settings the flags give.
    var settings: StoreSettings {
        var settings = StoreSettings()
        settings[.endpoint] = endpoint
        settings[.region] = region
        settings[.profile] = profile
        settings[.credentialsFromSops] = credentialsFromSops
        settings[.sopsAccessKeyID] = sopsAccessKeyID
        settings[.sopsSecretAccessKey] = sopsSecretAccessKey
        if virtualHostedStyle { settings.virtualHostedStyle = true }
        return settings
    }

    func validate() throws {
        do { try StoreAccess(settings: settings, naming: .flags, credentialKeys: nil).validate() } catch { throw ValidationError(error.description) }
    }

    /// `settings` filled from `fallback`, reached with the CLI's names and, when a SOPS file
    /// holds the credentials, the platform profile's key paths.
    func access(_ fallback: StoreSettings, store: String? = nil) throws -> StoreAccess {
        var given = settings
        given[.store] = store
        var access = StoreAccess(settings: given.filling(from: fallback), naming: .flags, credentialKeys: nil)
        if access.needsCredentialKeys {
            do { access.credentialKeys = try PlatformChoice.resolve().storeCredentialKeys } catch { throw BadInput(error.description) }
        }
        return access
    }

    /// A client of `bucket`, for commands that read single objects (`drbook archive`).
    func client(bucket: String) async throws -> S3Client {
        do {
            let reached = try await access(StoreSettings()).client(bucket: bucket)
            printNotes(reached.notes)
            return reached.client
        } catch let error as StoreAccessError {
            throw BadInput(error.description)
        }
    }
}

/// Notes on settings given but not used go to stderr, so `-o json` stays JSON.
func printNotes(_ notes: [String]) {
    for note in notes { FileHandle.standardError.write(Data("note: \(note).\n".utf8)) }
}


/// A duration flag such as `--rpo`: read as a runbook's duration param reads its value
/// (`24h`, `2d`, `1h30m`), and also as Go writes durations (`1.5h`, `336h0m0s`), within the
/// one bound both share, so a value is accepted or refused the same way on the command
/// line and in a runbook.
enum DurationFlag {
    /// Seconds, or a `ValidationError` naming `flag`.
    static func seconds(_ text: String, flag: String) throws -> TimeInterval {
        let seconds: TimeInterval
        switch (RunbookDuration.read(text), GoDuration.read(text)) {
        case let (.success(duration), _):
            seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        case let (_, .success(go)):
            seconds = go
        case (.failure(.tooLong), _), (_, .failure(.tooLong)):
            throw ValidationError("\(flag) '\(text)' is too long; expected \(RunbookDuration.Failure.tooLong.expected).")
        default:
            throw ValidationError("\(flag) '\(text)' is not a duration; write it like 24h, 90m or 1h30m.")
        }
        guard seconds > 0 else { throw ValidationError("\(flag) '\(text)' is not a positive duration; write it like 24h, 90m or 1h30m.") }
        return seconds
    }
}
