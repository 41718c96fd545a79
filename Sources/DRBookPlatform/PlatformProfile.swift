import Foundation

/// The names and numbers of one layout of the platform drbook serves: where its SOPS files
/// are and which keys they hold, what each alerting secret's value must look like and which
/// values mean "never set", where the backup store's credentials are, the namespaces, the
/// volumes a backup must hold, and who pings the heartbeat monitor.
///
/// Commands, actions and runbooks read these from a profile instead of holding them as
/// literals, so a platform that moves (reference/platform-head.md) is served by a second
/// profile file, not by new code. `PlatformProfile.default` is the layout docs/dr/alerting.md
/// describes (`platforms/default.yaml`); `drbook.yaml`'s `platform:` chooses another.
public struct PlatformProfile: Sendable, Equatable, Codable {
    /// The names `platform:` accepts without a path: the profiles built into the binary.
    public static var builtinNames: [String] { BuiltinProfiles.sources.map(\.name) }

    /// The layout docs/dr/alerting.md describes, built in. A test proves the embedded text
    /// loads and equals `platforms/default.yaml`, so this cannot fail in a built binary.
    public static let `default`: PlatformProfile = builtin("default")

    /// A built-in profile by name (`default`, `head`), nil for any other name.
    public static func named(_ name: String) -> PlatformProfile? {
        guard BuiltinProfiles.sources.contains(where: { $0.name == name }) else { return nil }
        return builtin(name)
    }

    private static func builtin(_ name: String) -> PlatformProfile {
        let source = BuiltinProfiles.sources.first { $0.name == name }!
        do {
            return try PlatformProfileReader.load(yaml: source.yaml, file: "platforms/\(name).yaml (built in)")
        } catch {
            fatalError("the built-in platform profile '\(name)' does not load, which its test rules out: \(error)")
        }
    }

    public var name: String
    public var description: String?
    /// Which state of the platform it was read from, e.g. `devantler-tech/platform@7b1096307`.
    public var source: String?
    /// Where the profile was read from, for messages: a path, or the built-in file's name.
    public var origin: String
    /// The SOPS files in git, by the name the rest of the profile uses (`cluster`, `base`).
    public var sopsFiles: [SopsFileEntry]
    public var alerting: Alerting
    public var store: Store
    public var namespaces: Namespaces
    public var velero: Velero
    /// The volumes a restorable backup must hold, per namespace.
    public var volumes: [NamespaceVolumes]
    public var heartbeat: Heartbeat
    /// What a restore needs besides the volumes; nil when the profile has no `restore:`.
    public var restore: RestoreNames?
    /// Whom the data probes ask after a restore; nil when the profile has no `dataProbes:`.
    public var dataProbes: DataProbes?

    /// One SOPS file and the Secret Flux decrypts it into.
    public struct SopsFileEntry: Sendable, Equatable, Codable {
        public var name: String
        /// The path in the platform's repository (drbook runs from its root).
        public var path: String
        public var secret: ObjectName?
    }

    /// `namespace/name` of a Kubernetes object.
    public struct ObjectName: Sendable, Equatable, Codable, CustomStringConvertible {
        public var namespace: String
        public var name: String
        public var description: String { "\(namespace)/\(name)" }
    }

    /// The secrets the alert path needs, by the role drbook gives them.
    public struct Alerting: Sendable, Equatable, Codable {
        /// The Slack incoming webhook alerts are posted to.
        public var slackWebhook: AlertSecret
        /// The URL the heartbeat pings (a healthchecks ping URL).
        public var heartbeatURL: AlertSecret
        public var all: [AlertSecret] { [slackWebhook, heartbeatURL] }
    }

    public struct AlertSecret: Sendable, Equatable, Codable {
        /// The name of the SOPS file entry (`sopsFiles`) that holds it.
        public var file: String
        /// The key path in that file, e.g. `stringData.<variable>`.
        public var key: String
        public var format: ValueFormat
        /// Values that mean "never set": the defaults the manifests substitute.
        public var placeholders: [Placeholder]

        /// The key's last name: the variable Flux substitutes (`${name:=default}`).
        public var variable: String { String(key.split(separator: ".").last ?? Substring(key)) }
    }

    /// A value that means "never set", and the manifests whose `${var:=value}` defines it.
    public struct Placeholder: Sendable, Equatable, Codable {
        public var value: String
        public var definedIn: [String]
    }

    /// The backup store's credentials in git and the variable naming the store's prefix.
    public struct Store: Sendable, Equatable, Codable {
        /// The name of the SOPS file entry holding the credentials.
        public var credentialsFile: String
        /// The key path of the access key id in that file (`stringData.<name>`).
        public var accessKeyIDPath: String
        /// The key path of the secret access key.
        public var secretAccessKeyPath: String
        /// The Flux variable the BackupStorageLocation's prefix is substituted from, for fix texts.
        public var prefixVariable: String
        public var definedIn: [String]
    }

    public struct Namespaces: Sendable, Equatable, Codable {
        /// Where the observability stack whose volumes are backed up lives.
        public var observability: String
        public var velero: String
        public var flux: String
    }

    public struct Velero: Sendable, Equatable, Codable {
        /// The BackupStorageLocation.
        public var location: String
        /// The Schedule whose backups restores use.
        public var schedule: String
    }

    public struct NamespaceVolumes: Sendable, Equatable, Codable {
        public var namespace: String
        /// The storage class of every claim that names none.
        public var storageClass: String?
        public var claims: [Claim]
        public var definedIn: [String]
        /// The globs a backup of the namespace must hold (`--expect-pvc`, `expectPVCs`).
        public var globs: [String] { claims.map(\.glob) }
    }

    public struct Claim: Sendable, Equatable, Codable {
        /// A glob over PVC names (`*` and `?`).
        public var glob: String
        public var size: StorageSize
        public var storageClass: String?
        /// What owns the claim, for messages ("StatefulSet loki").
        public var workload: String?
    }

    public struct Heartbeat: Sendable, Equatable, Codable {
        public enum Source: Sendable, Equatable, Codable {
            /// Alertmanager routes an always-firing alert to a webhook receiver.
            case alertmanagerRoute(AlertmanagerRoute)
            /// A CronJob pings the monitor on a schedule.
            case cronJob(CronJob)
        }

        public var source: Source
        /// The external monitor's check: it alerts when no ping came for period + grace.
        public var monitor: Monitor
    }

    public struct AlertmanagerRoute: Sendable, Equatable, Codable {
        public var namespace: String
        /// The Alertmanager resource prometheus-operator runs: its generated config Secret is
        /// `alertmanager-<name>-generated` (reference alerting.md §2, §6).
        public var alertmanager: String
        /// The Service drbook reaches Alertmanager's API through (the API server's service proxy).
        public var alertmanagerService: ServiceName
        /// The Service of the Prometheus that evaluates the always-firing rule.
        public var prometheusService: ServiceName
        public var alertname: String
        public var receiver: String
        public var groupInterval: ProfileDuration
        public var repeatInterval: ProfileDuration
        public var definedIn: [String]
    }

    /// A Service in the route's namespace, `name` or `name:port` (a port name or number).
    public struct ServiceName: Sendable, Equatable, Codable, CustomStringConvertible {
        public var name: String
        public var port: String?
        public var description: String { port.map { "\(name):\($0)" } ?? name }

        public init(name: String, port: String? = nil) {
            self.name = name
            self.port = port
        }
    }

    public struct CronJob: Sendable, Equatable, Codable {
        public var namespace: String
        public var name: String
        public var schedule: String
        public var definedIn: [String]
    }

    public struct Monitor: Sendable, Equatable, Codable {
        public var period: ProfileDuration
        public var grace: ProfileDuration
    }

    /// What a restore of the observability namespace needs besides its volumes.
    public struct RestoreNames: Sendable, Equatable, Codable {
        /// The Flux object that applies the stack, suspended while a restore runs.
        public var fluxOwner: FluxOwner
        /// The Secret holding the Kopia repository's password, and its key.
        public var repositoryPasswordSecret: ObjectName
        public var repositoryPasswordKey: String
    }

    /// What proves a restore brought the data back besides the bytes velero.restoreProof
    /// counts: the Services the probes ask, and how much history before the backup must be there.
    public struct DataProbes: Sendable, Equatable, Codable {
        /// How far before the backup's completion the oldest sample must reach.
        public var history: ProfileDuration
        public var prometheus: ServiceEndpoint?
        public var alertmanager: ServiceEndpoint?
    }

    /// A Service by namespace and name (or name:port), reached through the service proxy.
    public struct ServiceEndpoint: Sendable, Equatable, Codable {
        public var namespace: String
        public var service: ServiceName
    }

    /// A Flux Kustomization or HelmRelease by kind, namespace and name.
    public struct FluxOwner: Sendable, Equatable, Codable {
        public var kind: String
        public var namespace: String
        public var name: String
    }

    /// The SOPS file entry called `name`. The reader has checked every reference, so the
    /// profile's own references (`store.credentialsFile`, an alert secret's `file`) always resolve.
    public func sopsFile(named name: String) -> SopsFileEntry? {
        sopsFiles.first { $0.name == name }
    }

    /// The path of the SOPS file holding an alert secret.
    public func path(of secret: AlertSecret) -> String { sopsFile(named: secret.file)?.path ?? secret.file }

    /// The path of the SOPS file holding the store's credentials.
    public var storeCredentialsPath: String { sopsFile(named: store.credentialsFile)?.path ?? store.credentialsFile }

    /// Each alert secret's format by its variable name, for keys named without a format.
    public var valueFormats: [String: ValueFormat] {
        Dictionary(alerting.all.map { ($0.variable, $0.format) }, uniquingKeysWith: { first, _ in first })
    }

    /// The values that mean "never set", by variable name.
    public var placeholderValues: [String: [String]] {
        var values: [String: [String]] = [:]
        for secret in alerting.all where !secret.placeholders.isEmpty {
            values[secret.variable, default: []].append(contentsOf: secret.placeholders.map(\.value))
        }
        return values
    }

    /// The volume expectations of `namespace`, if the profile has any.
    public func volumes(in namespace: String) -> NamespaceVolumes? {
        volumes.first { $0.namespace == namespace }
    }
}

/// A duration as the profile writes it (`50s`, `5m`, `1h30m`), kept with its text for messages.
public struct ProfileDuration: Sendable, Equatable, Codable, CustomStringConvertible {
    public var text: String
    public var seconds: Int
    public var duration: Duration { .seconds(seconds) }
    public var description: String { text }

    /// `<n>h`, `<n>m`, `<n>s` in that order, at least one; nil for anything else.
    public init?(_ text: String) {
        guard let match = text.wholeMatch(of: /(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?/), !text.isEmpty else { return nil }
        let parts = [match.1, match.2, match.3].map { $0.flatMap { Int($0) } ?? 0 }
        self.text = text
        self.seconds = parts[0] * 3_600 + parts[1] * 60 + parts[2]
    }
}

/// A Kubernetes storage quantity as a claim requests it (`20Gi`, `500Mi`, `10G`), with its bytes.
public struct StorageSize: Sendable, Equatable, Codable, CustomStringConvertible {
    public var text: String
    public var bytes: Int64
    public var description: String { text }

    public init?(_ text: String) {
        guard let match = text.wholeMatch(of: /([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?/), let number = Int64(match.1) else { return nil }
        let multiplier: Int64 = switch match.2.map(String.init) {
        case "Ki": 1 << 10
        case "Mi": 1 << 20
        case "Gi": 1 << 30
        case "Ti": 1 << 40
        case "k": 1_000
        case "M": 1_000_000
        case "G": 1_000_000_000
        case "T": 1_000_000_000_000
        default: 1
        }
        self.text = text
        self.bytes = number * multiplier
    }
}
