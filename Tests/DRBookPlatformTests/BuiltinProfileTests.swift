import DRBookPlatform
import Foundation
import Testing

/// The repository's root, for the profile files and Sources/.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("The built-in platform profiles")
struct BuiltinProfileTests {
    @Test("the built-in profiles are platforms/*.yaml, byte for byte")
    func embeddedTextIsTheFile() throws {
        let folder = repositoryRoot.appendingPathComponent("platforms")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.map { String($0.dropLast(".yaml".count)) } == PlatformProfile.builtinNames.sorted())
        for file in files {
            let name = String(file.dropLast(".yaml".count))
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(PlatformProfile.builtinText(named: name) == text,
                    "Sources/DRBookPlatform/BuiltinProfiles.swift is stale for platforms/\(file): run scripts/generate-platforms")
            // Each file also loads on its own, as a copy a user edits would.
            let loaded = try PlatformProfile.load(path: folder.appendingPathComponent(file).path)
            #expect(loaded.name == name)
        }
    }

    @Test("the default is the layout the alerting document describes: the Watchdog route, monitoring, the variables files")
    func defaultProfile() throws {
        let profile = PlatformProfile.default
        #expect(profile.name == "default")
        #expect(profile.sopsFile(named: "cluster")?.path == "k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml")
        #expect(profile.sopsFile(named: "cluster")?.secret?.description == "flux-system/variables-cluster")
        #expect(profile.path(of: profile.alerting.slackWebhook) == "k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml")
        #expect(profile.alerting.slackWebhook.key == "stringData.alertmanager_webhook_url")
        #expect(profile.alerting.heartbeatURL.key == "stringData.alertmanager_heartbeat_url")
        #expect(profile.valueFormats == ["alertmanager_webhook_url": .slackWebhook, "alertmanager_heartbeat_url": .heartbeatURL])
        #expect(profile.placeholderValues == ["alertmanager_heartbeat_url": ["https://example.invalid/no-heartbeat-configured"]])
        #expect(profile.storeCredentialsPath == "k8s/bases/variables/variables-base-secret.enc.yaml")
        #expect(profile.store.accessKeyIDPath == "stringData.r2_access_key_id")
        #expect(profile.store.secretAccessKeyPath == "stringData.r2_secret_access_key")
        #expect(profile.store.prefixVariable == "r2_prefix_velero")
        #expect([profile.namespaces.observability, profile.namespaces.velero, profile.namespaces.flux] == ["monitoring", "velero", "flux-system"])
        #expect([profile.velero.location, profile.velero.schedule] == ["default", "daily-full"])
        let monitoring = try #require(profile.volumes(in: "monitoring"))
        #expect(monitoring.globs == ["prometheus-*", "alertmanager-*", "storage-loki-*"])
        #expect(monitoring.claims.map(\.size.text) == ["20Gi", "2Gi", "10Gi"])
        #expect(monitoring.claims[0].size.bytes == 20 << 30)
        #expect(monitoring.storageClass == "hcloud")
        guard case let .alertmanagerRoute(route) = profile.heartbeat.source else {
            Issue.record("the default heartbeat is \(profile.heartbeat.source), not the Watchdog route")
            return
        }
        #expect(route.alertname == "Watchdog" && route.receiver == "heartbeat" && route.namespace == "monitoring")
        #expect(route.groupInterval.seconds == 30 && route.repeatInterval.seconds == 50)
        #expect(profile.heartbeat.monitor.period.seconds == 300 && profile.heartbeat.monitor.grace.seconds == 600)
    }

    @Test("head is the moved layout: Coroot in observability, the cluster-heartbeat CronJob, the renamed SOPS file")
    func headProfile() throws {
        let profile = try #require(PlatformProfile.named("head"))
        #expect(profile.path(of: profile.alerting.heartbeatURL) == "k8s/clusters/prod/bootstrap/secret.enc.yaml")
        #expect(profile.storeCredentialsPath == "k8s/clusters/prod/bootstrap/secret.enc.yaml")
        #expect(profile.sopsFiles.map(\.name) == ["cluster"])
        #expect(profile.namespaces.observability == "observability")
        #expect(profile.placeholderValues["alertmanager_webhook_url"] == ["https://example.invalid/no-slack-configured"])
        #expect(profile.volumes(in: "monitoring") == nil)
        let observability = try #require(profile.volumes(in: "observability"))
        #expect(observability.claims.first { $0.glob == "coroot-db-*" }?.storageClass == "longhorn-wffc")
        guard case let .cronJob(job) = profile.heartbeat.source else {
            Issue.record("the head heartbeat is \(profile.heartbeat.source), not a CronJob")
            return
        }
        #expect(job.namespace == "observability" && job.name == "cluster-heartbeat" && job.schedule == "*/5 * * * *")
    }

    @Test("a profile is a value: it encodes to JSON and decodes to the same profile")
    func codable() throws {
        for name in PlatformProfile.builtinNames {
            let profile = try #require(PlatformProfile.named(name))
            let decoded = try JSONDecoder().decode(PlatformProfile.self, from: JSONEncoder().encode(profile))
            #expect(decoded == profile)
        }
    }
}

@Suite("Choosing a platform profile: a built-in name, a file, or the default")
struct PlatformSelectionTests {
    @Test("no selection is the default; a built-in name is that profile; a path is read relative to drbook.yaml's folder")
    func selections() throws {
        #expect(try PlatformProfile.select(nil) == .default)
        #expect(try PlatformProfile.select("head").name == "head")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("drbook-platform-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("platforms"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try #require(PlatformProfile.builtinText(named: "head")).replacingOccurrences(of: "name: head", with: "name: mine")
        try Data(text.utf8).write(to: directory.appendingPathComponent("platforms/mine.yaml"))
        let mine = try PlatformProfile.select("platforms/mine.yaml", relativeTo: directory.path)
        #expect(mine.name == "mine")
        #expect(mine.origin.hasSuffix("platforms/mine.yaml"))
    }

    @Test("an unknown name points at where it was chosen and lists the built-in names")
    func unknownName() {
        let at = ProfilePosition(file: "drbook.yaml", line: 2, column: 11)
        #expect {
            try PlatformProfile.select("haed", selectedAt: at)
        } throws: { error in
            guard let error = error as? PlatformProfileError else { return false }
            return error.description.hasPrefix("drbook.yaml:2:11: error: there is no built-in platform profile 'haed'")
                && error.fix.contains("default, head")
        }
    }

    @Test("a profile file that does not exist is named with the path looked for")
    func missingFile() {
        #expect {
            try PlatformProfile.select("platforms/nowhere.yaml", relativeTo: "/nonexistent")
        } throws: { error in
            (error as? PlatformProfileError)?.problems.first?.message.contains("/nonexistent/platforms/nowhere.yaml") == true
        }
    }
}
