import Foundation
import Yams

/// Reads a platform profile from YAML, collecting every problem with its file:line:column.
///
/// A small reader of its own rather than DRBookRunbook's: the engine sits above the systems'
/// modules and this one sits below them (DRBookSecrets reads it), so neither may import the other.
struct PlatformProfileReader {
    static let apiVersion = "drbook/v1"
    static let kind = "PlatformProfile"

    let file: String
    private(set) var problems: [PlatformProfileError.Problem] = []

    static func load(yaml: String, file: String) throws(PlatformProfileError) -> PlatformProfile {
        var reader = PlatformProfileReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw PlatformProfileError([reader.problem(for: error)], fix: "write the profile as valid YAML")
        } catch {
            throw PlatformProfileError(at: reader.start, "invalid YAML: \(error)", fix: "write the profile as valid YAML")
        }
        guard let root else {
            throw PlatformProfileError(at: reader.start, "the platform profile is empty",
                                       fix: "write a profile (platforms/default.yaml is one), or remove platform: from drbook.yaml to use the default")
        }
        let profile = reader.profile(root)
        guard reader.problems.isEmpty, let profile else { throw PlatformProfileError(reader.problems) }
        return profile
    }

    private var start: ProfilePosition { ProfilePosition(file: file, line: 1, column: 1) }

    // MARK: the sections

    private mutating func profile(_ root: Node) -> PlatformProfile? {
        guard var top = fields(root, "the platform profile", allowed: [
            "apiVersion", "kind", "name", "description", "source", "sops", "alerting", "store", "namespaces", "velero", "volumes", "heartbeat",
            "restore", "dataProbes",
        ], reserved: [
            "secretChains": "each secret's chain of hops from git to its consumer",
        ]) else { return nil }
        if let node = top.required("apiVersion"), let text = string(node, "apiVersion"), text != Self.apiVersion {
            error(at: node, "apiVersion is '\(text)'; expected \(Self.apiVersion)")
        }
        if let node = top.required("kind"), let text = string(node, "kind"), text != Self.kind {
            error(at: node, "kind is '\(text)'; expected \(Self.kind)")
        }
        let name = top.required("name").flatMap { self.name($0, "name") }
        let sopsFiles = top.required("sops").flatMap { self.sopsFiles($0) } ?? []
        let alerting = top.required("alerting").flatMap { self.alerting($0, files: sopsFiles) }
        let store = top.required("store").flatMap { self.store($0, files: sopsFiles) }
        let namespaces = top.required("namespaces").flatMap { self.namespaces($0) }
        let velero = top.required("velero").flatMap { self.velero($0) }
        let volumes = top.required("volumes").flatMap { self.volumes($0) }
        let heartbeat = top.required("heartbeat").flatMap { self.heartbeat($0) }
        let description = top.optional("description").flatMap { string($0, "description") }
        let source = top.optional("source").flatMap { string($0, "source") }
        let restore = top.optional("restore").flatMap { self.restore($0) }
        let dataProbes = top.optional("dataProbes").flatMap { self.dataProbes($0) }
        problems.append(contentsOf: top.problems)
        guard let name, let alerting, let store, let namespaces, let velero, let volumes, let heartbeat else { return nil }
        var profile = PlatformProfile(name: name, description: description, source: source, origin: file, sopsFiles: sopsFiles,
                                      alerting: alerting, store: store, namespaces: namespaces, velero: velero, volumes: volumes, heartbeat: heartbeat)
        profile.restore = restore
        profile.dataProbes = dataProbes
        return profile
    }

    /// `dataProbes:` — how much history a restored Prometheus must hold, and the Services the
    /// data probes ask.
    private mutating func dataProbes(_ node: Node) -> PlatformProfile.DataProbes? {
        guard var map = fields(node, "dataProbes", allowed: ["history", "prometheus", "alertmanager"]) else { return nil }
        let history = map.required("history").flatMap { duration($0, "dataProbes.history") }
        let prometheus = map.optional("prometheus").flatMap { serviceEndpoint($0, "dataProbes.prometheus") }
        let alertmanager = map.optional("alertmanager").flatMap { serviceEndpoint($0, "dataProbes.alertmanager") }
        problems.append(contentsOf: map.problems)
        guard let history else { return nil }
        return PlatformProfile.DataProbes(history: history, prometheus: prometheus, alertmanager: alertmanager)
    }

    private mutating func serviceEndpoint(_ node: Node, _ what: String) -> PlatformProfile.ServiceEndpoint? {
        guard var map = fields(node, what, allowed: ["namespace", "service"]) else { return nil }
        let namespace = map.required("namespace").flatMap { name($0, "\(what).namespace") }
        let service = map.required("service").flatMap { serviceName($0, "\(what).service") }
        problems.append(contentsOf: map.problems)
        guard let namespace, let service else { return nil }
        return PlatformProfile.ServiceEndpoint(namespace: namespace, service: service)
    }

    /// `restore:` — the Flux object that applies the observability stack and the Secret
    /// holding the Kopia repository's password.
    private mutating func restore(_ node: Node) -> PlatformProfile.RestoreNames? {
        guard var map = fields(node, "restore", allowed: ["fluxOwner", "repositoryPassword"]) else { return nil }
        var owner: PlatformProfile.FluxOwner?
        if let node = map.required("fluxOwner"), var inner = fields(node, "restore.fluxOwner", allowed: ["kind", "namespace", "name"]) {
            let kind = inner.required("kind").flatMap { node -> String? in
                guard let text = string(node, "restore.fluxOwner.kind") else { return nil }
                guard ["Kustomization", "HelmRelease"].contains(text) else {
                    error(at: node, "restore.fluxOwner.kind is '\(text)'; expected Kustomization or HelmRelease")
                    return nil
                }
                return text
            }
            let namespace = inner.required("namespace").flatMap { name($0, "restore.fluxOwner.namespace") }
            let ownerName = inner.required("name").flatMap { name($0, "restore.fluxOwner.name") }
            problems.append(contentsOf: inner.problems)
            if let kind, let namespace, let ownerName { owner = PlatformProfile.FluxOwner(kind: kind, namespace: namespace, name: ownerName) }
        }
        var password: (secret: PlatformProfile.ObjectName, key: String)?
        if let node = map.required("repositoryPassword"), var inner = fields(node, "restore.repositoryPassword", allowed: ["secret", "key"]) {
            let secret = inner.required("secret").flatMap { objectName($0, "restore.repositoryPassword.secret") }
            let key = inner.required("key").flatMap { string($0, "restore.repositoryPassword.key") }
            problems.append(contentsOf: inner.problems)
            if let secret, let key { password = (secret, key) }
        }
        problems.append(contentsOf: map.problems)
        guard let owner, let password else { return nil }
        return PlatformProfile.RestoreNames(fluxOwner: owner, repositoryPasswordSecret: password.secret, repositoryPasswordKey: password.key)
    }

    private mutating func sopsFiles(_ node: Node) -> [PlatformProfile.SopsFileEntry]? {
        guard let entries = entries(node, "sops") else { return nil }
        if entries.isEmpty { error(at: node, "sops names no file; expected at least one, e.g. cluster: {path: …, secret: namespace/name}") }
        return entries.compactMap { key, value -> PlatformProfile.SopsFileEntry? in
            let what = "sops.\(key.text)"
            guard var map = fields(value, what, allowed: ["path", "secret"]) else { return nil }
            let path = map.required("path").flatMap { string($0, "\(what).path") }
            let secret = map.optional("secret").flatMap { objectName($0, "\(what).secret") }
            problems.append(contentsOf: map.problems)
            return path.map { PlatformProfile.SopsFileEntry(name: key.text, path: $0, secret: secret) }
        }
    }

    private mutating func alerting(_ node: Node, files: [PlatformProfile.SopsFileEntry]) -> PlatformProfile.Alerting? {
        guard var map = fields(node, "alerting", allowed: ["slackWebhook", "heartbeatURL"]) else { return nil }
        let slack = map.required("slackWebhook").flatMap { alertSecret($0, "alerting.slackWebhook", files: files) }
        let heartbeat = map.required("heartbeatURL").flatMap { alertSecret($0, "alerting.heartbeatURL", files: files) }
        problems.append(contentsOf: map.problems)
        guard let slack, let heartbeat else { return nil }
        return PlatformProfile.Alerting(slackWebhook: slack, heartbeatURL: heartbeat)
    }

    private mutating func alertSecret(_ node: Node, _ what: String, files: [PlatformProfile.SopsFileEntry]) -> PlatformProfile.AlertSecret? {
        guard var map = fields(node, what, allowed: ["file", "key", "format", "placeholders"]) else { return nil }
        let file = map.required("file").flatMap { fileReference($0, "\(what).file", files: files) }
        let key = map.required("key").flatMap { keyPath($0, "\(what).key") }
        let format = map.required("format").flatMap { valueFormat($0, "\(what).format") }
        let placeholders = map.optional("placeholders").flatMap { self.placeholders($0, "\(what).placeholders") } ?? []
        problems.append(contentsOf: map.problems)
        guard let file, let key, let format else { return nil }
        return PlatformProfile.AlertSecret(file: file, key: key, format: format, placeholders: placeholders)
    }

    private mutating func placeholders(_ node: Node, _ what: String) -> [PlatformProfile.Placeholder]? {
        guard let items = sequence(node, what) else { return nil }
        return items.compactMap { item -> PlatformProfile.Placeholder? in
            guard var map = fields(item, "an item of \(what)", allowed: ["value", "definedIn"]) else { return nil }
            let value = map.required("value").flatMap { string($0, "\(what).value") }
            if let node = map.node("value"), value?.isEmpty == true { error(at: node, "\(what).value is empty; expected the value a manifest substitutes when the secret is unset") }
            let definedIn = map.optional("definedIn").flatMap { paths($0, "\(what).definedIn") } ?? []
            problems.append(contentsOf: map.problems)
            return value.map { PlatformProfile.Placeholder(value: $0, definedIn: definedIn) }
        }
    }

    private mutating func store(_ node: Node, files: [PlatformProfile.SopsFileEntry]) -> PlatformProfile.Store? {
        guard var map = fields(node, "store", allowed: ["credentials", "prefixVariable", "definedIn"]) else { return nil }
        var credentials: (file: String?, id: String?, secret: String?)?
        if let node = map.required("credentials"), var inner = fields(node, "store.credentials", allowed: ["file", "accessKeyID", "secretAccessKey"]) {
            credentials = (inner.required("file").flatMap { fileReference($0, "store.credentials.file", files: files) },
                           inner.required("accessKeyID").flatMap { keyPath($0, "store.credentials.accessKeyID") },
                           inner.required("secretAccessKey").flatMap { keyPath($0, "store.credentials.secretAccessKey") })
            problems.append(contentsOf: inner.problems)
        }
        let prefix = map.required("prefixVariable").flatMap { variableName($0, "store.prefixVariable") }
        let definedIn = map.optional("definedIn").flatMap { paths($0, "store.definedIn") } ?? []
        problems.append(contentsOf: map.problems)
        guard let file = credentials?.file, let id = credentials?.id, let secret = credentials?.secret, let prefix else { return nil }
        return PlatformProfile.Store(credentialsFile: file, accessKeyIDPath: id, secretAccessKeyPath: secret, prefixVariable: prefix, definedIn: definedIn)
    }

    private mutating func namespaces(_ node: Node) -> PlatformProfile.Namespaces? {
        guard var map = fields(node, "namespaces", allowed: ["observability", "velero", "flux"]) else { return nil }
        let observability = map.required("observability").flatMap { name($0, "namespaces.observability") }
        let velero = map.required("velero").flatMap { name($0, "namespaces.velero") }
        let flux = map.required("flux").flatMap { name($0, "namespaces.flux") }
        problems.append(contentsOf: map.problems)
        guard let observability, let velero, let flux else { return nil }
        return PlatformProfile.Namespaces(observability: observability, velero: velero, flux: flux)
    }

    private mutating func velero(_ node: Node) -> PlatformProfile.Velero? {
        guard var map = fields(node, "velero", allowed: ["location", "schedule"]) else { return nil }
        let location = map.required("location").flatMap { name($0, "velero.location") }
        let schedule = map.required("schedule").flatMap { name($0, "velero.schedule") }
        problems.append(contentsOf: map.problems)
        guard let location, let schedule else { return nil }
        return PlatformProfile.Velero(location: location, schedule: schedule)
    }

    private mutating func volumes(_ node: Node) -> [PlatformProfile.NamespaceVolumes]? {
        guard let items = sequence(node, "volumes") else { return nil }
        var seen: Set<String> = []
        return items.compactMap { item -> PlatformProfile.NamespaceVolumes? in
            guard var map = fields(item, "an item of volumes", allowed: ["namespace", "storageClass", "claims", "definedIn"]) else { return nil }
            let namespace = map.required("namespace").flatMap { name($0, "volumes[].namespace") }
            if let namespace, let node = map.node("namespace"), !seen.insert(namespace).inserted {
                error(at: node, "volumes lists namespace '\(namespace)' twice; expected one entry per namespace")
            }
            let what = "the volumes of \(namespace ?? "a namespace")"
            let storageClass = map.optional("storageClass").flatMap { name($0, "\(what): storageClass") }
            let claims = map.required("claims").flatMap { self.claims($0, what) }
            let definedIn = map.optional("definedIn").flatMap { paths($0, "\(what): definedIn") } ?? []
            problems.append(contentsOf: map.problems)
            guard let namespace, let claims else { return nil }
            return PlatformProfile.NamespaceVolumes(namespace: namespace, storageClass: storageClass, claims: claims, definedIn: definedIn)
        }
    }

    private mutating func claims(_ node: Node, _ what: String) -> [PlatformProfile.Claim]? {
        guard let items = sequence(node, "claims of \(what)") else { return nil }
        if items.isEmpty { error(at: node, "\(what) lists no claims; expected at least one {glob, size}") }
        return items.compactMap { item -> PlatformProfile.Claim? in
            guard var map = fields(item, "a claim of \(what)", allowed: ["glob", "size", "storageClass", "workload"]) else { return nil }
            let glob = map.required("glob").flatMap { string($0, "a claim's glob") }
            let size = map.required("size").flatMap { node -> StorageSize? in
                guard let text = string(node, "a claim's size") else { return nil }
                guard let size = StorageSize(text) else {
                    error(at: node, "a claim's size is '\(text)'; expected a storage quantity such as 20Gi, 500Mi or 10G")
                    return nil
                }
                return size
            }
            let storageClass = map.optional("storageClass").flatMap { name($0, "a claim's storageClass") }
            let workload = map.optional("workload").flatMap { string($0, "a claim's workload") }
            problems.append(contentsOf: map.problems)
            guard let glob, let size else { return nil }
            return PlatformProfile.Claim(glob: glob, size: size, storageClass: storageClass, workload: workload)
        }
    }

    private mutating func heartbeat(_ node: Node) -> PlatformProfile.Heartbeat? {
        guard var map = fields(node, "heartbeat", allowed: ["alertmanagerRoute", "cronJob", "monitor"]) else { return nil }
        var source: PlatformProfile.Heartbeat.Source?
        switch (map.node("alertmanagerRoute"), map.node("cronJob")) {
        case let (route?, nil):
            if var inner = fields(route, "heartbeat.alertmanagerRoute", allowed: [
                "namespace", "alertmanager", "alertmanagerService", "prometheusService", "alertname", "receiver", "groupInterval", "repeatInterval", "definedIn",
            ]) {
                let what = "heartbeat.alertmanagerRoute"
                let namespace = inner.required("namespace").flatMap { name($0, "\(what).namespace") }
                let alertmanager = inner.required("alertmanager").flatMap { name($0, "\(what).alertmanager") }
                let alertmanagerService = inner.required("alertmanagerService").flatMap { serviceName($0, "\(what).alertmanagerService") }
                let prometheusService = inner.required("prometheusService").flatMap { serviceName($0, "\(what).prometheusService") }
                let alertname = inner.required("alertname").flatMap { string($0, "\(what).alertname") }
                let receiver = inner.required("receiver").flatMap { string($0, "\(what).receiver") }
                let group = inner.required("groupInterval").flatMap { duration($0, "\(what).groupInterval") }
                let repeatInterval = inner.required("repeatInterval").flatMap { duration($0, "\(what).repeatInterval") }
                let definedIn = inner.optional("definedIn").flatMap { paths($0, "\(what).definedIn") } ?? []
                problems.append(contentsOf: inner.problems)
                if let namespace, let alertmanager, let alertmanagerService, let prometheusService, let alertname, let receiver, let group, let repeatInterval {
                    source = .alertmanagerRoute(PlatformProfile.AlertmanagerRoute(
                        namespace: namespace, alertmanager: alertmanager, alertmanagerService: alertmanagerService, prometheusService: prometheusService,
                        alertname: alertname, receiver: receiver, groupInterval: group, repeatInterval: repeatInterval, definedIn: definedIn))
                }
            }
        case let (nil, cronJob?):
            if var inner = fields(cronJob, "heartbeat.cronJob", allowed: ["namespace", "name", "schedule", "definedIn"]) {
                let what = "heartbeat.cronJob"
                let namespace = inner.required("namespace").flatMap { name($0, "\(what).namespace") }
                let jobName = inner.required("name").flatMap { name($0, "\(what).name") }
                let schedule = inner.required("schedule").flatMap { node -> String? in
                    guard let text = string(node, "\(what).schedule") else { return nil }
                    guard text.split(separator: " ").count == 5 || text.hasPrefix("@") else {
                        error(at: node, "\(what).schedule is '\(text)'; expected a cron schedule of five fields such as \"*/5 * * * *\"")
                        return nil
                    }
                    return text
                }
                let definedIn = inner.optional("definedIn").flatMap { paths($0, "\(what).definedIn") } ?? []
                problems.append(contentsOf: inner.problems)
                if let namespace, let jobName, let schedule {
                    source = .cronJob(PlatformProfile.CronJob(namespace: namespace, name: jobName, schedule: schedule, definedIn: definedIn))
                }
            }
        case (_?, _?):
            error(at: node, "heartbeat has both alertmanagerRoute and cronJob; expected the one that pings the monitor")
        case (nil, nil):
            error(at: node, "heartbeat has neither alertmanagerRoute nor cronJob; expected the one that pings the monitor")
        }
        var monitor: PlatformProfile.Monitor?
        if let node = map.required("monitor"), var inner = fields(node, "heartbeat.monitor", allowed: ["period", "grace"]) {
            let period = inner.required("period").flatMap { duration($0, "heartbeat.monitor.period") }
            let grace = inner.required("grace").flatMap { duration($0, "heartbeat.monitor.grace") }
            problems.append(contentsOf: inner.problems)
            if let period, let grace { monitor = PlatformProfile.Monitor(period: period, grace: grace) }
        }
        problems.append(contentsOf: map.problems)
        guard let source, let monitor else { return nil }
        return PlatformProfile.Heartbeat(source: source, monitor: monitor)
    }

    // MARK: scalars

    private mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            error(at: node, "\(what) is \(shape(of: node)); expected a string")
            return nil
        }
        return scalar.string
    }

    /// A Kubernetes name: lowercase letters, digits and '-' (RFC 1123 label).
    private mutating func name(_ node: Node, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        guard text.wholeMatch(of: /[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/) != nil else {
            error(at: node, "\(what) is '\(text)'; expected a Kubernetes name (lowercase letters, digits and '-')")
            return nil
        }
        return text
    }

    /// `name` or `name:port`: a Service and, optionally, its port's name or number.
    private mutating func serviceName(_ node: Node, _ what: String) -> PlatformProfile.ServiceName? {
        guard let text = string(node, what) else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts[0].wholeMatch(of: /[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/) != nil,
              parts.count == 1 || parts[1].wholeMatch(of: /[a-z0-9]([-a-z0-9]*[a-z0-9])?/) != nil else {
            error(at: node, "\(what) is '\(text)'; expected a Service as name or name:port, e.g. alertmanager-operated:9093")
            return nil
        }
        return PlatformProfile.ServiceName(name: parts[0], port: parts.count == 2 ? parts[1] : nil)
    }

    private mutating func objectName(_ node: Node, _ what: String) -> PlatformProfile.ObjectName? {
        guard let text = string(node, what) else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.wholeMatch(of: /[a-z0-9]([-a-z0-9.]*[a-z0-9])?/) != nil }) else {
            error(at: node, "\(what) is '\(text)'; expected namespace/name, e.g. flux-system/variables")
            return nil
        }
        return PlatformProfile.ObjectName(namespace: String(parts[0]), name: String(parts[1]))
    }

    /// A SOPS key path as people write it: names joined by dots (`stringData.name`).
    private mutating func keyPath(_ node: Node, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        guard text.wholeMatch(of: /[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)+/) != nil else {
            error(at: node, "\(what) is '\(text)'; expected a key path of names joined by dots, e.g. stringData.some_key")
            return nil
        }
        return text
    }

    /// A Flux substitution variable: what `${name}` may name.
    private mutating func variableName(_ node: Node, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        guard text.wholeMatch(of: /[_A-Za-z][_A-Za-z0-9]*/) != nil else {
            error(at: node, "\(what) is '\(text)'; expected a variable name (letters, digits, '_')")
            return nil
        }
        return text
    }

    private mutating func valueFormat(_ node: Node, _ what: String) -> ValueFormat? {
        guard let text = string(node, what) else { return nil }
        do {
            return try ValueFormat(parsing: text)
        } catch {
            self.error(at: node, "\(what): \(error.description)")
            return nil
        }
    }

    private mutating func duration(_ node: Node, _ what: String) -> ProfileDuration? {
        guard let text = string(node, what) else { return nil }
        guard let duration = ProfileDuration(text), duration.seconds > 0 else {
            error(at: node, "\(what) is '\(text)'; expected a duration such as 50s, 5m or 1h30m")
            return nil
        }
        return duration
    }

    /// A repository path, or a list of them.
    private mutating func paths(_ node: Node, _ what: String) -> [String]? {
        if node.scalar != nil { return string(node, what).map { [$0] } }
        guard let items = sequence(node, what) else { return nil }
        return items.compactMap { string($0, "an item of \(what)") }
    }

    private mutating func fileReference(_ node: Node, _ what: String, files: [PlatformProfile.SopsFileEntry]) -> String? {
        guard let text = string(node, what) else { return nil }
        guard files.contains(where: { $0.name == text }) else {
            let known = files.map(\.name)
            error(at: node, "\(what) is '\(text)', which sops does not name; expected one of: \(known.isEmpty ? "(none)" : known.joined(separator: ", "))")
            return nil
        }
        return text
    }

    // MARK: structure

    /// A mapping's entries, with each unknown key reported (typos are the commonest mistake).
    struct Fields {
        fileprivate var entries: [(key: String, keyNode: Node, value: Node)]
        fileprivate var parent: Node
        fileprivate var what: String
        fileprivate var position: (Node) -> ProfilePosition
        fileprivate(set) var problems: [PlatformProfileError.Problem] = []

        func node(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        func optional(_ key: String) -> Node? { node(key) }

        /// The value of `key`; a missing key is reported at the mapping that lacks it.
        mutating func required(_ key: String) -> Node? {
            if let found = node(key) { return found }
            problems.append(.init(position: position(parent), message: "\(what) has no '\(key)'; expected one"))
            return nil
        }
    }

    private mutating func fields(_ node: Node, _ what: String, allowed: [String], reserved: [String: String] = [:]) -> Fields? {
        guard let entries = entries(node, what) else { return nil }
        for (key, _) in entries where !allowed.contains(key.text) {
            if let feature = reserved[key.text] {
                error(at: key.node, "\(what) has '\(key.text)', which is reserved for \(feature) and not read by this drbook yet; remove it")
            } else {
                error(at: key.node, "\(what) has unknown key '\(key.text)'\(hint(for: key.text, among: allowed)); expected one of: \(allowed.joined(separator: ", "))")
            }
        }
        let file = self.file
        return Fields(entries: entries.map { ($0.key.text, $0.key.node, $0.value) }, parent: node, what: what,
                      position: { Self.position(of: $0, in: file) })
    }

    private mutating func entries(_ node: Node, _ what: String) -> [(key: (text: String, node: Node), value: Node)]? {
        guard let mapping = node.mapping else {
            error(at: node, "\(what) is \(shape(of: node)); expected a mapping of keys to values")
            return nil
        }
        var result: [(key: (text: String, node: Node), value: Node)] = []
        for (key, value) in mapping {
            guard let text = key.scalar?.string else {
                error(at: key, "\(what) has a key that is \(shape(of: key)); expected a plain name")
                continue
            }
            result.append(((text, key), value))
        }
        return result
    }

    private mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard let sequence = node.sequence else {
            error(at: node, "\(what) is \(shape(of: node)); expected a list")
            return nil
        }
        return Array(sequence)
    }

    /// " (did you mean 'x'?)" for the allowed name closest to a typo (at most two edits away).
    private func hint(for key: String, among names: [String]) -> String {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for (i, x) in a.enumerated() {
                var previous = row[0]
                row[0] = i + 1
                for (j, y) in b.enumerated() {
                    let current = row[j + 1]
                    row[j + 1] = x == y ? previous : Swift.min(previous, row[j], row[j + 1]) + 1
                    previous = current
                }
            }
            return row[b.count]
        }
        let typed = Array(key.lowercased())
        let scored = names.map { ($0, distance(typed, Array($0.lowercased()))) }.filter { $0.1 <= 2 }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return "" }
        return " (did you mean '\(best.0)'?)"
    }

    private func shape(of node: Node) -> String {
        switch node {
        case let .scalar(scalar): scalar.string.isEmpty ? "empty" : "the value '\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "a YAML alias"
        }
    }

    private mutating func error(at node: Node, _ message: String) {
        problems.append(.init(position: Self.position(of: node, in: file), message: message))
    }

    private static func position(of node: Node, in file: String) -> ProfilePosition {
        guard let mark = node.mark else { return ProfilePosition(file: file, line: 1, column: 1) }
        return ProfilePosition(file: file, line: mark.line, column: mark.column)
    }

    private func problem(for error: YamlError) -> PlatformProfileError.Problem {
        func at(_ mark: Mark) -> ProfilePosition { ProfilePosition(file: file, line: mark.line, column: mark.column) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return .init(position: at(mark), message: "invalid YAML: \(problem)\(during)")
        case let .duplicatedKeysInMapping(_, context):
            return .init(position: at(context.mark), message: "invalid YAML: a key appears more than once in one mapping; expected each key once")
        default:
            return .init(position: start, message: "invalid YAML: \(error)")
        }
    }
}
