import ArgumentParser
import DRBookActions
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import Foundation

/// Where a command finds runbooks, docs, the profile and past runs: relative to the
/// working directory unless told otherwise.
struct WorkspaceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder of runbooks.", valueName: "dir"))
    var runbooks: String = "runbooks"

    @Option(help: ArgumentHelp("Folder of the Markdown docs that `doc:` links point into.", valueName: "dir"))
    var docs: String = "docs"

    @Option(help: ArgumentHelp("Folder where runs and their journals are kept.", valueName: "dir"))
    var runsDir: String = RunStore.defaultRoot

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

    /// The actions, connected to the cluster the flags name (the connection is made when a step first needs it).
    var registry: ActionRegistry {
        BuiltinActions.registry(ActionEnvironment(kube: KubeConnection(access: KubeAccess(kubeconfig: kubeconfig, context: context))))
    }
    var linter: RunbookLinter {
        RunbookLinter(catalog: registry.catalog, docsRoot: FileManager.default.fileExists(atPath: docs) ? docs : nil,
                      platforms: PlatformProfile.builtinRunbookValues)
    }

    /// The platform profile drbook.yaml chooses (or the default), as runbooks read it.
    func platformValue() throws -> Value {
        do { return try PlatformChoice.resolve().runbookValue } catch { throw BadInput(error.description) }
    }
    var store: RunStore { RunStore(root: URL(fileURLWithPath: runsDir)) }

    /// A runbook named by its name (`verify-backups`) or by a path.
    func runbookPath(_ name: String) throws -> String {
        let candidates = [name, "\(runbooks)/\(name)", "\(runbooks)/\(name).yaml", "\(runbooks)/\(name).yml"]
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) && !isDirectory($0) }) { return found }
        let known = runbookFiles().map { ($0 as NSString).lastPathComponent }
        throw BadInput("no runbook '\(name)' (looked in \(runbooks)/); known: \(known.isEmpty ? "none" : known.joined(separator: ", ")). Give a name from `drbook list` or a path.")
    }

    func runbookFiles() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: runbooks)) ?? []
        return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { "\(runbooks)/\($0)" }
    }

    /// `drbook.yaml` in the working directory, when there is one.
    func profile() throws -> Profile? { try Self.loadProfile() }

    static func loadProfile() throws -> Profile? {
        guard FileManager.default.fileExists(atPath: Profile.fileName) else { return nil }
        do { return try Profile.load(path: Profile.fileName) } catch { throw BadInput(String(describing: error)) }
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
