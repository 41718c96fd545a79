import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

/// Against R2 from a laptop every request costs a WAN round trip, so what counts is how
/// many requests wait for another's answer. The proxy holds every answer back and
/// records the timeline; `rounds` is its critical path (see `ProxyTimeline`), a count
/// that does not depend on the machine's speed. No wall-clock time is asserted.
@Suite("backups verify costs few sequential round trips", .timeLimit(.minutes(5)))
struct RoundTripTests {
    /// Long enough that requests sent together always overlap on a loaded machine.
    static let delay = 200

    @Test("Rounds: 14 backups at most 4 (list, metadata, the chosen backup's objects), 100 backups at most 6",
          arguments: [(14, 4), (100, 6)])
    func rounds(backups: Int, limit: Int) async throws {
        let scenario = platformScenario { $0.backupCount = backups }
        let run = try await DelayedRun(scenario)
        #expect(run.timeline.rounds <= limit, "\(run.timeline.rounds) rounds, \(run.timeline.requests) requests:\n\(run.timeline.description)")
        // Metadata reads go out together, not eight at a time.
        #expect(run.timeline.maxInFlight >= min(backups, 32), "\(run.timeline.maxInFlight) in flight:\n\(run.timeline.description)")
        // The same verdict, in the same order, however the answers arrive.
        #expect(run.delayed.findings.map(\.code) == run.undelayed.findings.map(\.code))
        #expect(run.delayed.backup?.name == run.undelayed.backup?.name)
        #expect(run.delayed.volumes.map(\.persistentVolumeClaim) == run.undelayed.volumes.map(\.persistentVolumeClaim))
        #expect(run.delayed.volumes.map(\.status) == run.undelayed.volumes.map(\.status))
        #expect(run.delayed.status == .passed, "findings: \(run.delayed.findings)")
    }

    @Test("A passed-over PartiallyFailed backup's results, a vanished PVC, a missing tarball: no extra round",
          arguments: [([GeneratorFault.partiallyFailed(errorsInNamespace: true)], Finding.Code.newerBackupPartiallyFailed),
                      ([.volumeGone(pvc: alertmanagerPVC1)], .pvcVanished), ([.tarballMissing], .tarballMissing)])
    func faults(_ faults: [GeneratorFault], expected: Finding.Code) async throws {
        let run = try await DelayedRun(platformScenario(faults: faults) { $0.backupCount = 14 })
        #expect(!run.delayed.findings(expected).isEmpty, "findings: \(run.delayed.findings)")
        #expect(run.delayed.findings.map(\.code) == run.undelayed.findings.map(\.code))
        #expect(run.timeline.rounds <= 4, "\(run.timeline.rounds) rounds, \(run.timeline.requests) requests:\n\(run.timeline.description)")
    }
}

/// The scenario in a new bucket behind the proxy, verified once as it is and once with
/// every answer held back, and the proxy's timeline of the second.
private struct DelayedRun {
    let undelayed: StoreVerdict
    let delayed: StoreVerdict
    let timeline: ProxyTimeline

    init(_ scenario: StoreScenario) async throws {
        let signed = try await TestServers.shared.signedS3()
        let client = try await signed.client()
        let store = S3BackupStore(client: client, prefix: "velero/prod")
        var generator = VeleroStoreGenerator(scenario: scenario)
        generator.concurrency = 32
        _ = try await generator.write(to: store)
        let verifier = StoreVerifier(store: store)
        func verify() async throws -> StoreVerdict {
            try await verifier.verify(namespace: scenario.namespace, rpo: dayRPO, expectedPVCs: scenario.pvcGlobs, now: referenceNow)
        }
        undelayed = try await verify()
        try await signed.delayAnswers(bucket: client.bucket, milliseconds: RoundTripTests.delay)
        try await signed.resetTimeline(bucket: client.bucket)
        delayed = try await verify()
        timeline = try await signed.timeline(bucket: client.bucket)
        try await signed.delayAnswers(bucket: client.bucket, milliseconds: 0)
    }
}
