import DRBookHTTP
import DRBookKube
import Foundation

/// Simulated CronJob and Job controllers and kubelet, for the one kind of Job a DR drill
/// cares about: a heartbeat CronJob whose container runs `curl <ping URL>`
/// (reference/platform-head.md §2). On each tick a CronJob that is not suspended and whose
/// schedule (UTC) fired since its `status.lastScheduleTime` gets a Job
/// `<cronjob>-<scheduled minute since the epoch>`, as kube-controller-manager names it; a
/// Job made by hand (`kubectl create job --from=cronjob/...`) runs too. "Running" a Job
/// sends a GET to every http(s) URL in its containers' command and args, but only to
/// loopback hosts: the sandbox never reaches outside, so any other URL fails as an
/// unresolvable host does, and a ping reaches the simulated monitor only if the URL is the
/// monitor's. A command ending in `|| true` succeeds whatever curl did, as the platform's does.
public struct CronJobController: SandboxController {
    public let name = "cronjobs"
    public var clock: SimulationClock
    public var interval: Duration

    public init(clock: SimulationClock = SimulationClock(), interval: Duration = .seconds(1)) {
        self.clock = clock
        self.interval = interval
    }

    static let cronJobs = GroupResource(group: "batch", resource: "cronjobs")
    static let jobs = GroupResource(group: "batch", resource: "jobs")
    /// The annotation kube-controller-manager puts on a CronJob's Job: its scheduled time.
    static let scheduledAtAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"

    public func run(store cluster: SandboxStore) async throws {
        let started = clock.now()
        while !Task.isCancelled {
            await tick(cluster, startedAt: started)
            try await Task.sleep(for: interval)
        }
    }

    /// One pass: schedule the CronJobs that are due, then run the Jobs not yet run.
    func tick(_ cluster: SandboxStore, startedAt: Date) async {
        let now = clock.now()
        for cronJob in (try? await cluster.list(Self.cronJobs).items) ?? [] {
            await schedule(cronJob, now: now, startedAt: startedAt, in: cluster)
        }
        for job in (try? await cluster.list(Self.jobs).items) ?? [] where job[path: ["status", "startTime"]] == nil {
            await runJob(job, in: cluster)
        }
    }

    private func schedule(_ cronJob: JSONValue, now: Date, startedAt: Date, in cluster: SandboxStore) async {
        guard cronJob[path: ["spec", "suspend"]]?.boolValue != true,
              let expression = cronJob.string("spec", "schedule"), let schedule = try? CronSchedule(expression) else { return }
        // Never backfill before the controller started (by its clock, which tests move).
        let since = cronJob.string("status", "lastScheduleTime").flatMap(KubeJSON.parseTime) ?? startedAt
        guard let due = schedule.firings(before: now, within: now.timeIntervalSince(since) + 60).last(where: { $0 > since }) else { return }
        let jobName = "\(cronJob.name)-\(Int(due.timeIntervalSince1970 / 60))"
        var job: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": ["name": .string(jobName), "namespace": .string(cronJob.namespace ?? ""),
                         "annotations": [Self.scheduledAtAnnotation: .string(KubeJSON.formatTime(due))],
                         "ownerReferences": [["apiVersion": "batch/v1", "kind": "CronJob", "name": .string(cronJob.name),
                                              "uid": .string(cronJob.uid ?? ""), "controller": true]]],
            "spec": cronJob[path: ["spec", "jobTemplate", "spec"]] ?? [:],
        ]
        if let labels = cronJob[path: ["spec", "jobTemplate", "metadata", "labels"]] { job.set(labels, at: ["metadata", "labels"]) }
        _ = try? await cluster.create(Self.jobs, namespace: cronJob.namespace, job)
        _ = try? await cluster.patchStatus(Self.cronJobs, namespace: cronJob.namespace, name: cronJob.name,
                                            ["status": ["lastScheduleTime": .string(KubeJSON.formatTime(due))]])
    }

    /// Runs a Job's containers as far as the sandbox can: their curl requests to loopback.
    func runJob(_ job: JSONValue, in cluster: SandboxStore) async {
        let start = clock.now()
        _ = try? await cluster.patchStatus(Self.jobs, namespace: job.namespace, name: job.name,
                                            ["status": ["startTime": .string(KubeJSON.formatTime(start)), "active": 1]])
        var succeeded = true
        for container in job[path: ["spec", "template", "spec", "containers"]]?.arrayValue ?? [] {
            let words = ((container["command"]?.arrayValue ?? []) + (container["args"]?.arrayValue ?? [])).compactMap(\.stringValue)
            let script = words.joined(separator: " ")
            var reached = true
            for url in Self.urls(in: script) where !(await Self.get(url)) { reached = false }
            if !reached && !Self.ignoresFailure(script) { succeeded = false }
        }
        let end = clock.now()
        let condition: JSONValue = ["type": succeeded ? "Complete" : "Failed", "status": "True",
                                    "lastTransitionTime": .string(KubeJSON.formatTime(end))]
        var status: JSONValue = ["startTime": .string(KubeJSON.formatTime(start)), "conditions": [condition]]
        status[succeeded ? "succeeded" : "failed"] = 1
        if succeeded { status["completionTime"] = .string(KubeJSON.formatTime(end)) }
        _ = try? await cluster.patchStatus(Self.jobs, namespace: job.namespace, name: job.name, ["status": status])
        if let owner = job[path: ["metadata", "ownerReferences"]]?.arrayValue?.first(where: { $0["kind"] == "CronJob" })?["name"]?.stringValue, succeeded {
            _ = try? await cluster.patchStatus(Self.cronJobs, namespace: job.namespace, name: owner,
                                                ["status": ["lastSuccessfulTime": .string(KubeJSON.formatTime(end))]])
        }
    }

    /// The http(s) URLs a shell command names, a `${var:=default}` left unsubstituted giving
    /// its default, as the shell would.
    static func urls(in script: String) -> [URL] {
        let pattern = /https?:\/\/[^\s"'`}\)]+/
        return script.matches(of: pattern).compactMap { URL(string: String($0.output)) }
    }

    /// `cmd || true` (or `|| :`) at the end: the shell exits 0 whatever curl did.
    static func ignoresFailure(_ script: String) -> Bool {
        let trimmed = script.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.hasSuffix("|| true") || trimmed.hasSuffix("|| :")
    }

    /// One GET as curl would send it, to loopback only; true on a 2xx answer.
    static func get(_ url: URL) async -> Bool {
        guard ["127.0.0.1", "localhost", "::1"].contains(url.host ?? "") else { return false }
        let request = HTTPRequest(.get, url, headers: ["User-Agent": "curl/8.21.0"],
                                  timeouts: HTTPTimeouts(connect: .seconds(2), total: .seconds(10), stall: nil), retry: .never, proxy: "")
        guard let response = try? await HTTPClient.shared.send(request) else { return false }
        return (200..<300).contains(response.status)
    }
}
