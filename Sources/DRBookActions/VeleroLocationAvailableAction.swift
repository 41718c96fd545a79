import DRBookKube
import DRBookRunbook
import DRBookVelero
import Foundation

/// `velero.locationAvailable`: Velero can reach its bucket right now.
struct VeleroLocationAvailableAction: Action {
    static let descriptor = ActionDescriptor(
        name: "velero.locationAvailable",
        summary: "Check that a BackupStorageLocation is Available and was validated recently.",
        inputs: [
            InputSpec("veleroNamespace", .string, required: true, description: "The namespace Velero runs in, e.g. velero."),
            InputSpec("location", .string, description: "The BackupStorageLocation's name. Default: the one marked default."),
            InputSpec("maxValidationAge", .duration, description: "The last validation must be younger than this. Default: 5m (Velero validates every minute)."),
            InputSpec("waitForValidation", .duration,
                      description: "How long to wait for a location Velero has not validated yet (no phase: just created or restored). Default: 2m."),
        ],
        outputs: [
            OutputSpec("location", .string, description: "The location checked."),
            OutputSpec("lastValidationTime", .time, description: "When Velero last validated it."),
        ],
        mutates: false, idempotent: true,
        doc: """
            Reads the BackupStorageLocation through the API. Velero marks it Unavailable when \
            it cannot list the bucket (credentials, endpoint, network) or when the prefix \
            holds a top-level folder it does not allow; while it is Unavailable no backup runs \
            and no restore starts. A validation older than `maxValidationAge` means Velero \
            itself is not running, so its Available is stale.

            A location without a phase has not been judged yet (Velero validates on an \
            interval, by default every minute, and a location just created or restored has \
            none): the step waits for the verdict, up to `waitForValidation`, showing progress, \
            and fails only on `Unavailable` or when the wait runs out.
            """)

    let environment: ActionEnvironment

    /// How often a location Velero has not judged yet is read again.
    static let pollInterval = Duration.seconds(2)

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let namespace = try inputs.requiredString("veleroNamespace")
        let maxAge = inputs.duration("maxValidationAge") ?? .seconds(300)
        let bound = inputs.duration("waitForValidation") ?? .seconds(120)
        let client = try environment.kube.kubeClient()
        let started = context.now()
        var location = try await read(client, namespace: namespace, name: inputs.string("location"))
        var announced = false
        // A location just created or restored has no phase until Velero's next validation
        // (every minute by default): that is "not judged yet", not "Unavailable".
        while location.status?.phase?.isEmpty ?? true {
            let waited = context.now().timeIntervalSince(started)
            let subject = "backupstoragelocation \(namespace)/\(location.metadata.name)"
            guard waited < bound.seconds else {
                throw ActionError("phase is still unset after \(RunbookDuration.format(bound)): Velero has not validated the location", subject: subject,
                                  fix: "check that the Velero deployment in \(namespace) is running (`kubectl -n \(namespace) get pods`) and read its log; raise input 'waitForValidation' if validation is slow")
            }
            if !announced { announced = true; context.log("\(subject) has no phase yet; waiting up to \(RunbookDuration.format(bound)) for Velero to validate it") }
            context.progress(ActionProgress(fraction: waited / bound.seconds,
                                            message: "waiting for Velero to validate \(location.metadata.name) (\(Int(waited)) s)"))
            try await context.sleep(for: Self.pollInterval)
            location = try await read(client, namespace: namespace, name: location.metadata.name)
        }
        let subject = "backupstoragelocation \(namespace)/\(location.metadata.name)"
        guard location.isAvailable else {
            throw ActionError("phase is \(location.status?.phase ?? "unset"): \(location.status?.message ?? "Velero gave no message")", subject: subject,
                              fix: "fix what the message names (credentials secret, endpoint, or a stray top-level folder in the bucket prefix), then wait for the next validation")
        }
        guard let validated = location.status?.lastValidationTime else {
            throw ActionError("Available, but never validated", subject: subject, fix: "check that the Velero deployment is running")
        }
        let age = context.now().timeIntervalSince(validated)
        context.log("\(subject) is Available, validated \(GoDuration.format(age)) ago")
        guard age <= maxAge.seconds else {
            throw ActionError("last validated \(GoDuration.format(age)) ago, longer than \(RunbookDuration.format(maxAge))", subject: subject,
                              fix: "check that the Velero deployment in \(namespace) is running (`kubectl -n \(namespace) get pods`)")
        }
        return ["location": .string(location.metadata.name), "lastValidationTime": .time(validated)]
    }

    /// The named location, else the one marked default.
    private func read(_ client: KubeClient, namespace: String, name: String?) async throws(ActionError) -> BackupStorageLocation {
        do {
            if let name {
                return try await client.get(BackupStorageLocation.self, name, namespace: namespace)
            }
            let all = try await client.list(BackupStorageLocation.self, namespace: namespace).items
            guard let marked = all.first(where: { $0.spec.default == true }) else {
                throw ActionError("no BackupStorageLocation in namespace \(namespace) is marked default (found: \(all.map(\.metadata.name)))",
                                  fix: "name the location with input 'location', or set spec.default: true on one")
            }
            return marked
        } catch let error as ActionError {
            throw error
        } catch {
            throw ActionError.kube(error, doing: "reading the BackupStorageLocation")
        }
    }
}
