import DRBookActions
import DRBookRunbook
import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

/// A platform store (monitoring: Prometheus, 2 Alertmanagers, Loki) generated into a temporary directory.
struct GeneratedDirectoryStore {
    let directory: TemporaryDirectory
    let scenario: StoreScenario
    let generated: GeneratedStore

    init(faults: [GeneratorFault] = []) async throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("velero/prod"), withIntermediateDirectories: true)
        var scenario = StoreScenario.platform(now: Date())
        scenario.faults = faults
        self.scenario = scenario
        generated = try await VeleroStoreGenerator(scenario: scenario).write(to: DirectoryBackupStore(root: directory.path("velero/prod")))
    }

    var location: Value { .string("file://" + directory.path("velero/prod")) }

    var inputs: [String: Value] {
        ["store": location, "namespace": .string(scenario.namespace), "rpo": .duration(.seconds(86_400)),
         "expectPVCs": .list(scenario.pvcGlobs.map(Value.string))]
    }
}

@Suite("velero.verifyStore proves a namespace's newest backup from the store alone")
struct VeleroVerifyStoreActionTests {
    @Test("a green store passes, with the backup, its completion time and the status as outputs, and both metrics")
    func greenStore() async throws {
        let store = try await GeneratedDirectoryStore()
        let run = ActionRun()
        let outputs = try await run("velero.verifyStore", store.inputs)
        #expect(outputs["backup"] == .string(store.generated.newest))
        #expect(outputs["status"] == .string("passed"))
        guard case let .time(completed)? = outputs["backupCompletedAt"] else { Issue.record("no backupCompletedAt"); return }
        #expect(abs(completed.timeIntervalSinceNow) < 24 * 3_600)

        let age = try #require(run.reports.metrics.first { $0.name == "backup_age_seconds" })
        #expect(age.target == 86_400)
        #expect(age.value > 0 && age.value < 86_400)
        let volumes = try #require(run.reports.metrics.first { $0.name == "volumes_verified" })
        #expect(volumes.value == Double(store.scenario.pvcNames.count))
    }

    @Test("a PVC whose PodVolumeBackup has an empty snapshot id fails the step with that finding's message and fix")
    func emptySnapshotID() async throws {
        let pvc = StoreScenario.platform(now: Date()).pvcNames[0]
        let store = try await GeneratedDirectoryStore(faults: [.emptySnapshotID(pvc: pvc)])
        let verdict = try await StoreVerifier(store: DirectoryBackupStore(root: store.directory.path("velero/prod")))
            .verify(namespace: "monitoring", rpo: 86_400, expectedPVCs: store.scenario.pvcGlobs)
        let finding = try #require(verdict.findings(.emptySnapshotID).first)

        let run = ActionRun()
        let error = await actionError { try await run("velero.verifyStore", store.inputs) }
        let failure = try #require(error)
        let first = try #require(verdict.findings.first { $0.severity == .failure })
        #expect(first == finding, "the empty snapshot id is the first failure")
        #expect(failure.message.hasPrefix(finding.message))
        #expect(failure.subject == finding.object)
        #expect(failure.fix == finding.fix)
        #expect(run.reports.lines.contains(finding.description), "every finding is logged")
    }

    @Test("an expected PVC glob that matches nothing fails the step")
    func expectedPVCMissing() async throws {
        let store = try await GeneratedDirectoryStore()
        var inputs = store.inputs
        inputs["expectPVCs"] = strings("data-postgres-*")
        let error = await actionError { try await ActionRun()("velero.verifyStore", inputs) }
        #expect(error?.message.contains("data-postgres-*") == true)
    }

    @Test("an s3:// store without credentials in the environment fails, saying which variables to set")
    func missingCredentials() async throws {
        let run = ActionRun(environment: ActionEnvironment(processEnvironment: [:]))
        let error = await actionError {
            try await run("velero.verifyStore", ["store": .string("s3://backups/velero/prod"), "endpoint": .string("http://127.0.0.1:9"),
                                                 "namespace": .string("monitoring")])
        }
        #expect(error?.message == "no credentials for the object store")
        #expect(error?.fix?.contains("AWS_SECRET_ACCESS_KEY") == true)
    }

    @Test("an s3:// store without an endpoint fails before any request")
    func missingEndpoint() async throws {
        let run = ActionRun(environment: ActionEnvironment(processEnvironment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]))
        let error = await actionError {
            try await run("velero.verifyStore", ["store": .string("s3://backups/velero/prod"), "namespace": .string("monitoring")])
        }
        #expect(error?.message == "an s3:// location needs the endpoint of the S3 API")
    }

    @Test("a store location that is neither s3:// nor file:// is rejected with the accepted forms")
    func badLocation() async throws {
        let error = await actionError { try await ActionRun()("velero.verifyStore", ["store": .string("r2://x"), "namespace": .string("monitoring")]) }
        #expect(error?.message.hasPrefix("'r2://x' is not a backup store location") == true)
        #expect(error?.fix?.contains("s3://BUCKET/PREFIX") == true)
    }
}
