import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("drbook runbooks: lint, show, run, runs, and the generated action reference", .offPoolOneAtATime)
struct RunbookCLITests {
    var workspaceArguments: [String] {
        ["--runbooks", repositoryRoot.appendingPathComponent("runbooks").path, "--docs", repositoryRoot.appendingPathComponent("docs").path]
    }

    @Test("docs/actions.md is what `drbook actions --markdown` generates from the registry")
    func actionReferenceIsCurrent() async throws {
        let generated = try await drbook(["actions", "--markdown"])
        #expect(generated.status == 0)
        let committed = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/actions.md"), encoding: .utf8)
        #expect(generated.stdout == committed, "docs/actions.md is stale: regenerate it with `drbook actions --markdown > docs/actions.md`")
    }

    @Test("every runbook in the repository lints clean against the registry and the docs")
    func repositoryRunbooksLint() async throws {
        let result = try await drbook(["lint"] + workspaceArguments)
        #expect(result.status == 0, "\(result.all)")
        #expect(result.stdout.contains("0 errors"))
    }

    @Test("lint reports every error with file:line:column and exits 2")
    func lintErrors() async throws {
        let directory = try TemporaryDirectory()
        try """
        apiVersion: drbook/v1
        metadata: {name: broken, title: Broken}
        steps:
          - id: a
            uses: velero.verifyStor
          - id: b
            uses: wait
            with: {duration: 5q}
        """.write(toFile: directory.path("broken.yaml"), atomically: true, encoding: .utf8)
        let result = try await drbook(["lint", "--runbooks", directory.url.path, "broken"])
        #expect(result.status == 2)
        #expect(result.stdout.contains("broken.yaml:5:11: error:"))
        #expect(result.stdout.contains("velero.verifyStore"))
        #expect(result.stdout.contains("broken.yaml:8:"))
    }

    @Test("run verify-backups passes on a healthy store, fails on a broken one, and runs lists both")
    func runVerifyBackups() async throws {
        let (healthy, healthyStore, _) = try await generatedStore()
        let pvc = StoreScenario.platform(now: Date()).pvcNames[0]
        let (broken, brokenStore, _) = try await generatedStore(faults: [.emptySnapshotID(pvc: pvc)])
        _ = (healthy, broken)
        let runs = try TemporaryDirectory()
        let passed = try await drbook(["run", "verify-backups", "--param", "store=\(healthyStore)", "--runs-dir", runs.url.path] + workspaceArguments)
        #expect(passed.status == 0, "\(passed.all)")
        #expect(passed.stdout.contains("✔ The newest backup holds every monitoring volume with data"))
        #expect(passed.stdout.contains("Verdict: passed"))
        let failed = try await drbook(["run", "verify-backups", "--param", "store=\(brokenStore)", "--runs-dir", runs.url.path] + workspaceArguments)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("✘ The newest backup holds every monitoring volume with data"))
        #expect(failed.stdout.contains(pvc))
        let history = try await drbook(["runs", "--runs-dir", runs.url.path])
        #expect(history.stdout.contains("passed"))
        #expect(history.stdout.contains("failed"))
    }

    @Test("--output json prints one parseable journal event per line")
    func jsonOutput() async throws {
        let (healthy, store, _) = try await generatedStore()
        _ = healthy
        let runs = try TemporaryDirectory()
        let result = try await drbook(["run", "verify-backups", "--param", "store=\(store)", "--runs-dir", runs.url.path, "-o", "json"] + workspaceArguments)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count >= 4)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil) }
    }

    @Test("a destructive step without a terminal and without --yes stops the run before it (exit 3); --yes runs it once")
    func destructiveNeedsYes() async throws {
        let directory = try TemporaryDirectory()
        let counter = directory.path("effects")
        try """
        apiVersion: drbook/v1
        metadata: {name: touch, title: Touch a file}
        steps:
          - id: touch
            title: Append a line
            uses: exec
            destructive: true
            with:
              argv: [sh, -c, "echo done >> \(counter)"]
        """.write(toFile: directory.path("touch.yaml"), atomically: true, encoding: .utf8)
        let runs = directory.path("runs")
        let stopped = try await drbook(["run", "touch", "--runbooks", directory.url.path, "--runs-dir", runs])
        #expect(stopped.status == 3, "\(stopped.all)")
        #expect(!FileManager.default.fileExists(atPath: counter))
        let confirmed = try await drbook(["run", "touch", "--runbooks", directory.url.path, "--runs-dir", runs, "--yes"])
        #expect(confirmed.status == 0, "\(confirmed.all)")
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "done\n")
        let dry = try await drbook(["run", "touch", "--runbooks", directory.url.path, "--runs-dir", runs, "--dry-run"])
        #expect(dry.status == 0, "\(dry.all)")
        #expect(dry.stdout.contains("echo done"))
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "done\n")
    }

    @Test("a credential from the environment never reaches the console or the journal, in any encoding")
    func environmentSecretsRedacted() async throws {
        let directory = try TemporaryDirectory()
        let secret = "S3cr3t-\(UUID().uuidString)"
        try """
        apiVersion: drbook/v1
        metadata: {name: leak, title: Try to leak a secret}
        steps:
          - id: leak
            title: Print the secret in several forms
            uses: exec
            destructive: true
            with:
              argv: [sh, -c, "echo $AWS_SECRET_ACCESS_KEY; printf %s $AWS_SECRET_ACCESS_KEY | base64; echo $AWS_SECRET_ACCESS_KEY >&2; exit 3"]
        """.write(toFile: directory.path("leak.yaml"), atomically: true, encoding: .utf8)
        let runs = directory.path("runs")
        for output in ["text", "json"] {
            let result = try await drbook(["run", "leak", "--runbooks", directory.url.path, "--runs-dir", runs, "--yes", "-o", output],
                                          environment: ["AWS_SECRET_ACCESS_KEY": secret])
            #expect(result.status == 1, "\(result.all)")
            let forms = [secret, Data(secret.utf8).base64EncodedString()]
            for form in forms { #expect(!result.all.contains(form), "leaked on the console (\(output))") }
        }
        let journals = try FileManager.default.subpathsOfDirectory(atPath: runs).filter { $0.hasSuffix("journal.jsonl") }
        #expect(journals.count == 2)
        for journal in journals {
            let text = try String(contentsOfFile: "\(runs)/\(journal)", encoding: .utf8)
            #expect(!text.contains(secret))
            #expect(!text.contains(Data(secret.utf8).base64EncodedString()))
            #expect(text.contains("[redacted]"))
        }
    }

    @Test("report renders a finished run as Markdown, JSON and JUnit; an unknown run is bad input")
    func reports() async throws {
        let (healthy, store, _) = try await generatedStore()
        _ = healthy
        let runs = try TemporaryDirectory()
        let run = try await drbook(["run", "verify-backups", "--param", "store=\(store)", "--runs-dir", runs.url.path] + workspaceArguments)
        #expect(run.status == 0)
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: runs.url.path).first)
        let markdown = try await drbook(["report", id, "--runs-dir", runs.url.path])
        #expect(markdown.status == 0)
        #expect(markdown.stdout.contains("# Run report: verify-backups — PASSED"))
        #expect(markdown.stdout.contains("docs/dr/alerting.md#every-monitoring-volume-has-data"))
        let json = try await drbook(["report", id, "--runs-dir", runs.url.path, "--format", "json"])
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil)
        let junit = try await drbook(["report", id, "--runs-dir", runs.url.path, "--format", "junit"])
        #expect(junit.stdout.contains("<testsuite name=\"verify-backups\" tests=\"1\" failures=\"0\""))
        let missing = try await drbook(["report", "20200101T000000Z-0000", "--runs-dir", runs.url.path])
        #expect(missing.status == 2)
    }
}
