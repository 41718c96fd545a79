import ArgumentParser
import DRBookActions
import DRBookRunbook
import DRBookText
import DRBookVelero
import Foundation

struct BackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups",
        abstract: "Read the Velero backup store straight from the bucket (no cluster needed).",
        subcommands: [BackupsList.self, BackupsShow.self, BackupsVerify.self]
    )
}

/// Options every `backups` verb takes.
struct BackupStoreArguments: ParsableArguments {
    @Option(help: ArgumentHelp("The store: s3://BUCKET/PREFIX (e.g. s3://platform-backups/velero/prod) or file:///DIR/PREFIX (an offline mirror).", valueName: "location"))
    var store: String?

    @Option(help: ArgumentHelp("""
        Take the store settings not given as flags from drbook.yaml's environments.NAME.params \
        (store, endpoint, region, profile, credentialsFromSops, sopsAccessKeyID, sopsSecretAccessKey, \
        virtualHostedStyle): the params the runbooks read, so `drbook run … --env NAME` reaches the same store.
        """, valueName: "name"))
    var env: String?

    @OptionGroup var access: StoreOptions

    @Option(name: [.short, .long], help: "Output format: text, json or yaml.")
    var output: OutputFormat = .text

    /// The store and how to reach it: flags first, then the profile's environment.
    func storeAccess() throws -> StoreAccess {
        var fallback = StoreSettings()
        if let env {
            let params: [String: Located<Value>]
            do {
                params = try ParamResolver.environmentParams(env, in: loadProfile())
            } catch let error as RunbookError {
                throw BadInput(error.diagnostics.errors.map { diagnostic in
                    (diagnostic.location.map { "\($0): " } ?? "") + diagnostic.message + (diagnostic.fix.map { ". Fix: \($0)." } ?? ".")
                }.joined(separator: "\n"))
            }
            for setting in StoreSetting.allCases {
                guard let located = params[setting.rawValue] else { continue }
                switch (setting, located.value) {
                case (.virtualHostedStyle, .bool(let flag)): fallback.virtualHostedStyle = flag
                case (.virtualHostedStyle, _):
                    throw BadInput("\(located.location): environments.\(env).params.\(setting.rawValue) must be true or false.")
                case (_, .string(let text)): fallback[setting] = text
                case (_, .null): break
                default:
                    throw BadInput("\(located.location): environments.\(env).params.\(setting.rawValue) must be a string.")
                }
            }
        }
        let access = try access.access(fallback, store: store)
        guard access.settings[.store] != nil else {
            throw BadInput("No store: give --store s3://BUCKET/PREFIX (or file:///DIR), or --env NAME with environments.NAME.params.store in \(Profile.fileName).")
        }
        return access
    }

    /// The store, opened; notes on settings not used go to stderr.
    func openStore() async throws -> OpenedStore {
        do {
            let opened = try await storeAccess().open()
            printNotes(opened.notes)
            return opened
        } catch let error as StoreAccessError {
            throw BadInput(error.description)
        }
    }
}

struct BackupsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the backups in the store, newest first, with phase, age and errors."
    )

    @OptionGroup var arguments: BackupStoreArguments

    func run() async throws {
        let opened = try await arguments.openStore()
        let (location, store) = (opened.location, opened.store)
        let reader = StoreReader(store: store)
        let listing: BackupListing, layout: StoreLayout, suggestion: PrefixSuggestion?
        do {
            layout = try await reader.layout()
            suggestion = try await reader.prefixSuggestion(layout)
            listing = try await reader.listBackups()
        } catch {
            // As verify: no listing is not an empty listing. Scripts tell the two apart by the exit status.
            throw BadInput("no listing: the store could not be read: \(error)")
        }
        if let suggestion {
            throw BadInput("\(location): \(suggestion.message)\nFix: \(suggestion.fix).")
        }
        let now = Date()
        let rows = listing.backups.map { BackupRow($0.backup, now: now) }
        switch arguments.output {
        case .json, .yaml:
            try printDocument(arguments.output, BackupListOutput(store: location.description, backups: rows, strayFolders: layout.strayFolders,
                                           foldersWithoutMetadata: listing.foldersWithoutMetadata,
                                           unreadable: listing.unreadable.mapValues { "its velero-backup.json \($0.what)" }))
        case .text:
            print(TextTable(["NAME", "PHASE", "SCHEDULE", "STARTED", "AGE", "ERRORS", "WARNINGS", "EXPIRES"],
                            rows.map { [$0.name, $0.phase, $0.schedule ?? "-", $0.started ?? "-", $0.ageText,
                                        String($0.errors), String($0.warnings), $0.expires ?? "-"] }).render())
            for folder in listing.foldersWithoutMetadata {
                print("note: backups/\(folder)/ has no velero-backup.json; Velero does not count it as a backup.")
            }
            for (folder, error) in listing.unreadable.sorted(by: { $0.key < $1.key }) {
                print("warning: backup '\(folder)' is left out: its velero-backup.json \(error.what). Fix: \(error.fix).")
            }
            for folder in layout.strayFolders {
                print("warning: top-level folder '\(folder)/' under the prefix makes Velero's BackupStorageLocation Unavailable; move it out of the prefix.")
            }
            if rows.isEmpty { print("No backups under \(location.display("backups/")).") }
        }
    }
}

struct BackupsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Everything the store holds about one backup, and its verdict for a namespace.",
        discussion: """
        Reads the backup's velero-backup.json (phase, times, namespace and resource filters, \
        storage location, schedule, format version, error and warning counts), its resource \
        list (counts per kind and per namespace), its PodVolumeBackups (pod, PVC, phase, \
        snapshot id, bytes) and its results (the error and warning messages). With \
        --namespace, the same checks `backups verify` runs, on this backup. Exit status 1 when \
        that verdict is not green, 2 when the backup does not exist.
        """
    )

    @OptionGroup var arguments: BackupStoreArguments

    @Argument(help: ArgumentHelp("The backup, e.g. daily-full-20260815021700 (see `drbook backups list`).", valueName: "name"))
    var name: String

    @Option(help: ArgumentHelp("Also judge whether this backup can bring back the namespace's volumes.", valueName: "namespace"))
    var namespace: String?

    @Option(help: ArgumentHelp("Recovery point objective for the verdict (with --namespace).", valueName: "duration"))
    var rpo: String = "24h"

    @Option(name: .customLong("expect-pvc"), help: ArgumentHelp("A PVC (glob) that must be in the backup (with --namespace); repeatable.", valueName: "glob"))
    var expectedPVCs: [String] = []

    func validate() throws {
        _ = try DurationFlag.seconds(rpo, flag: "--rpo")
        if namespace == nil && !expectedPVCs.isEmpty {
            throw ValidationError("--expect-pvc needs --namespace: the PVCs are looked for in that namespace.")
        }
    }

    func run() async throws {
        let opened = try await arguments.openStore()
        let (storeText, store) = (opened.location.description, opened.store)
        let reader = StoreReader(store: store)
        var (backup, details): (Backup, BackupDetails)
        do {
            (backup, details) = try await reader.details(of: name)
        } catch let error as BackupNotFound {
            throw BadInput(error.description)
        }
        if let namespace {
            details.verdict = await StoreVerifier(reader: reader).verify(backup: backup, namespace: namespace,
                                                                        rpo: (try? DurationFlag.seconds(rpo, flag: "--rpo")) ?? 0, expectedPVCs: expectedPVCs)
        }
        switch arguments.output {
        case .json, .yaml: try printDocument(arguments.output, details)
        case .text: print(BackupDescription(details: details, storeArgument: storeText).render())
        }
        if let verdict = details.verdict, !verdict.isGreen { throw ExitCode.failure }
    }
}

struct BackupsVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove the newest backup of a namespace can bring its volumes back.",
        discussion: """
        Picks the newest Completed backup that includes the namespace (reporting newer ones \
        that failed or partially failed), then checks its age against the RPO, that every PVC \
        of the namespace — in the tarball, or mounted by a pod in it — has a Completed \
        PodVolumeBackup with a snapshot id and data, that the pods mounting them are in the \
        backup, that the namespace's Kopia repository exists, that the expected PVCs are all \
        there, that no PVC the previous Completed backup held has dropped out (unless \
        --allow-removed names it), and that the tarball's gzip checksum holds. Exit status 0 when all of it holds, \
        1 when anything does not, 2 when the store could not be read (no verdict).
        """
    )

    @OptionGroup var arguments: BackupStoreArguments

    @Option(help: ArgumentHelp("The namespace whose volumes must be restorable.", valueName: "namespace"))
    var namespace: String

    @Option(help: ArgumentHelp("Recovery point objective: the newest good backup must be younger (e.g. 24h, 90m).", valueName: "duration"))
    var rpo: String = "24h"

    @Option(name: .customLong("expect-pvc"), help: ArgumentHelp("A PVC (glob) that must be in the backup; repeatable.", valueName: "glob"))
    var expectedPVCs: [String] = []

    @Option(name: .customLong("allow-removed"), help: ArgumentHelp("""
        A PVC (glob) removed on purpose: without it, a PVC the previous Completed backup held and the newest lacks fails; repeatable.
        """, valueName: "glob"))
    var allowRemoved: [String] = []

    func validate() throws {
        _ = try DurationFlag.seconds(rpo, flag: "--rpo")
    }

    func run() async throws {
        let opened = try await arguments.openStore()
        let (storeText, store) = (opened.location.description, opened.store)
        let verdict: StoreVerdict
        do {
            let platform = try? PlatformChoice.resolve()
            verdict = try await StoreVerifier(store: store, prefixVariable: platform?.store.prefixVariable)
                .verify(namespace: namespace, rpo: (try? DurationFlag.seconds(rpo, flag: "--rpo")) ?? 0, expectedPVCs: expectedPVCs, allowRemoved: allowRemoved)
        } catch {
            // Not a red verdict: no verdict at all. Scripts tell the two apart by the exit status.
            throw BadInput("no verdict: the store could not be read: \(error)")
        }
        switch arguments.output {
        case .json, .yaml: try printDocument(arguments.output, verdict)
        case .text: print(StoreVerdictDescription(verdict: verdict, storeArgument: storeText).render())
        }
        if !verdict.isGreen { throw ExitCode.failure }
    }
}

