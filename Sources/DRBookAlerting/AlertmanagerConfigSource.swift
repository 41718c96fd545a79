import DRBookArchive
import DRBookKube
import Foundation

/// Where the heartbeat receiver's URL was read from. Alertmanager 0.26+ masks webhook URLs
/// in its API (`<secret>`), so on a real cluster the loaded configuration's URL comes from
/// the Secret prometheus-operator renders for the pod (reference alerting.md §2).
public enum AlertmanagerConfigSource: Sendable, Equatable, CustomStringConvertible {
    /// `GET /api/v2/status`'s `config.original` (Alertmanager 0.25 shows URLs in it).
    case api(version: String)
    /// The operator's generated Secret, key `alertmanager.yaml.gz`.
    case generatedSecret(namespace: String, name: String)

    public var description: String {
        switch self {
        case .api(let version): return "Alertmanager \(version)'s API (config.original)"
        case .generatedSecret(let namespace, let name): return "secret \(namespace)/\(name) (the operator's generated config)"
        }
    }

    /// The operator's name for an Alertmanager resource's rendered config
    /// (pkg/alertmanager/statefulset.go generatedConfigSecretName).
    public static func generatedSecretName(alertmanager: String) -> String { "alertmanager-\(alertmanager)-generated" }
    public static let generatedSecretKey = "alertmanager.yaml.gz"

    /// The configuration in the operator's generated Secret, gunzipped.
    public static func generatedConfig(_ kube: KubeClient, namespace: String, alertmanager: String) async throws(AlertPathProblem) -> String {
        let name = generatedSecretName(alertmanager: alertmanager)
        let subject = "secret \(namespace)/\(name)"
        let secret: Secret?
        do {
            secret = try await kube.getIfPresent(Secret.self, name, namespace: namespace)
        } catch {
            throw AlertPathProblem("cannot read it: \(error)", subject: subject,
                                   fix: "use a context that may get secrets in \(namespace)")
        }
        guard let secret else {
            throw AlertPathProblem("does not exist", subject: subject,
                                   fix: "check that prometheus-operator runs and that Alertmanager \(namespace)/\(alertmanager) exists (`kubectl -n \(namespace) get alertmanagers`)")
        }
        guard let compressed = secret.value(generatedSecretKey) else {
            throw AlertPathProblem("has no key \(generatedSecretKey) (keys: \(secret.keys.joined(separator: ", ")))", subject: subject,
                                   fix: "check the operator's version: it renders the config into \(generatedSecretKey)")
        }
        do {
            let sent = LockedFlag()
            let reader = try ArchiveStreamReader(name: "\(subject) \(generatedSecretKey)", format: .gzip) {
                sent.take() ? compressed : nil
            }
            defer { reader.close() }
            guard try reader.nextEntry() != nil else { throw AlertPathProblem("\(generatedSecretKey) is empty", subject: subject) }
            let data = try reader.readEntryData(limit: 16 << 20)
            return String(decoding: data, as: UTF8.self)
        } catch let problem as AlertPathProblem {
            throw problem
        } catch {
            throw AlertPathProblem("\(generatedSecretKey) is not gzip: \(error)", subject: subject,
                                   fix: "check that the Secret is the one prometheus-operator renders")
        }
    }
}

/// True the first time it is taken: hands the one chunk to the archive reader.
private final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var taken = false
    func take() -> Bool { lock.withLock { defer { taken = true }; return !taken } }
}
