import DRBookTestSupport
import Foundation
import Testing

/// What a new user trips over in the first hour, each through the real binary: documents on
/// stdout and nothing else, resume with a changed input, exit statuses, mistyped store prefixes,
/// lint that cannot pass wrongly, names a person types, and secrets nobody marked.
@Suite("drbook in the first hour: machine output, resume, exit statuses, prefixes, lint, names, shaped secrets", .offPoolOneAtATime)
struct FirstHourCLITests {
    /// A folder with runbooks, docs and a runs folder; drbook runs inside it.
    final class Workspace: @unchecked Sendable {
        let directory: TemporaryDirectory
        var root: String { directory.url.path }
        var runs: String { directory.path("runs") }

        init() throws {
            directory = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory.path("runbooks"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: directory.path("docs"), withIntermediateDirectories: true)
            try "# Drills\n\n## Checks\n".write(toFile: directory.path("docs/drills.md"), atomically: true, encoding: .utf8)
        }

        func runbook(_ file: String, _ text: String) throws {
            try text.write(toFile: directory.path("runbooks/\(file)"), atomically: true, encoding: .utf8)
        }

        func run(_ arguments: [String], input: String? = nil, in directory: String? = nil) async throws -> CLIResult {
            try await drbook(arguments, input: input, directory: directory ?? root, timeout: .seconds(60))
        }

        /// The one run under runs/, and its journal's text.
        func onlyRun() throws -> (id: String, journal: String) {
            let ids = try FileManager.default.contentsOfDirectory(atPath: runs).sorted()
            guard ids.count == 1 else { throw TimedOut(description: "expected one run in \(runs), found \(ids)") }
            return (ids[0], try String(contentsOfFile: "\(runs)/\(ids[0])/journal.jsonl", encoding: .utf8))
        }
    }

    static let twoSteps = """
        apiVersion: drbook/v1
        metadata:
          name: two-steps
          title: Two checks
          tags: [drill]
          doc: drills.md#checks
        params:
          window:
            type: duration
            default: 24h
            description: How far back to look
          mode:
            type: enum
            values: [drill, outage]
            default: drill
        steps:
          - id: first
            title: First check
            uses: wait
            with: {duration: 10ms, reason: the first check}
          - id: second
            title: Second check
            uses: wait
            when: ${{ params.mode == 'drill' && params.window > 1h }}
            with: {duration: 10ms}
        """

    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    // MARK: 1. Documents on stdout

    @Test("-o json prints only JSON on stdout: run (one event per line), the dry-run plan, list, runs, show and report")
    func jsonOnStdout() async throws {
        let workspace = try Workspace()
        try workspace.runbook("two.yaml", Self.twoSteps)
        let run = try await workspace.run(["run", "two-steps", "-o", "json", "--runs-dir", workspace.runs])
        #expect(run.status == 0, "\(run.all)")
        for line in run.stdout.split(separator: "\n") { _ = try json(String(line)) }
        #expect(run.stderr.contains("Journal: ") && run.stderr.contains("Next: drbook report "))

        let plan = try await workspace.run(["run", "two-steps", "--dry-run", "-o", "json", "--runs-dir", workspace.runs])
        #expect(plan.status == 0, "\(plan.all)")
        let document = try #require(try json(plan.stdout) as? [String: Any])
        #expect(document["runbook"] as? String == "two-steps")
        #expect((document["steps"] as? [[String: Any]])?.map { $0["id"] as? String } == ["first", "second"])

        let list = try await workspace.run(["list", "-o", "json"])
        let rows = try #require(try json(list.stdout) as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String } == ["two-steps"])
        #expect(rows.first?["tags"] as? [String] == ["drill"])

        let runs = try await workspace.run(["runs", "-o", "json", "--runs-dir", workspace.runs])
        let runRows = try #require(try json(runs.stdout) as? [[String: Any]])
        #expect(runRows.count == 1)
        #expect(runRows.first?["verdict"] as? String == "passed")
        #expect(runRows.first?["durationSeconds"] is NSNumber)
        let id = try #require(runRows.first?["id"] as? String)

        let show = try await workspace.run(["show", "two-steps", "-o", "json"])
        let outline = try #require(try json(show.stdout) as? [String: Any])
        let params = try #require(outline["params"] as? [[String: Any]])
        #expect(params.first?["type"] as? String == "duration")
        #expect(params.first?["description"] as? String == "How far back to look")
        #expect(params.last?["values"] as? [String] == ["drill", "outage"])

        for flag in ["-o", "--format", "--output"] {
            let report = try await workspace.run(["report", id, flag, "json", "--runs-dir", workspace.runs])
            #expect(report.status == 0, "\(report.all)")
            #expect((try json(report.stdout) as? [String: Any])?["runID"] as? String == id, "\(flag): \(report.stdout.prefix(200))")
        }
        let yaml = try await workspace.run(["report", id, "-o", "yaml", "--runs-dir", workspace.runs])
        #expect(yaml.status == 0, "\(yaml.all)")
        #expect(yaml.stdout.contains("runID: \(id)"))
        let listYAML = try await workspace.run(["list", "-o", "yaml"])
        #expect(listYAML.stdout.contains("- file: runbooks/two.yaml"), "\(listYAML.stdout)")
    }

    @Test("backups list -o json gives ages as seconds")
    func agesAreSeconds() async throws {
        let (directory, store, _) = try await generatedStore()
        _ = directory
        let result = try await drbook(["backups", "list", "--store", store, "-o", "json"])
        #expect(result.status == 0, "\(result.all)")
        let document = try #require(try json(result.stdout) as? [String: Any])
        let backups = try #require(document["backups"] as? [[String: Any]])
        #expect(!backups.isEmpty)
        #expect(backups.allSatisfy { $0["ageSeconds"] is NSNumber && $0["age"] == nil })
    }

    // MARK: 2. Resume

    @Test("resume refuses a param that changed (exit 2, naming it) and works from another directory")
    func resumeChangedParamAndElsewhere() async throws {
        let workspace = try Workspace()
        try workspace.runbook("fails.yaml", """
            apiVersion: drbook/v1
            metadata: {name: fails, title: Fails until the file exists}
            params:
              marker:
                type: string
            steps:
              - id: check
                uses: exec
                destructive: true
                with:
                  argv: [test, -e, "${{ params.marker }}"]
            """)
        let marker = workspace.directory.path("marker")
        let first = try await workspace.run(["run", "fails", "--yes", "--param", "marker=\(marker)", "--runs-dir", workspace.runs])
        #expect(first.status == 1, "\(first.all)")
        let (id, _) = try workspace.onlyRun()

        let changed = try await workspace.run(["resume", id, "--param", "marker=/elsewhere", "--runs-dir", workspace.runs])
        #expect(changed.status == 2, "\(changed.all)")
        #expect(changed.stderr.contains("--param marker: run \(id) started with another value, and a resume keeps the run's inputs"), "\(changed.stderr)")

        #expect(FileManager.default.createFile(atPath: marker, contents: Data()))
        let elsewhere = try TemporaryDirectory()
        let resumed = try await workspace.run(["resume", id, "--yes", "--runs-dir", workspace.runs], in: elsewhere.url.path)
        #expect(resumed.status == 0, "\(resumed.all)")
    }

    // MARK: 3. Exit statuses

    @Test("a bad --context is bad input (2) before any run exists, told once")
    func badContext() async throws {
        let workspace = try Workspace()
        try workspace.runbook("two.yaml", Self.twoSteps)
        let kubeconfig = workspace.directory.path("kubeconfig")
        try """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: abcd}}]
            contexts: [{name: real, context: {cluster: c, user: u}}]
            current-context: real
            """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let result = try await workspace.run(["run", "two-steps", "--kubeconfig", kubeconfig, "--context", "nosuch", "--runs-dir", workspace.runs])
        #expect(result.status == 2, "\(result.all)")
        #expect(result.stderr.components(separatedBy: "nosuch").count - 1 >= 1)
        #expect(result.stderr.components(separatedBy: "Error:").count - 1 == 1, "\(result.stderr)")
        let runsMade = (try? FileManager.default.contentsOfDirectory(atPath: workspace.runs)) ?? []
        #expect(runsMade.isEmpty, "a run was created: \(runsMade)")
        let missing = try await workspace.run(["run", "two-steps", "--kubeconfig", workspace.directory.path("absent"), "--runs-dir", workspace.runs])
        #expect(missing.status == 2, "\(missing.all)")
    }

    @Test("a manual or confirm step nobody can answer stops with 3 and says how to answer")
    func unanswerable() async throws {
        let workspace = try Workspace()
        for (name, step) in [("manual-step", "uses: manual\n    with: {instructions: Restart the router}"),
                             ("confirm-step", "uses: confirm\n    with: {message: Is the old cluster gone?}")] {
            try workspace.runbook("\(name).yaml", """
                apiVersion: drbook/v1
                metadata: {name: \(name), title: Ask}
                steps:
                  - id: ask
                    \(step)
                """)
            let result = try await workspace.run(["run", name, "--runs-dir", workspace.runs])
            #expect(result.status == 3, "\(name): \(result.all)")
            #expect(result.stdout.contains("Next: drbook resume "), "\(name): \(result.stdout)")
        }
    }

    @Test("param flag mistakes: no doubled prefix, and `--param store` without = says so first")
    func paramFlagMessages() async throws {
        let workspace = try Workspace()
        try workspace.runbook("needs.yaml", """
            apiVersion: drbook/v1
            metadata: {name: needs, title: Needs a store}
            params:
              store:
                type: string
            steps:
              - id: a
                uses: wait
                with: {duration: 10ms, reason: "${{ params.store }}"}
            """)
        let unknown = try await workspace.run(["run", "needs", "--param", "nosuch=1", "--param", "store=x", "--runs-dir", workspace.runs])
        #expect(unknown.status == 2)
        #expect(!unknown.stderr.contains("Error: error:"), "\(unknown.stderr)")
        #expect(unknown.stderr.hasPrefix("Error: --param nosuch: runbook needs has no param 'nosuch'"), "\(unknown.stderr)")
        let bare = try await workspace.run(["run", "needs", "--param", "store", "--runs-dir", workspace.runs])
        #expect(bare.status == 2)
        #expect(bare.stderr == "Error: --param store has no value; expected --param store=VALUE\n", "\(bare.stderr)")
    }

    @Test("backups list on an unreadable store is 2, as verify is")
    func unreadableStoreList() async throws {
        let result = try await drbook(["backups", "list", "--store", "s3://bucket/velero/prod", "--endpoint", "http://127.0.0.1:1",
                                       "--region", "auto"], environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIEXAMPLEKEY"])
        #expect(result.status == 2, "\(result.all)")
        #expect(result.stderr.hasPrefix("Error: no listing: the store could not be read"), "\(result.stderr)")
    }

    // MARK: 5. Did you mean

    @Test("a prefix one level up or inside the store gets 'did you mean', never advice to move data")
    func mistypedPrefix() async throws {
        let (directory, store, scenario) = try await generatedStore()
        _ = directory
        let root = String(store.dropFirst("file://".count))
        let up = "file://" + (root as NSString).deletingLastPathComponent
        for (given, kind) in [(up, "not a Velero store"), (store + "/backups", "a folder inside the Velero store")] {
            let list = try await drbook(["backups", "list", "--store", given])
            #expect(list.status == 2, "\(given): \(list.all)")
            #expect(list.stderr.contains(kind) && list.stderr.contains("did you mean \(store)?"), "\(list.stderr)")
            #expect(!list.all.contains("move"), "\(list.all)")
            let verify = try await drbook(["backups", "verify", "--store", given, "--namespace", scenario.namespace])
            #expect(verify.status == 1, "\(verify.all)")
            #expect(verify.stdout.contains("did you mean \(store)?"), "\(verify.stdout)")
            #expect(!verify.stdout.contains("move '"), "\(verify.stdout)")
        }
    }

    // MARK: 8. Lint

    @Test("lint with the docs folder missing is an error for a runbook that links docs")
    func lintWithoutDocs() async throws {
        let workspace = try Workspace()
        try workspace.runbook("two.yaml", Self.twoSteps)
        let clean = try await workspace.run(["lint"])
        #expect(clean.status == 0, "\(clean.all)")
        let missing = try await workspace.run(["lint", "--docs", "/missing"])
        #expect(missing.status == 2, "\(missing.all)")
        #expect(missing.stdout.contains("runbooks/two.yaml:6:8: error: metadata.doc links to drills.md, but the docs folder /missing does not exist"), "\(missing.stdout)")
    }

    @Test("the complete example of docs/runbook-format.md lints clean")
    func formatExampleLints() async throws {
        let format = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/runbook-format.md"), encoding: .utf8)
        let heading = try #require(format.range(of: "## A complete example"), "docs/runbook-format.md has no '## A complete example' section")
        let rest = format[heading.upperBound...]
        let open = try #require(rest.range(of: "```yaml\n"))
        let close = try #require(rest[open.upperBound...].range(of: "\n```"))
        let example = String(rest[open.upperBound..<close.lowerBound])
        let directory = try TemporaryDirectory()
        try example.write(toFile: directory.path("example.yaml"), atomically: true, encoding: .utf8)
        let result = try await drbook(["lint", directory.path("example.yaml"), "--docs", repositoryRoot.appendingPathComponent("docs").path])
        #expect(result.status == 0, "\(result.all)")
        #expect(result.stdout.contains("1 runbook checked: 0 errors"), "\(result.stdout)")
    }

    // MARK: 9. Names

    @Test("run suggests the runbook name, list filters by tag, show tells types, conditions and descriptions; list takes no --kubeconfig")
    func names() async throws {
        let workspace = try Workspace()
        try workspace.runbook("two.yaml", Self.twoSteps)
        let typo = try await workspace.run(["run", "two-step"])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("no runbook 'two-step' in runbooks/ (did you mean 'two-steps'?)"), "\(typo.stderr)")
        let byName = try await workspace.run(["show", "two-steps"])
        #expect(byName.status == 0, "\(byName.all)")
        #expect(byName.stdout.contains("  window  (duration, default 24h)  How far back to look"), "\(byName.stdout)")
        #expect(byName.stdout.contains("  mode  (one of drill|outage, default drill)"), "\(byName.stdout)")
        #expect(byName.stdout.contains("when: params.mode == 'drill' && params.window > 1h"), "\(byName.stdout)")
        let tagged = try await workspace.run(["list", "--tag", "drill"])
        #expect(tagged.stdout.contains("two-steps"))
        let untagged = try await workspace.run(["list", "--tag", "outage"])
        #expect(untagged.stdout == "No runbooks tagged outage in runbooks/.\n", "\(untagged.stdout)")
        for command in [["list"], ["runs"], ["lint"]] {
            let ignored = try await workspace.run(command + ["--kubeconfig", "x"])
            #expect(ignored.status == 2, "\(command): \(ignored.all)")
        }
        let completion = try await workspace.run(["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.stdout.contains("complete"))
    }

    // MARK: 10. Secrets by their shape

    @Test("a URL's user-info and Slack- or ping-shaped literals never reach the console, journal or reports; lint warns")
    func shapedSecrets() async throws {
        let workspace = try Workspace()
        let password = "s3cretPassw0rd"
        let webhook = "https://hooks.slack.com/services/T0FAKE000/B0FAKE000/abcdefghijklmnopqrstuvwx"
        let ping = "https://hc-ping.com/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
        try workspace.runbook("leaky.yaml", """
            apiVersion: drbook/v1
            metadata: {name: leaky, title: Leaky}
            steps:
              - id: userinfo
                uses: exec
                destructive: true
                onFailure: continue
                with: {argv: [sh, -c, "echo http://admin:\(password)@127.0.0.1:1/ >&2; exit 3"]}
              - id: shaped
                uses: exec
                destructive: true
                onFailure: continue
                with: {argv: [sh, -c, "echo \(webhook) \(ping); exit 3"]}
            """)
        let lint = try await workspace.run(["lint"])
        #expect(lint.stdout.contains("warning: input 'argv' of step 'userinfo' is a literal with the shape of a URL with user-info"), "\(lint.stdout)")
        #expect(lint.stdout.contains("warning: input 'argv' of step 'shaped' is a literal with the shape of a Slack webhook URL"), "\(lint.stdout)")
        let run = try await workspace.run(["run", "leaky", "--yes", "--runs-dir", workspace.runs])
        #expect(run.status == 1, "\(run.all)")
        let (id, journal) = try workspace.onlyRun()
        var shown = run.all + journal
        for format in ["md", "json", "junit"] {
            shown += try await workspace.run(["report", id, "-o", format, "--runs-dir", workspace.runs]).all
        }
        for secret in [password, "abcdefghijklmnopqrstuvwx", "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"] {
            #expect(!shown.contains(secret), "\(secret) leaked")
        }
        #expect(journal.contains("http://[redacted]@127.0.0.1:1/"))
        #expect(journal.contains("https://hooks.slack.com/services/[redacted]"))
    }
}
