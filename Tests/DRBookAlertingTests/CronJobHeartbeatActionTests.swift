import DRBookActions
import DRBookDigest
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// The CronJob heartbeat source of today's platform (platform-head.md §2), judged from the
/// cluster: the sandbox's API server holds CronJobs as the platform renders them.
@Suite("heartbeat.cronJobScheduled against the sandbox", .timeLimit(.minutes(3)))
struct CronJobHeartbeatActionTests {
    static let gitURL = "https://hc-ping.com/5b1e0c7a-2d4f-4e8a-9c11-7f3a2b6d9e01"
    static let otherURL = "https://hc-ping.com/0d0d9a33-8c3e-4a55-b1e2-c0ffee000001"

    /// The head profile's CronJob and its namespace.
    static var head: (profile: PlatformProfile, job: PlatformProfile.CronJob) {
        get throws {
            let profile = try #require(PlatformProfile.named("head"))
            guard case let .cronJob(job) = profile.heartbeat.source else { throw CronJobTestError(description: "head's heartbeat is not a CronJob") }
            return (profile, job)
        }
    }

    struct CronJobTestError: Error, CustomStringConvertible { var description: String }

    /// A CronJob as Flux renders the platform's: the URL substituted into the curl command.
    static func cronJob(_ name: String, namespace: String, url: String, suspend: Bool = false) -> JSONValue {
        [
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": [
                "schedule": "*/5 * * * *", "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 30, "suspend": .bool(suspend),
                "jobTemplate": ["spec": ["backoffLimit": 0, "activeDeadlineSeconds": 120, "template": ["spec": [
                    "restartPolicy": "Never",
                    "containers": [[
                        "name": "heartbeat", "image": "docker.io/curlimages/curl:8.21.0",
                        "command": ["/bin/sh", "-c", .string("curl -sf --max-time 10 --retry 3 --retry-delay 2 --retry-all-errors --retry-connrefused \"\(url)\" || true")],
                    ]],
                ]]]],
            ],
        ]
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    @Test("rendered with git's URL (given, or decrypted from SOPS) and on time it passes; suspended, stale, another URL, the placeholder, an unsubstituted variable and a missing CronJob each fail with the exact finding")
    func verdicts() async throws {
        let (profile, job) = try Self.head
        var catalogue = ResourceCatalogue.standard
        catalogue.add(APIResource(group: "batch", version: "v1", name: "cronjobs", singularName: "cronjob", kind: "CronJob", namespaced: true,
                                  shortNames: ["cj"], subresources: [.status]))
        let directory = try TemporaryDirectory()
        let sandbox = try await Sandbox.start(SandboxConfiguration(directory: directory.url.appendingPathComponent("sandbox"), catalogue: catalogue,
                                                                   namespaces: ["default", job.namespace]))
        do {
            let admin = try KubeClient(access: KubeAccess(kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:]))
            let now = Date()
            // Flux's substitution of an unset variable, and no substitution at all.
            let placeholder = try #require(profile.alerting.heartbeatURL.placeholders.first?.value)
            let unrendered = "${\(profile.alerting.heartbeatURL.variable):=\(placeholder)}"
            let recent = now.addingTimeInterval(-60), stale = now.addingTimeInterval(-47 * 60)
            for (name, url, suspend, last) in [(job.name, Self.gitURL, false, recent), ("suspended-heartbeat", Self.gitURL, true, recent),
                                               ("stale-heartbeat", Self.gitURL, false, stale), ("other-heartbeat", Self.otherURL, false, recent),
                                               ("placeholder-heartbeat", placeholder, false, recent), ("unrendered-heartbeat", unrendered, false, recent)] {
                try await admin.create(CronJob.resource, Self.cronJob(name, namespace: job.namespace, url: url, suspend: suspend))
                try await admin.mergePatch(CronJob.resource, name, namespace: job.namespace,
                                           patch: ["status": ["lastScheduleTime": .string(Self.rfc3339(last))]], subresource: "status")
            }
            // Git's URL as the platform keeps it: in the SOPS file, under the head profile's key.
            let key = try await AgeTestKey.generate(in: directory)
            let file = try await sopsEncrypt(variablesSecretYAML([profile.alerting.heartbeatURL.variable: Self.gitURL]), name: "secret.enc.yaml",
                                             recipients: [key.recipient], in: directory)
            let yaml = """
                apiVersion: drbook/v1
                kind: Runbook
                metadata: {name: cronjob-heartbeat, title: The CronJob heartbeat}
                params:
                  namespace: {type: string, default: "${{ platform.heartbeat.cronJob.namespace }}"}
                  name: {type: string, default: "${{ platform.heartbeat.cronJob.name }}"}
                  file: {type: string}
                steps:
                  - id: from-git
                    title: The platform's CronJob against the SOPS file
                    uses: heartbeat.cronJobScheduled
                    onFailure: continue
                    with: {file: "${{ params.file }}"}
                  - id: healthy
                    title: The platform's CronJob
                    uses: heartbeat.cronJobScheduled
                    onFailure: continue
                    with: {namespace: "${{ params.namespace }}", name: "${{ params.name }}", heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                  - id: suspended
                    title: A suspended one
                    uses: heartbeat.cronJobScheduled
                    onFailure: continue
                    with: {namespace: "${{ params.namespace }}", name: suspended-heartbeat, heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                  - id: stale
                    title: One that stopped being scheduled
                    uses: heartbeat.cronJobScheduled
                    onFailure: continue
                    with: {namespace: "${{ params.namespace }}", name: stale-heartbeat, heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                  - id: other
                    title: One rendered with another URL
                    uses: heartbeat.cronJobScheduled
                    onFailure: continue
                    with: {namespace: "${{ params.namespace }}", name: other-heartbeat, heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                  - id: placeholder
                    title: One rendered with the placeholder
                    uses: heartbeat.cronJobScheduled
                    onFailure: continue
                    with: {namespace: "${{ params.namespace }}", name: placeholder-heartbeat, heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                  - id: unrendered
                    title: One Flux did not substitute
                    uses: heartbeat.cronJobScheduled
                    onFailure: continue
                    with: {namespace: "${{ params.namespace }}", name: unrendered-heartbeat, heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                  - id: missing
                    title: One that does not exist
                    uses: heartbeat.cronJobScheduled
                    with: {namespace: "${{ params.namespace }}", name: no-heartbeat, heartbeatURL: "${{ env.HEARTBEAT_URL }}"}
                """
            let environment = ActionEnvironment(processEnvironment: SopsTools.environment(keyFile: key.path, home: directory.path("home")), kube: KubeConnection(access: KubeAccess(
                kubeconfig: sandbox.kubeconfig.path, context: "sandbox-admin", environment: [:])), platform: .success(profile))
            let run = try await runRunbook(yaml, environment: environment, platform: profile, params: ["file=\(file)"],
                                           env: ["HEARTBEAT_URL": Self.gitURL], secret: ["HEARTBEAT_URL"])
            let ns = job.namespace

            #expect(run.status("from-git") == .passed, "\(run.error("from-git") ?? "")")
            #expect(run.status("healthy") == .passed, "\(run.error("healthy") ?? "")")
            #expect(run.output("healthy", "longestGapSeconds") == .int(300))
            #expect(run.lines("healthy").contains("cronjob \(ns)/\(job.name) was rendered with git's heartbeat URL (sha256 \(SHA256Digest.hex(of: Self.gitURL).prefix(12))…)"))
            #expect(run.lines("healthy").contains { $0.hasPrefix("note: its Jobs succeed even when the ping fails (`|| true`)") })

            #expect(run.error("suspended") == "cronjob \(ns)/suspended-heartbeat: is suspended: no Job runs, so no ping goes out")
            // The age is counted when the step runs, a minute or more after `stale` under a loaded machine:
            // the time it names and the rule are exact, the rounded age only bounded.
            let staleError = run.error("stale") ?? ""
            #expect(staleError.hasPrefix("cronjob \(ns)/stale-heartbeat: was last scheduled "), "\(staleError)")
            #expect(staleError.hasSuffix(" ago, at \(Self.rfc3339(stale)); on \"*/5 * * * *\" it should have run within 5m"), "\(staleError)")
            let other = SHA256Digest.hex(of: Self.otherURL).prefix(12), git = SHA256Digest.hex(of: Self.gitURL).prefix(12)
            #expect(run.error("other") == "cronjob \(ns)/other-heartbeat: holds a URL that is not git's (sha256 \(other)…; git's \(git)…)")
            #expect(run.fix("other")?.hasPrefix("let Flux render it with git's value") == true)
            #expect(run.error("placeholder") == "cronjob \(ns)/placeholder-heartbeat: holds the placeholder \(placeholder): the heartbeat reaches nobody")
            #expect(run.error("unrendered") == "cronjob \(ns)/unrendered-heartbeat: was not substituted by Flux: its command still holds \(unrendered)")
            #expect(run.error("missing") == "cronjob \(ns)/no-heartbeat: does not exist: nothing pings the monitor")
            #expect(run.outcome.exitCode == 1)
            #expect(!run.journalText.contains(Self.gitURL) && !run.journalText.contains(Self.otherURL))
            await sandbox.stop()
        } catch {
            await sandbox.stop()
            throw error
        }
    }
}
