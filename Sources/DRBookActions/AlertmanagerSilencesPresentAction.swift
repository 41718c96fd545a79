import DRBookAlerting
import DRBookRunbook
import Foundation

/// `alertmanager.silencesPresent`: a restored Alertmanager has its silences back.
struct AlertmanagerSilencesPresentAction: Action {
    static let descriptor = ActionDescriptor(
        name: "alertmanager.silencesPresent",
        summary: "Prove a restored Alertmanager has its silences back: at least N that are active or pending, optionally matching matchers or a comment.",
        inputs: DataProbeInputs.endpointInputs("Alertmanager", key: "alertmanager") + [
            InputSpec("atLeast", .int, description: "How many silences must be there. Default: 1."),
            InputSpec("matchers", .map, description: "Only silences whose matchers select an alert with these labels (Alertmanager's filter), e.g. {alertname: Watchdog}."),
            InputSpec("comment", .string, description: "Only silences whose comment matches this regular expression."),
            InputSpec("includeExpired", .bool, description: "Count expired silences too (Alertmanager keeps them for its retention). Default: false."),
        ],
        outputs: [
            OutputSpec("count", .int, description: "How many silences were counted."),
            OutputSpec("ids", .list, description: "Their ids."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads `GET /api/v2/silences` (with a `filter` per matcher) by URL or through the \
            service proxy to the Service the platform profile's `dataProbes` names, keeps the active and \
            pending ones (and expired ones with `includeExpired`) whose comment matches \
            `comment`, and passes when there are at least `atLeast`. Silences live in \
            Alertmanager's volume: an Alertmanager that came back on a fresh claim has none, and \
            everything they muted pages again. Read-only.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let atLeast = inputs.int("atLeast") ?? 1
        guard atLeast >= 0 else { throw ActionError("input 'atLeast' is \(atLeast)", fix: "give 0 or more") }
        let matchers = (try inputs.stringMap("matchers") ?? [:]).sorted { $0.key < $1.key }.map { AlertmanagerMatcher(name: $0.key, value: $0.value) }
        let comment = try inputs.pattern("comment")
        let includeExpired = inputs.bool("includeExpired") ?? false
        let endpoint = try DataProbeInputs.endpoint(inputs, environment, system: "Alertmanager", probe: { $0.alertmanager }, route: { $0.alertmanagerService })
        let silences: [AlertmanagerSilence]
        do {
            silences = try await AlertmanagerClient(endpoint: endpoint, http: environment.http).silences(matching: matchers)
        } catch {
            throw ActionError.alerting(error)
        }
        let counted = silences.filter { (includeExpired || $0.status.state != "expired") && (comment?.matches($0.comment) ?? true) }
            .sorted { $0.startsAt < $1.startsAt }
        var wanted = includeExpired ? "silences" : "active or pending silences"
        if !matchers.isEmpty { wanted += " matching \(matchers.map(\.filterText).joined(separator: ", "))" }
        if let comment { wanted += " whose comment matches /\(comment.source)/" }
        let subject = "Alertmanager (\(endpoint))"
        for silence in counted {
            context.log("silence \(silence.id) (\(silence.status.state)) by \(silence.createdBy): \(silence.comment)")
        }
        guard counted.count >= atLeast else {
            throw ActionError("has \(counted.count) \(wanted) (\(silences.count) listed); expected at least \(atLeast): its silences did not come back",
                              subject: subject,
                              fix: "check velero.restoreProof for the Alertmanager claim and that Alertmanager runs on the restored claim; recreate the silences by hand (`amtool silence add`) if the backup lacks them")
        }
        context.log("\(counted.count) \(wanted), at least \(atLeast)")
        return ["count": .int(counted.count), "ids": .list(counted.map { .string($0.id) })]
    }
}
