import DRBookTestSupport
import Foundation
import Testing

/// `recovery.objectives` as a drill runbook uses it: the incident's start and the backup's
/// completion as params, the restore's start and the recovery from earlier steps' outputs,
/// and the report that shows RPO and RTO against their targets.
@Suite("RPO and RTO of a recovery, measured and reported against their targets", .offPoolOneAtATime)
struct RecoveryObjectivesCLITests {
    static let runbook = """
        apiVersion: drbook/v1
        kind: Runbook
        metadata:
          name: objectives
          title: Recovery objectives of a drill
        params:
          startedAt: {type: string}
          backupAt: {type: string}
          took: {type: duration}
          rtoTarget: {type: duration, default: 4h}
        steps:
          - id: restore
            title: The restore starts
            uses: wait
            with: {duration: 0s, reason: the restore starts}
          - id: objectives
            title: RPO and RTO against their targets
            uses: recovery.objectives
            with:
              startedAt: "${{ params.startedAt }}"
              backupAt: "${{ params.backupAt }}"
              restoreStartedAt: "${{ steps.restore.outputs.finishedAt }}"
              recoveredAt: "${{ steps.restore.outputs.finishedAt + params.took }}"
              rtoTarget: "${{ params.rtoTarget }}"
        """

    func run(took: String, rtoTarget: String = "4h") async throws -> (run: CLIResult, report: CLIResult, junit: CLIResult) {
        let directory = try TemporaryDirectory()
        let runbooks = directory.path("runbooks"), runs = directory.path("runs")
        try FileManager.default.createDirectory(atPath: runbooks, withIntermediateDirectories: true)
        try Self.runbook.write(toFile: runbooks + "/objectives.yaml", atomically: true, encoding: .utf8)
        let run = try await drbook(["run", "objectives", "--no-color", "--runbooks", runbooks, "--runs-dir", runs,
                                    "--param", "startedAt=2026-03-02T09:00:00Z", "--param", "backupAt=2026-03-02T03:00:00Z",
                                    "--param", "took=\(took)", "--param", "rtoTarget=\(rtoTarget)"], directory: directory.url.path)
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: runs).first, "\(run.all)")
        let report = try await drbook(["report", id, "--runs-dir", runs, "-o", "md"], directory: directory.url.path)
        let junit = try await drbook(["report", id, "--runs-dir", runs, "-o", "junit"], directory: directory.url.path)
        return (run, report, junit)
    }

    @Test("a backup 6h before the incident and a recovery of 3h10m meet 24h and 4h: both metrics reported as met, exit 0")
    func met() async throws {
        let (run, report, junit) = try await run(took: "3h10m")
        #expect(run.status == 0, "\(run.all)")
        #expect(run.all.contains("RPO 6h (backup at 2026-03-02T03:00:00Z, start at 2026-03-02T09:00:00Z), target 24h: met"), "\(run.all)")
        #expect(report.status == 0, "\(report.all)")
        #expect(report.stdout.contains("| `objectives` | rpo_seconds | 21600 s | <= 86400 s | ✅ yes |"), "\(report.stdout)")
        #expect(report.stdout.contains("| `objectives` | rto_seconds | 11400 s | <= 14400 s | ✅ yes |"), "\(report.stdout)")
        #expect(junit.stdout.contains("21600 s (target &lt;= 86400 s, met)"), "\(junit.stdout)")
        #expect(junit.stdout.contains("11400 s (target &lt;= 14400 s, met)"), "\(junit.stdout)")
        let rto = try #require(run.all.split(separator: "\n").first { $0.contains("RTO 3h10m (restore at ") }, "\(run.all)")
        #expect(rto.hasSuffix("target 4h: met"), "\(rto)")
    }

    @Test("a recovery of 5h misses the 4h RTO: the step fails naming it, exit 1, the report shows RTO missed and RPO met")
    func missed() async throws {
        let (run, report, junit) = try await run(took: "5h")
        #expect(run.status == 1, "\(run.all)")
        #expect(report.stdout.contains("| `objectives` | rpo_seconds | 21600 s | <= 86400 s | ✅ yes |"), "\(report.stdout)")
        #expect(report.stdout.contains("| `objectives` | rto_seconds | 18000 s | <= 14400 s | ❌ no |"), "\(report.stdout)")
        #expect(junit.stdout.contains("18000 s (target &lt;= 14400 s, missed)"), "\(junit.stdout)")
        let rto = try #require(run.all.split(separator: "\n").first { $0.contains("RTO 5h (restore at ") }, "\(run.all)")
        #expect(rto.hasSuffix("target 4h: missed"), "\(rto)")
        #expect(report.stdout.contains("recovery objectives: RTO 5h (restore at "), "\(report.stdout)")
    }
}
