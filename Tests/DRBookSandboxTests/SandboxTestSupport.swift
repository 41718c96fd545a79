import DRBookKube
import DRBookProcess
import DRBookSandbox
import DRBookTestSupport
import Foundation

/// Resources the tests use, named once.
enum Resources {
    static let namespaces = GroupResource(group: "", resource: "namespaces")
    static let configMaps = GroupResource(group: "", resource: "configmaps")
    static let pods = GroupResource(group: "", resource: "pods")
    static let services = GroupResource(group: "", resource: "services")
    static let statefulSets = GroupResource(group: "apps", resource: "statefulsets")
    static let backups = GroupResource(group: "velero.io", resource: "backups")
    static let kustomizations = GroupResource(group: "kustomize.toolkit.fluxcd.io", resource: "kustomizations")
    static let persistentVolumes = GroupResource(group: "", resource: "persistentvolumes")
}

/// A sandbox for one test, in a temporary directory, stopped (nginx included) when the
/// body ends, whether it threw or not.
func withSandbox<T>(tls: Bool = false, _ body: (Sandbox) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory()
    let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url, tls: tls))
    do {
        let result = try await body(sandbox)
        await sandbox.stop()
        return result
    } catch {
        await sandbox.stop()
        throw error
    }
}

/// A namespace with a name of its own for one test.
func makeNamespace(_ store: SandboxStore, _ name: String) async throws {
    try await store.create(Resources.namespaces, ["metadata": ["name": .string(name)]])
}

func configMap(_ name: String, labels: [String: String] = [:], data: [String: String] = [:]) -> JSONValue {
    [
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))],
        "data": .object(data.mapValues(JSONValue.string)),
    ]
}

/// The real kubectl, pointed at a sandbox kubeconfig with a private HOME (its discovery
/// cache) and run off the cooperative pool with a deadline.
struct Kubectl {
    let executable: String
    let kubeconfig: URL
    let context: String
    let home: TemporaryDirectory

    static let install = "apt-get install -y kubernetes-client"

    init(sandbox: Sandbox, context: String) throws {
        executable = try Tools.require("kubectl", install: Kubectl.install)
        kubeconfig = sandbox.kubeconfig
        self.context = context
        home = try TemporaryDirectory()
    }

    struct Output {
        var exitCode: Int
        var stdout: String
        var stderr: String
        var json: JSONValue? { try? JSONValue(data: Data(stdout.utf8)) }
    }

    @discardableResult
    func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Output {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.url.path
        environment["KUBECONFIG"] = kubeconfig.path
        let result = try await ChildProcess(arguments: ["kubectl", "--context", context] + arguments, executable: executable,
                                            environment: environment, directory: home.url.path, timeout: timeout).run()
        return Output(exitCode: result.exitCode, stdout: result.stdout.text, stderr: result.stderr.text)
    }

    /// Runs and requires exit 0, failing with kubectl's own words otherwise.
    @discardableResult
    func succeed(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Output {
        let output = try await run(arguments, timeout: timeout)
        guard output.exitCode == 0 else {
            throw KubectlFailed(arguments: arguments, output: output)
        }
        return output
    }

    /// Writes a manifest into kubectl's home and returns its path, for `apply -f`.
    func manifest(_ name: String, _ document: JSONValue) throws -> String {
        let path = home.path(name)
        try document.data().write(to: URL(fileURLWithPath: path))
        return path
    }
}

struct KubectlFailed: Error, CustomStringConvertible {
    var arguments: [String]
    var output: Kubectl.Output
    var description: String {
        "kubectl \(arguments.joined(separator: " ")) exited with \(output.exitCode): \(output.stdout)\(output.stderr)"
    }
}
