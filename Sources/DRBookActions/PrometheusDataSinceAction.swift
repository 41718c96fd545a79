import DRBookKube
import DRBookAlerting
import DRBookRunbook
import Foundation

/// `prometheus.dataSince`: a restored Prometheus holds samples from before its backup.
struct PrometheusDataSinceAction: Action {
    static let descriptor = ActionDescriptor(
        name: "prometheus.dataSince",
        summary: "Prove a restored Prometheus has its history back: its oldest sample is older than the backup minus a margin.",
        inputs: DataProbeInputs.endpointInputs("Prometheus", key: "prometheus") + [
            InputSpec("backupAt", .time, required: true, description: "When the restored backup completed, e.g. ${{ steps.backup.outputs.completedAt }}."),
            InputSpec("margin", .duration, description: "How much history before backupAt the TSDB must hold. Default: the platform profile's dataProbes.history, else 1h."),
            InputSpec("series", .string, description: "Judge the oldest sample of this series instead of the whole TSDB (e.g. on a server that does not export prometheus_tsdb_lowest_timestamp_seconds). Default: the TSDB's lowest timestamp, else up."),
        ],
        outputs: [
            OutputSpec("oldestSample", .time, description: "The TSDB's oldest sample."),
            OutputSpec("source", .string, description: "Where that time came from: prometheus_tsdb_lowest_timestamp_seconds or the oldest sample of series."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads `prometheus_tsdb_lowest_timestamp_seconds` from Prometheus' /metrics (by URL \
            or through the service proxy to the Service the platform profile's `dataProbes` \
            names); with `series`, or where that gauge is absent, the oldest sample of `series` \
            (default `up`: `min_over_time(timestamp(up)[…])` over the window back to an hour \
            before `backupAt` minus `margin`, at a thousandth of that window). It passes when that sample is older than \
            `backupAt` minus `margin`, and fails naming the oldest sample's time when the TSDB \
            is newer — a fresh, empty volume that began scraping after the restore — or holds \
            no sample at all. Read-only.
            """)

    let environment: ActionEnvironment

    static let defaultMargin = Duration.seconds(3600)

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        guard let backupAt = inputs.time("backupAt") else { throw ActionError("input 'backupAt' is required", fix: "give the backup's completion time") }
        let margin = inputs.duration("margin", default: DataProbeInputs.history(environment, fallback: Self.defaultMargin)).seconds
        let before = backupAt.addingTimeInterval(-margin)
        let series = inputs.string("series")
        let endpoint = try DataProbeInputs.endpoint(inputs, environment, system: "Prometheus", probe: { $0.prometheus }, route: { $0.prometheusService })
        let now = context.now()
        let oldest: PrometheusOldestSample
        do {
            oldest = try await PrometheusClient(endpoint: endpoint, http: environment.http)
                .oldestSample(series: series, window: max(0, now.timeIntervalSince(before)) + 3600, now: now)
        } catch {
            throw ActionError.alerting(error)
        }
        let subject = "Prometheus (\(endpoint))"
        let wanted = "older than \(KubeJSON.formatTime(before)) (the backup at \(KubeJSON.formatTime(backupAt)) minus \(PrometheusDuration(seconds: margin)))"
        guard let time = oldest.time else {
            throw ActionError("holds no sample (\(oldest.source)); expected one \(wanted): the TSDB is empty", subject: subject,
                              fix: "the volume was not restored: check velero.restoreProof for the Prometheus claim, then restore it again")
        }
        guard time < before else {
            throw ActionError("its oldest sample is at \(KubeJSON.formatTime(time)) (\(oldest.source)), not \(wanted): the TSDB is new, its history did not come back",
                              subject: subject,
                              fix: "check velero.restoreProof for the Prometheus claim and that Prometheus runs on the restored claim, then restore it again")
        }
        context.log("oldest sample at \(KubeJSON.formatTime(time)) (\(oldest.source)), \(wanted)")
        return ["oldestSample": .time(time), "source": .string(oldest.source.description)]
    }
}
