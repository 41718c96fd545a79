import DRBookPlatform
import DRBookSecrets
import DRBookTestSupport
import Foundation
import Testing
import Yams

/// The platform's real files for one profile, read in place (never copied): `platform/` for the
/// default layout, `platform-head/` (DRBOOK_PLATFORM_HEAD_FIXTURES, or beside `platform/`) for head.
/// Manifests are named by their repository path under k8s/ with `/` as `--`.
struct LayoutFixtures {
    let root: String
    var shortNames: [String: String] = [:]

    static let reference = LayoutFixtures(root: PlatformFixtures.root, shortNames: referenceShortNames)
    static var head: LayoutFixtures {
        if let path = ProcessInfo.processInfo.environment["DRBOOK_PLATFORM_HEAD_FIXTURES"], !path.isEmpty { return LayoutFixtures(root: path) }
        return LayoutFixtures(root: URL(fileURLWithPath: PlatformFixtures.root).deletingLastPathComponent().appendingPathComponent("platform-head").path)
    }

    /// Two manifests of the reference layout were stored under short names.
    static let referenceShortNames = [
        "k8s/bases/infrastructure/controllers/kube-prometheus-stack/helm-release.yaml": "kube-prometheus-stack-helm-release.yaml",
        "k8s/bases/infrastructure/controllers/velero/helm-release.yaml": "velero-helm-release.yaml",
    ]

    func file(_ relative: String) throws -> String {
        let path = "\(root)/\(relative)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw MissingFixture(description: "the platform fixture \(relative) is required by this test but was not found in \(root); set DRBOOK_PLATFORM_FIXTURES (and DRBOOK_PLATFORM_HEAD_FIXTURES) to the fixtures folders")
        }
        return path
    }

    /// The text of the manifest at a repository path such as `k8s/bases/…/cron-job.yaml`.
    func manifest(_ repositoryPath: String) throws -> String {
        let name = shortNames[repositoryPath] ?? repositoryPath.replacingOccurrences(of: "k8s/", with: "").replacingOccurrences(of: "/", with: "--")
        return try String(contentsOfFile: try file("manifests/\(name)"), encoding: .utf8)
    }

    /// The fixture of a SOPS file: the local cluster's copy stands in for prod's (prod's keys are not public).
    func sops(_ repositoryPath: String) throws -> String {
        let local = repositoryPath.replacingOccurrences(of: "k8s/clusters/prod/bootstrap/", with: "local-")
        return try file("sops/\((local as NSString).lastPathComponent)")
    }
}

struct MissingFixture: Error, CustomStringConvertible {
    var description: String
}

/// Checks every fact of `profile` that the fixtures hold; the facts they cannot hold are listed by the caller.
func checkAgainstFixtures(_ profile: PlatformProfile, _ fixtures: LayoutFixtures, notInFixtures: Set<String> = [],
                          expectMissing: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) throws {
    // SOPS: each key the profile names is in its file (the local copy), encrypted.
    let keys = profile.alerting.all.map { (profile.path(of: $0), $0.key) }
        + [(profile.storeCredentialsPath, profile.store.accessKeyIDPath), (profile.storeCredentialsPath, profile.store.secretAccessKeyPath)]
    for (path, key) in keys {
        let file = try SopsFile.load(path: try fixtures.sops(path))
        let inspection = SopsInspector().inspect(file, keys: [try #require(SopsKeyPath(parsing: key))])
        let expected: KeyInspection.State = expectMissing.contains(key) ? .missing : .encrypted
        #expect(inspection.keys.first?.state == expected, "\(key) in \(path)", sourceLocation: sourceLocation)
    }
    // Placeholders: each is the ${variable:=value} default of the manifests named.
    for secret in profile.alerting.all {
        for placeholder in secret.placeholders {
            #expect(!placeholder.definedIn.isEmpty, "the placeholder of \(secret.key) names no manifest", sourceLocation: sourceLocation)
            for manifest in placeholder.definedIn {
                let found = Placeholders.fromManifests([try fixtures.manifest(manifest)]).byVariable[secret.variable] ?? []
                #expect(found.contains(placeholder.value), "\(manifest) has \(found) for \(secret.variable)", sourceLocation: sourceLocation)
            }
        }
    }
    // The store's prefix is substituted from the variable named.
    for manifest in profile.store.definedIn {
        #expect(try fixtures.manifest(manifest).contains("${\(profile.store.prefixVariable)}"), "\(manifest)", sourceLocation: sourceLocation)
    }
    // Volumes: each size and storage class is what the manifests request.
    for volumes in profile.volumes {
        let texts = try volumes.definedIn.map { try fixtures.manifest($0) }.joined(separator: "\n")
        for claim in volumes.claims where !notInFixtures.contains(claim.glob) {
            #expect(texts.contains(": \(claim.size.text)\n"), "\(claim.glob) \(claim.size)", sourceLocation: sourceLocation)
            if let storageClass = claim.storageClass ?? volumes.storageClass {
                #expect(texts.contains(": \(storageClass)\n"), "\(claim.glob) on \(storageClass)", sourceLocation: sourceLocation)
            }
        }
    }
}

@Suite("The platform profiles agree with the platform's own files")
struct ProfileFixtureTests {
    @Test("default: the keys, the heartbeat placeholder, the prefix variable, the volumes and the Watchdog route of 7b1096307")
    func defaultLayout() throws {
        let profile = PlatformProfile.default
        // The local cluster's file has no heartbeat URL, by design (reference/platform.md §1).
        try checkAgainstFixtures(profile, .reference, expectMissing: [profile.alerting.heartbeatURL.key])
        guard case let .alertmanagerRoute(route) = profile.heartbeat.source else {
            Issue.record("the default heartbeat is not an Alertmanager route")
            return
        }
        let manifest = try #require(route.definedIn.first)
        let release = try #require(try Yams.load(yaml: try LayoutFixtures.reference.manifest(manifest)) as? [String: Any])
        #expect((release["metadata"] as? [String: Any])?["namespace"] as? String == route.namespace)
        let config = ((release["spec"] as? [String: Any])?["values"] as? [String: Any])?["alertmanager"] as? [String: Any]
        let routes = ((config?["config"] as? [String: Any])?["route"] as? [String: Any])?["routes"] as? [[String: Any]] ?? []
        let watchdog = try #require(routes.first { ($0["matchers"] as? [String])?.contains("alertname = \"\(route.alertname)\"") == true })
        #expect(watchdog["receiver"] as? String == route.receiver)
        #expect(watchdog["group_interval"] as? String == route.groupInterval.text)
        #expect(watchdog["repeat_interval"] as? String == route.repeatInterval.text)
    }

    @Test("head: the renamed file's keys, the Slack and heartbeat placeholders, the volumes and the cluster-heartbeat CronJob of 2dc642957")
    func headLayout() throws {
        let profile = try #require(PlatformProfile.named("head"))
        // The coroot-db Cluster (k8s/providers/hetzner/infrastructure/coroot/cluster.yaml) is not among
        // the fixtures; its size and class come from reference/platform-head.md §5.2.
        try checkAgainstFixtures(profile, .head, notInFixtures: ["coroot-db-*"], expectMissing: [profile.alerting.heartbeatURL.key])
        // The prod kustomization lists the renamed file.
        let kustomization = try LayoutFixtures.head.manifest("k8s/clusters/prod/bootstrap/kustomization.yaml")
        #expect(kustomization.contains(((profile.path(of: profile.alerting.slackWebhook)) as NSString).lastPathComponent))
        guard case let .cronJob(job) = profile.heartbeat.source else {
            Issue.record("the head heartbeat is not a CronJob")
            return
        }
        let manifest = try #require(job.definedIn.first)
        let cronJob = try #require(try Yams.load(yaml: try LayoutFixtures.head.manifest(manifest)) as? [String: Any])
        #expect(cronJob["kind"] as? String == "CronJob")
        let metadata = cronJob["metadata"] as? [String: Any]
        #expect(metadata?["name"] as? String == job.name)
        #expect(metadata?["namespace"] as? String == job.namespace)
        #expect((cronJob["spec"] as? [String: Any])?["schedule"] as? String == job.schedule)
        #expect(profile.namespaces.observability == job.namespace)
    }
}
