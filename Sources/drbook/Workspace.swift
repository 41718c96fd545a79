import ArgumentParser
import DRBookActions
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import DRBookSecrets
import Foundation

/// Where a command finds runbooks and the docs their `doc:` links point into: relative to
/// the working directory unless told otherwise.
struct RunbookOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder of runbooks.", valueName: "dir"))
    var runbooks: String = "runbooks"

    @Option(help: ArgumentHelp("Folder of the Markdown docs that `doc:` links point into.", valueName: "dir"))
    var docs: String = "docs"

    /// The linter. `drbook lint` checks `doc:` links against the docs folder, and a runbook that
    /// links docs with no docs folder found is an error there, not a pass; a run checks them only
    /// where the folder is (a run from outside the repository is not refused over its links).
    func linter(requireDocs: Bool) -> RunbookLinter {
        let docsRoot = requireDocs || FileManager.default.fileExists(atPath: docs) ? docs : nil
        return RunbookLinter(catalog: offlineRegistry.catalog,
                             docsRoot: docsRoot, platforms: PlatformProfile.builtinRunbookValues, secretShapes: knownSecretShapes)
    }

    /// A runbook named by its name (`backup-health`, its `metadata.name` or its file name) or by a path.
    func runbookPath(_ name: String) throws -> String {
        let candidates = [name, "\(runbooks)/\(name)", "\(runbooks)/\(name).yaml", "\(runbooks)/\(name).yml"]
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) && !isDirectory($0) }) { return found }
        let named = namedRunbooks()
        if let byName = named.first(where: { $0.name == name }) { return byName.file }
        let names = named.map(\.name)
        throw BadInput("no runbook '\(name)' in \(runbooks)/\(NameSuggestion.hint(for: name, among: names)); known: \(names.isEmpty ? "none" : names.joined(separator: ", ")). Give a name from `drbook list` or a path.")
    }

    func runbookFiles() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: runbooks)) ?? []
        return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { "\(runbooks)/\($0)" }
    }

    /// Each runbook that loads, by its `metadata.name`.
    func namedRunbooks() -> [(name: String, file: String)] {
        runbookFiles().compactMap { file in (try? RunbookLoader.load(path: file)).map { ($0.metadata.name, file) } }
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}

/// Where runs and their journals are kept.
struct RunsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder where runs and their journals are kept.", valueName: "dir"))
    var runsDir: String = RunStore.defaultRoot

    var store: RunStore { RunStore(root: URL(fileURLWithPath: runsDir)) }

    /// ` --runs-dir D` when it is not the default, for the commands drbook tells a person to type.
    var flagForNextCommand: String { runsDir == RunStore.defaultRoot ? "" : " --runs-dir \(runsDir)" }

    /// The journal of run `text`, or bad input naming what to type instead.
    func existingRun(_ text: String) throws -> RunID {
        guard let id = RunID(text) else { throw BadInput("'\(text)' is not a run id; see drbook runs\(flagForNextCommand).") }
        guard FileManager.default.fileExists(atPath: store.journal(of: id).path) else {
            throw BadInput("no run \(text) in \(runsDir)/; see drbook runs\(flagForNextCommand).")
        }
        return id
    }
}

/// The cluster steps talk to: only commands that run steps take these.
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The kubeconfig for steps that use the cluster (default: KUBECONFIG, then ~/.kube/config, then the pod's service account).", valueName: "file"))
    var kubeconfig: String?

    @Option(help: ArgumentHelp("The kubeconfig context to use (default: its current-context).", valueName: "name"))
    var context: String?

    /// The kube context a run would use, for its journal: nil when there is no kubeconfig.
    /// Resolving reads files only; no exec plugin runs until a step calls the cluster.
    var kubeContextName: String? {
        guard let endpoint = try? KubeAccess(kubeconfig: kubeconfig, context: context).endpoint() else { return nil }
        return endpoint.contextName ?? "in-cluster (\(endpoint.source))"
    }

    /// A --kubeconfig or --context given on the command line that does not resolve is bad input,
    /// found before a run is created (not a failure of every step that would use the cluster).
    func checkFlags() throws {
        guard kubeconfig != nil || context != nil else { return }
        do { try KubeAccess(kubeconfig: kubeconfig, context: context).endpoint().checkCredentialPlugin() } catch {
            let flags = [kubeconfig.map { "--kubeconfig \($0)" }, context.map { "--context \($0)" }].compactMap { $0 }.joined(separator: " ")
            throw BadInput("\(flags): \(error)")
        }
    }

    /// The actions, connected to the cluster the flags name (the connection is made when a step first needs it).
    var registry: ActionRegistry {
        BuiltinActions.registry(ActionEnvironment(kube: KubeConnection(access: KubeAccess(kubeconfig: kubeconfig, context: context))))
    }
}

/// The actions for commands that describe or check runbooks without running a step: the
/// cluster connection is never made.
var offlineRegistry: ActionRegistry { BuiltinActions.registry(ActionEnvironment(kube: KubeConnection(access: KubeAccess()))) }

/// The secrets known by their shape, as the engine hides them and lint warns about them.
let knownSecretShapes: [SecretShape] = SecretShapes.all.map { SecretShape(name: $0.name, pattern: $0.pattern, template: "$1" + Redactor.replacement) }

/// The platform profile drbook.yaml chooses (or the default), as runbooks read it.
func platformValue() throws -> Value {
    do { return try PlatformChoice.resolve().runbookValue } catch { throw BadInput(error.description) }
}

/// `drbook.yaml` in the working directory, when there is one.
func loadProfile() throws -> Profile? {
    guard FileManager.default.fileExists(atPath: Profile.fileName) else { return nil }
    do { return try Profile.load(path: Profile.fileName) } catch { throw BadInput(String(describing: error)) }
}
