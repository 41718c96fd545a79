import DRBookActions
import DRBookAlerting
import DRBookHTTP
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// Debian's Prometheus or Alertmanager on loopback, on a data directory of the test's choosing:
/// a volume put back by a restore is a copy of the old one, a fresh claim an empty directory.
private enum DataServer {
    static let install = "apt-get install -y prometheus prometheus-alertmanager (scripts/install-deps installs them)"

    /// Prometheus on `data`, evaluating nothing; `scrapeItself` then makes it scrape its own
    /// /metrics every second (the port is known only once it listens, so it reloads).
    static func prometheus(data: String, config: String) async throws -> ServerProcess {
        let binary = try Tools.require("prometheus", install: install)
        try "global: {scrape_interval: 1s}\n".write(toFile: config, atomically: true, encoding: .utf8)
        return try await ServerProcess.start {
            try ServerProcess.python("run_bound.py", ["/-/ready", binary, "--config.file=\(config)", "--storage.tsdb.path=\(data)",
                "--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"], name: "prometheus")
        }
    }

    static func scrapeItself(_ server: ServerProcess, config: String) async throws {
        try """
            global: {scrape_interval: 1s}
            scrape_configs:
              - job_name: prometheus
                static_configs: [{targets: ['127.0.0.1:\(server.port)']}]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let response = try await HTTPClient.shared.send(HTTPRequest(.post, server.baseURL.appendingPathComponent("-/reload")))
        #expect(response.status == 200, "Prometheus reloaded its config: \(response.bodyText)")
    }

    /// Alertmanager on `data`, writing its silences to disk every second (as it does every
    /// 15 minutes and at shutdown), so that a copy of the directory holds them.
    static func alertmanager(data: String, config: String) async throws -> ServerProcess {
        let binary = try Tools.require("prometheus-alertmanager", install: install)
        try "route: {receiver: default}\nreceivers: [{name: default}]\n".write(toFile: config, atomically: true, encoding: .utf8)
        return try await ServerProcess.start {
            try ServerProcess.python("run_bound.py", ["/-/ready", binary, "--config.file=\(config)", "--storage.path=\(data)",
                "--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--data.maintenance-interval=1s"], name: "alertmanager")
        }
    }

    /// Copies a data directory as a file-system backup and restore do.
    static func copy(_ source: String, to target: String) throws {
        try FileManager.default.copyItem(atPath: source, toPath: target)
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

private func probeRunbook(_ name: String, params: String, steps: String) -> String {
    "apiVersion: drbook/v1\nkind: Runbook\nmetadata:\n  name: \(name)\n  title: \(name)\nparams:\n\(params)steps:\n\(steps)"
}

private let environment = ActionEnvironment(processEnvironment: [:], kube: KubeConnection(access: KubeAccess(environment: [:])))

@Suite("The data came back: a restored Prometheus' history and Alertmanager's silences", .serialized, .timeLimit(.minutes(4)))
struct DataProofTests {
    static let prometheusSteps = """
          - id: history
            title: Prometheus has its history back
            uses: prometheus.dataSince
            with: {url: "${{ params.prometheus }}", backupAt: "${{ params.backupAt }}", margin: "${{ params.margin }}"}

        """
    static let prometheusParams = """
          prometheus: {type: string}
          backupAt: {type: string}
          margin: {type: duration, default: 2s}

        """

    @Test("a Prometheus restarted on a copy of its TSDB has samples from before the copy: passes, oldest sample from the first run")
    func restoredTSDB() async throws {
        let directory = try TemporaryDirectory()
        let first = try await DataServer.prometheus(data: directory.path("live"), config: directory.path("live.yml"))
        let firstStarted = Date()
        try await DataServer.scrapeItself(first, config: directory.path("live.yml"))
        let client = PrometheusClient(endpoint: .url(first.baseURL))
        let scraped = try await eventually(seconds: 30, { try await client.query("count_over_time(up[1m])").first?.value ?? 0 }, until: { $0 >= 5 })
        #expect(scraped >= 5, "Prometheus scraped itself")
        first.stop()
        // The backup: the volume's files as they were when Prometheus stopped.
        try DataServer.copy(directory.path("live"), to: directory.path("restored"))
        let backupAt = Date()
        try await Task.sleep(for: .seconds(3))

        let restored = try await DataServer.prometheus(data: directory.path("restored"), config: directory.path("restored.yml"))
        defer { restored.stop() }
        let old = try await PrometheusClient(endpoint: .url(restored.baseURL)).query("up", at: backupAt.addingTimeInterval(-2))
        #expect(old.count == 1, "the restored TSDB answers for a time before the backup")

        let run = try await runRunbook(probeRunbook("restored-tsdb", params: Self.prometheusParams, steps: Self.prometheusSteps),
                                       environment: environment,
                                       params: ["prometheus=\(restored.baseURL.absoluteString)", "backupAt=\(DataServer.time(backupAt))"])
        #expect(run.status("history") == .passed, "\(run.error("history") ?? "")")
        #expect(run.outcome.exitCode == 0)
        #expect(run.output("history", "source") == .string("prometheus_tsdb_lowest_timestamp_seconds"))
        guard case let .time(oldest)? = run.output("history", "oldestSample") else {
            Issue.record("no oldestSample output")
            return
        }
        #expect(oldest >= firstStarted.addingTimeInterval(-1) && oldest < backupAt.addingTimeInterval(-2), "oldest \(oldest), first run from \(firstStarted)")
        let before = DataServer.time(backupAt.addingTimeInterval(-2))
        #expect(run.lines("history") == [
            "oldest sample at \(DataServer.time(oldest)) (prometheus_tsdb_lowest_timestamp_seconds), older than \(before) (the backup at \(DataServer.time(backupAt)) minus 2s)",
        ])

        // The same judged from one series, as on a server without the TSDB gauge: the oldest `up`.
        let bySeries = try await runRunbook(probeRunbook("restored-up", params: Self.prometheusParams, steps: """
              - id: history
                title: Prometheus has the history of up back
                uses: prometheus.dataSince
                with: {url: "${{ params.prometheus }}", backupAt: "${{ params.backupAt }}", margin: "${{ params.margin }}", series: up}

            """), environment: environment, params: ["prometheus=\(restored.baseURL.absoluteString)", "backupAt=\(DataServer.time(backupAt))"])
        #expect(bySeries.status("history") == .passed, "\(bySeries.error("history") ?? "")")
        #expect(bySeries.output("history", "source") == .string("the oldest sample of up"))
        guard case let .time(oldestUp)? = bySeries.output("history", "oldestSample") else {
            Issue.record("no oldestSample output")
            return
        }
        #expect(oldestUp >= oldest && oldestUp < backupAt.addingTimeInterval(-2), "oldest up \(oldestUp), TSDB from \(oldest)")
    }

    @Test("a Prometheus on an empty directory fails: no sample at first, then its oldest sample named, newer than the backup")
    func emptyTSDB() async throws {
        let directory = try TemporaryDirectory()
        let backupAt = Date().addingTimeInterval(-600)
        let server = try await DataServer.prometheus(data: directory.path("empty"), config: directory.path("empty.yml"))
        defer { server.stop() }
        let params = ["prometheus=\(server.baseURL.absoluteString)", "backupAt=\(DataServer.time(backupAt))"]
        let yaml = probeRunbook("empty-tsdb", params: Self.prometheusParams, steps: Self.prometheusSteps)
        let before = DataServer.time(backupAt.addingTimeInterval(-2))
        let wanted = "older than \(before) (the backup at \(DataServer.time(backupAt)) minus 2s)"

        let nothing = try await runRunbook(yaml, environment: environment, params: params)
        #expect(nothing.status("history") == .failed)
        #expect(nothing.outcome.exitCode == 1)
        #expect(nothing.error("history") == "Prometheus (\(server.baseURL.absoluteString)): holds no sample (prometheus_tsdb_lowest_timestamp_seconds); expected one \(wanted): the TSDB is empty")

        try await DataServer.scrapeItself(server, config: directory.path("empty.yml"))
        let client = PrometheusClient(endpoint: .url(server.baseURL))
        let lowest = try await eventually(seconds: 30, { try await client.metrics().value(of: "prometheus_tsdb_lowest_timestamp_seconds") ?? .infinity },
                                          until: { $0 < Date().timeIntervalSince1970 + 60 })
        let new = try await runRunbook(yaml, environment: environment, params: params)
        #expect(new.status("history") == .failed)
        #expect(new.error("history") == "Prometheus (\(server.baseURL.absoluteString)): its oldest sample is at \(DataServer.time(Date(timeIntervalSince1970: lowest))) (prometheus_tsdb_lowest_timestamp_seconds), not \(wanted): the TSDB is new, its history did not come back")
        #expect(new.fix("history") == "check velero.restoreProof for the Prometheus claim and that Prometheus runs on the restored claim, then restore it again")
    }

    static let silenceSteps = """
          - id: silences
            title: Alertmanager has its silences back
            uses: alertmanager.silencesPresent
            with: {url: "${{ params.alertmanager }}", matchers: {alertname: "${{ params.alertname }}"}, comment: "${{ params.comment }}"}

        """
    static let silenceParams = """
          alertmanager: {type: string}
          alertname: {type: string, default: NoisyDisk}
          comment: {type: string, default: "^maintenance"}

        """

    @Test("an Alertmanager restarted on a copy of its volume has the silence a person made before the backup; one on an empty volume has none")
    func silences() async throws {
        let directory = try TemporaryDirectory()
        let live = try await DataServer.alertmanager(data: directory.path("live"), config: directory.path("am.yml"))
        let client = AlertmanagerClient(endpoint: .url(live.baseURL))
        let now = Date()
        let id = try await client.createSilence(AlertmanagerSilenceRequest(
            matchers: [AlertmanagerMatcher(name: "alertname", value: "NoisyDisk")], startsAt: now, endsAt: now.addingTimeInterval(86_400),
            createdBy: "on-call", comment: "maintenance of the disks until tomorrow"))
        // The silence reaches the volume at the next maintenance (every second here).
        try await Task.sleep(for: .seconds(3))
        live.stop()
        try DataServer.copy(directory.path("live"), to: directory.path("restored"))
        try FileManager.default.createDirectory(atPath: directory.path("fresh"), withIntermediateDirectories: true)

        let restored = try await DataServer.alertmanager(data: directory.path("restored"), config: directory.path("am.yml"))
        defer { restored.stop() }
        let yaml = probeRunbook("silences", params: Self.silenceParams, steps: Self.silenceSteps)
        let back = try await runRunbook(yaml, environment: environment, params: ["alertmanager=\(restored.baseURL.absoluteString)"])
        #expect(back.status("silences") == .passed, "\(back.error("silences") ?? "")")
        #expect(back.output("silences", "count") == .int(1))
        #expect(back.output("silences", "ids") == .list([.string(id)]))
        #expect(back.lines("silences") == [
            "silence \(id) (active) by on-call: maintenance of the disks until tomorrow",
            "1 active or pending silences matching alertname=\"NoisyDisk\" whose comment matches /^maintenance/, at least 1",
        ])

        let fresh = try await DataServer.alertmanager(data: directory.path("fresh"), config: directory.path("am.yml"))
        defer { fresh.stop() }
        let none = try await runRunbook(yaml, environment: environment, params: ["alertmanager=\(fresh.baseURL.absoluteString)"])
        #expect(none.status("silences") == .failed)
        #expect(none.outcome.exitCode == 1)
        #expect(none.error("silences") == "Alertmanager (\(fresh.baseURL.absoluteString)): has 0 active or pending silences matching alertname=\"NoisyDisk\" whose comment matches /^maintenance/ (0 listed); expected at least 1: its silences did not come back")
    }

    @Test("the Coroot layout's own Prometheus (platform head's dataProbes) through the service proxy, with no URL and the profile's history margin")
    func corootLayoutThroughTheServiceProxy() async throws {
        let profile = try #require(PlatformProfile.named("head"))
        let probe = try #require(profile.dataProbes?.prometheus, "platform head names the Prometheus the data probe asks")
        let directory = try TemporaryDirectory()
        let server = try await DataServer.prometheus(data: directory.path("tsdb"), config: directory.path("prometheus.yml"))
        defer { server.stop() }
        try await DataServer.scrapeItself(server, config: directory.path("prometheus.yml"))
        let client = PrometheusClient(endpoint: .url(server.baseURL))
        _ = try await eventually(seconds: 30, { try await client.metrics().value(of: "prometheus_tsdb_lowest_timestamp_seconds") ?? .infinity },
                                 until: { $0 < Date().timeIntervalSince1970 + 60 })
        let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox"),
                                                                   namespaces: ["default", probe.namespace]))
        do {
            await sandbox.endpoints.register(namespace: probe.namespace, service: probe.service.name, port: probe.service.port, url: server.baseURL)
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            try await admin.create(KubeResource.services, [
                "metadata": ["name": .string(probe.service.name), "namespace": .string(probe.namespace)],
                "spec": ["clusterIP": "None", "ports": [["name": "http", "port": .int(Int(probe.service.port ?? "80") ?? 80)]]],
            ])
            let environment = ActionEnvironment(processEnvironment: [:], kube: KubeConnection(access: KubeAccess(
                kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:])), platform: .success(profile))
            // A backup from 30 minutes ago: this Prometheus began minutes ago, so its history is not there.
            let backupAt = Date().addingTimeInterval(-1800)
            let yaml = probeRunbook("coroot-history", params: "  backupAt: {type: string}\n", steps: """
                  - id: history
                    title: Coroot's Prometheus has its history back
                    uses: prometheus.dataSince
                    with: {backupAt: "${{ params.backupAt }}"}

                """)
            let run = try await runRunbook(yaml, environment: environment, platform: profile, params: ["backupAt=\(DataServer.time(backupAt))"])
            #expect(run.status("history") == .failed)
            let lowest = try #require(try await client.metrics().value(of: "prometheus_tsdb_lowest_timestamp_seconds"))
            let history = profile.dataProbes?.history.text ?? ""
            #expect(run.error("history") == "Prometheus (service \(probe.namespace)/\(probe.service.name):\(probe.service.port ?? "") through the Kubernetes API server): its oldest sample is at \(DataServer.time(Date(timeIntervalSince1970: lowest))) (prometheus_tsdb_lowest_timestamp_seconds), not older than \(DataServer.time(backupAt.addingTimeInterval(-3600))) (the backup at \(DataServer.time(backupAt)) minus \(history)): the TSDB is new, its history did not come back")
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }
}
