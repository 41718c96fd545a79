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
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let namespace = try inputs.requiredString("veleroNamespace")
        let maxAge = inputs.duration("maxValidationAge") ?? .seconds(300)
        let client = try environment.kube.kubeClient()
        let location: BackupStorageLocation
        do {
            if let name = inputs.string("location") {
                location = try await client.get(BackupStorageLocation.self, name, namespace: namespace)
            } else {
                let all = try await client.list(BackupStorageLocation.self, namespace: namespace).items
                guard let marked = all.first(where: { $0.spec.default == true }) else {
                    throw ActionError("no BackupStorageLocation in namespace \(namespace) is marked default (found: \(all.map(\.metadata.name)))",
                                      fix: "name the location with input 'location', or set spec.default: true on one")
                }
                location = marked
            }
        } catch let error as ActionError {
            throw error
        } catch {
            throw ActionError.kube(error, doing: "reading the BackupStorageLocation")
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
        context.log("\(subject) is Available, validated \(Int(age)) s ago")
        guard age <= maxAge.seconds else {
            throw ActionError("last validated \(Int(age)) s ago, longer than \(RunbookDuration.format(maxAge))", subject: subject,
                              fix: "check that the Velero deployment in \(namespace) is running (`kubectl -n \(namespace) get pods`)")
        }
        return ["location": .string(location.metadata.name), "lastValidationTime": .time(validated)]
    }
}
