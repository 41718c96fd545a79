import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

/// The two kinds of store every behaviour is checked against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case directory
    case s3

    var testDescription: String { self == .s3 ? "S3 (moto, SigV4-verified)" : "file:// mirror" }
}

/// A fresh, empty store; a directory store keeps its temporary directory alive.
struct TestStore: Sendable {
    let store: any WritableBackupStore
    let directory: TemporaryDirectory?

    static func make(_ backend: Backend) async throws -> TestStore {
        switch backend {
        case .directory:
            let directory = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory.path("velero/prod"), withIntermediateDirectories: true)
            return TestStore(store: DirectoryBackupStore(root: directory.path("velero/prod")), directory: directory)
        case .s3:
            let client = try await TestServers.shared.signedS3().client()
            return TestStore(store: S3BackupStore(client: client, prefix: "velero/prod"), directory: nil)
        }
    }
}

/// The moment the scenarios are written for: four hours after a 02:17 backup.
let referenceNow = VeleroJSON.parseTime("2026-08-15T06:17:00Z")!
let dayRPO: TimeInterval = 24 * 3_600

/// The platform scenario (monitoring, Prometheus, 2 Alertmanagers, Loki, daily-full), with changes.
func platformScenario(faults: [GeneratorFault] = [], _ change: (inout StoreScenario) -> Void = { _ in }) -> StoreScenario {
    var scenario = StoreScenario.platform(now: referenceNow)
    scenario.faults = faults
    change(&scenario)
    return scenario
}

/// A store generated from `scenario` and the verifier's verdict on it.
struct VerifiedStore: Sendable {
    let store: TestStore
    let generated: GeneratedStore
    let verdict: StoreVerdict
}

func generateAndVerify(_ backend: Backend, _ scenario: StoreScenario, expectedPVCs: [String]? = nil,
                       allowRemoved: [String] = []) async throws -> VerifiedStore {
    let store = try await TestStore.make(backend)
    let generated = try await VeleroStoreGenerator(scenario: scenario).write(to: store.store)
    let verdict = try await StoreVerifier(store: store.store).verify(namespace: scenario.namespace, rpo: dayRPO,
                                                                     expectedPVCs: expectedPVCs ?? scenario.pvcGlobs,
                                                                     allowRemoved: allowRemoved, now: referenceNow)
    return VerifiedStore(store: store, generated: generated, verdict: verdict)
}

extension StoreVerdict {
    /// The only finding with `code`, failing the test when there is not exactly one.
    func only(_ code: Finding.Code, sourceLocation: SourceLocation = #_sourceLocation) throws -> Finding {
        let matching = findings(code)
        #expect(matching.count == 1, "findings: \(findings)", sourceLocation: sourceLocation)
        return try #require(matching.first, sourceLocation: sourceLocation)
    }
}

let prometheusPVC = "prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-0"
let alertmanagerPVC1 = "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-1"
let lokiPVC = "storage-loki-0"
