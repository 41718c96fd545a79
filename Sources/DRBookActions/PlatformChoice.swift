import DRBookPlatform
import DRBookRunbook
import DRBookVelero
import Foundation

/// Which platform profile drbook serves: a `--platform` flag, else `platform:` in the
/// working directory's drbook.yaml, else the default (the layout docs/dr/alerting.md describes).
/// The CLI and the actions resolve it here, so both read the same key and agree.
public enum PlatformChoice {
    public static func resolve(override: String? = nil,
                               directory: String = FileManager.default.currentDirectoryPath) throws(PlatformProfileError) -> PlatformProfile {
        if let override, !override.isEmpty {
            return try PlatformProfile.select(override, relativeTo: directory)
        }
        // Named as the user knows it when it is the working directory's.
        let file = directory == FileManager.default.currentDirectoryPath
            ? Profile.fileName : URL(fileURLWithPath: directory).appendingPathComponent(Profile.fileName).path
        guard FileManager.default.fileExists(atPath: file) else { return .default }
        let profile: Profile
        do {
            profile = try Profile.load(path: file)
        } catch {
            // drbook.yaml's own errors keep their positions; the platform cannot be known past them.
            let problems = error.diagnostics.errors.map { diagnostic in
                PlatformProfileError.Problem(position: diagnostic.location.map { ProfilePosition(file: $0.file, line: $0.line, column: $0.column) }
                                                 ?? ProfilePosition(file: file, line: 1, column: 1),
                                             message: diagnostic.message)
            }
            throw PlatformProfileError(problems, fix: "correct \(Profile.fileName)")
        }
        guard let platform = profile.platform else { return .default }
        let at = ProfilePosition(file: platform.location.file, line: platform.location.line, column: platform.location.column)
        return try PlatformProfile.select(platform.value, relativeTo: directory, selectedAt: at)
    }
}

extension ActionEnvironment {
    /// The platform profile, or the reason it cannot be read as a step's failure.
    func platformProfile() throws(ActionError) -> PlatformProfile {
        switch platform {
        case let .success(profile): return profile
        case let .failure(error):
            throw ActionError("the platform profile cannot be read: \(error.problems.map(\.description).joined(separator: "; "))",
                              subject: error.problems.first?.position.description, fix: error.fix)
        }
    }
}

extension PlatformProfile {
    /// Where the profile's SOPS file keeps the store's access key pair.
    public var storeCredentialKeys: StoreCredentialKeys {
        StoreCredentialKeys(accessKeyID: store.accessKeyIDPath, secretAccessKey: store.secretAccessKeyPath)
    }

    /// What runbooks read as `${{ platform.… }}`: the profile's names and numbers, keyed for
    /// runbooks (volumes and SOPS files by name) rather than as the file lists them.
    public var runbookValue: Value {
        var volumesByNamespace: [String: Value] = [:]
        for entry in volumes {
            var fields: [String: Value] = ["globs": .list(entry.globs.map(Value.string))]
            if let storageClass = entry.storageClass { fields["storageClass"] = .string(storageClass) }
            volumesByNamespace[entry.namespace] = .map(fields)
        }
        var store: [String: Value] = [
            "accessKeyID": .string(self.store.accessKeyIDPath), "secretAccessKey": .string(self.store.secretAccessKeyPath),
            "prefixVariable": .string(self.store.prefixVariable),
        ]
        if let file = sopsFiles.first(where: { $0.name == self.store.credentialsFile }) { store["credentialsFile"] = .string(file.path) }
        var heartbeat: [String: Value] = [
            "monitor": .map(["period": .duration(self.heartbeat.monitor.period.duration), "grace": .duration(self.heartbeat.monitor.grace.duration)]),
        ]
        switch self.heartbeat.source {
        case let .alertmanagerRoute(route):
            heartbeat["source"] = .string("alertmanagerRoute")
            heartbeat["alertmanagerRoute"] = .map([
                "namespace": .string(route.namespace), "alertmanager": .string(route.alertmanager),
                "alertmanagerService": .string(route.alertmanagerService.description), "prometheusService": .string(route.prometheusService.description),
                "alertname": .string(route.alertname), "receiver": .string(route.receiver),
                "groupInterval": .duration(route.groupInterval.duration), "repeatInterval": .duration(route.repeatInterval.duration),
            ])
        case let .cronJob(job):
            heartbeat["source"] = .string("cronJob")
            heartbeat["cronJob"] = .map(["namespace": .string(job.namespace), "name": .string(job.name), "schedule": .string(job.schedule)])
        }
        var value: [String: Value] = [
            "name": .string(name),
            "heartbeat": .map(heartbeat),
            "namespaces": .map(["observability": .string(namespaces.observability), "velero": .string(namespaces.velero),
                                "flux": .string(namespaces.flux)]),
            "velero": .map(["location": .string(velero.location), "schedule": .string(velero.schedule)]),
            "volumes": .map(volumesByNamespace),
            "sops": .map(Dictionary(sopsFiles.map { ($0.name, Value.string($0.path)) }, uniquingKeysWith: { first, _ in first })),
            "store": .map(store),
        ]
        if let restore {
            value["restore"] = .map([
                "fluxOwner": .map(["kind": .string(restore.fluxOwner.kind), "namespace": .string(restore.fluxOwner.namespace),
                                   "name": .string(restore.fluxOwner.name)]),
                "repositoryPassword": .map(["namespace": .string(restore.repositoryPasswordSecret.namespace),
                                            "name": .string(restore.repositoryPasswordSecret.name), "key": .string(restore.repositoryPasswordKey)]),
            ])
        }
        if let dataProbes {
            var probes: [String: Value] = ["history": .duration(dataProbes.history.duration)]
            for (key, endpoint) in [("prometheus", dataProbes.prometheus), ("alertmanager", dataProbes.alertmanager)] {
                guard let endpoint else { continue }
                probes[key] = .map(["namespace": .string(endpoint.namespace), "service": .string(endpoint.service.description)])
            }
            value["dataProbes"] = .map(probes)
        }
        return .map(value)
    }

    /// Every built-in profile as runbooks read it, for lint: a runbook must serve each of them.
    public static var builtinRunbookValues: [(name: String, value: Value)] {
        builtinNames.compactMap { name in named(name).map { (name, $0.runbookValue) } }
    }
}
