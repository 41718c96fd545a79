import DRBookKube
import DRBookTestSupport
import Foundation
import Testing

/// A temporary directory holding kubeconfigs, certificates and plugin scripts written by a test.
final class KubeFixture: @unchecked Sendable {
    let directory: TemporaryDirectory
    var root: String { directory.url.path }

    init() throws { directory = try TemporaryDirectory() }

    /// Writes `text` at `name` (sub-directories created) and returns the absolute path.
    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let path = directory.path(name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
        return path
    }

    func path(_ name: String) -> String { directory.path(name) }

    /// A loader that sees only this fixture: HOME is `<root>/home`, relative paths start at the root.
    func loader(kubeconfigVariable: String? = nil) -> KubeconfigLoader {
        var environment = ["HOME": path("home")]
        if let kubeconfigVariable { environment["KUBECONFIG"] = kubeconfigVariable }
        return KubeconfigLoader(environment: environment, home: path("home"), workingDirectory: root)
    }

    /// Loads the single file `name` (as --kubeconfig) and resolves `context`.
    func endpoint(_ name: String, context: String? = nil) throws -> KubeEndpoint {
        try ContextResolver(loader().load(explicitPath: path(name))).resolve(context: context)
    }

    /// Writes `yaml` as `config` and returns the error that loading or resolving it throws.
    func error(_ yaml: String, context: String? = nil, name: String = "config") throws -> KubeconfigError {
        try write(name, yaml)
        do {
            let endpoint = try endpoint(name, context: context)
            Issue.record("expected an error, resolved \(endpoint)")
            throw Unexpected()
        } catch let error as KubeconfigError {
            return error
        }
    }

    struct Unexpected: Error {}
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_900_000_000)) { current = start }

    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    func set(_ date: Date) { lock.withLock { current = date } }
    var clock: KubeClock { KubeClock { [self] in now } }
}

func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

let fakeCAPEM = "-----BEGIN CERTIFICATE-----\nMIIBfakeCA\n-----END CERTIFICATE-----\n"
let fakeCertPEM = "-----BEGIN CERTIFICATE-----\nMIIBfakeClient\n-----END CERTIFICATE-----\n"
let fakeKeyPEM = "-----BEGIN PRIVATE KEY-----\nMIIBfakeKEYsecret\n-----END PRIVATE KEY-----\n"

/// A one-context kubeconfig: cluster `c` at `server`, user `u` with `user` as its body
/// (indented lines under `user:`), context `ctx`, current.
func singleContextConfig(cluster: String = "    server: https://api.example.test:6443", user: String,
                         namespace: String? = nil) -> String {
    """
    apiVersion: v1
    kind: Config
    clusters:
    - name: c
      cluster:
    \(cluster)
    users:
    - name: u
      user:
    \(user)
    contexts:
    - name: ctx
      context:
        cluster: c
        user: u
    \(namespace.map { "    namespace: \($0)" } ?? "")
    current-context: ctx
    """
}
