import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

/// A step's typed result (velero.verifyStore's whole verdict) in the journal, `-o json`
/// and the reports, shown with the sections `drbook backups verify` prints.
@Suite("Structured step results in the journal and the reports", .offPoolOneAtATime)
struct StepResultCLITests {
    var workspaceArguments: [String] {
        ["--runbooks", repositoryRoot.appendingPathComponent("runbooks").path, "--docs", repositoryRoot.appendingPathComponent("docs").path]
    }

    @Test("the report of verify-backups holds the verdict's volumes and findings in Markdown and JSON, as backups verify prints them")
    func verdictInReports() async throws {
        let pvc = StoreScenario.platform(now: Date()).pvcNames[0]
        let (directory, store, scenario) = try await generatedStore(faults: [.emptySnapshotID(pvc: pvc)])
        let runs = directory.path("runs")
        let run = try await drbook(["run", "verify-backups", "--param", "store=\(store)", "--runs-dir", runs, "-o", "json"] + workspaceArguments)
        #expect(run.status == 1, "\(run.all)")
        // -o json: one journal event per line; the verdict is one of them, whole.
        let lines = run.stdout.split(separator: "\n")
        let events = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.count == lines.count, "stdout holds lines that are not JSON: \(run.stdout)")
        let resultEvent = try #require(events.first { $0["type"] as? String == "step-result" }, "\(run.stdout)")
        let result = try #require(resultEvent["result"] as? [String: Any])
        #expect(result["kind"] as? String == "velero.storeVerdict")
        let document = try #require(result["document"] as? [String: Any])
        #expect((document["volumes"] as? [[String: Any]])?.compactMap { $0["persistentVolumeClaim"] as? String }.sorted() == scenario.pvcNames.sorted())

        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: runs).first)
        // The human lines went to stderr: where the journal is, and the command to type next.
        #expect(run.stderr.contains("Next: drbook report \(id) --runs-dir \(runs)"), "\(run.stderr)")
        let markdown = try await drbook(["report", id, "--runs-dir", runs])
        #expect(markdown.status == 0, "\(markdown.all)")
        let verify = try await drbook(["backups", "verify", "--store", store, "--namespace", scenario.namespace]
                                      + scenario.pvcGlobs.flatMap { ["--expect-pvc", $0] })
        #expect(verify.status == 1)
        // The report's section is the CLI's verdict, line for line, up to the command to run next.
        let cliLines = verify.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Ages differ by the seconds between the two verdicts (the Age line, the other backups' table); the rest is the same.
        let cliVerdict = cliLines.prefix { !$0.hasPrefix("Other backups:") }.filter { !$0.hasPrefix("Age: ") }
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(markdown.stdout.contains("## Results\n\n### `verify` The newest backup holds every monitoring volume with data\n\n```text\n"), "\(markdown.stdout)")
        let reportLines = markdown.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("Age: ") }
        #expect(reportLines.joined(separator: "\n").contains(cliVerdict), "report:\n\(markdown.stdout)\ncli:\n\(cliVerdict)")
        #expect(markdown.stdout.contains("Volumes:"))
        for name in scenario.pvcNames { #expect(markdown.stdout.contains(name)) }
        #expect(markdown.stdout.contains("the PodVolumeBackup of PVC monitoring/\(pvc) in backup"))

        let json = try await drbook(["report", id, "--runs-dir", runs, "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let step = try #require((report["steps"] as? [[String: Any]])?.first { $0["id"] as? String == "verify" })
        let stored = try #require((step["results"] as? [[String: Any]])?.first?["document"] as? [String: Any])
        #expect((stored["volumes"] as? [Any])?.count == scenario.pvcNames.count)
        #expect((stored["findings"] as? [[String: Any]])?.contains { $0["code"] as? String == "emptySnapshotID" && ($0["message"] as? String)?.contains("PVC monitoring/\(pvc)") == true } == true)
    }
}
