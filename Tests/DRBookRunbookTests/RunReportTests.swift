import Foundation
import Testing
@testable import DRBookRunbook
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Emits one metric with the given value and target.
private struct MetricAction: Action {
    static let descriptor = ActionDescriptor(
        name: "test.metric", summary: "Emits a metric.",
        inputs: [InputSpec("name", .string, required: true), InputSpec("value", .int, required: true), InputSpec("target", .int)])

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        context.metric(
            inputs.string("name") ?? "m", Double(inputs.int("value") ?? 0), unit: "s", target: inputs.int("target").map(Double.init))
        return [:]
    }
}

/// What XMLParser sees of a JUnit document.
private final class JUnitParse: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text = ""
    }

    var elements: [Element] = []
    private var open: [Int] = []
    var error: (any Error)?

    static func parse(_ xml: String) -> JUnitParse {
        let result = JUnitParse()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = result
        if !parser.parse() { result.error = parser.parserError ?? CocoaError(.coderReadCorrupt) }
        return result
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func all(_ name: String) -> [Element] { elements.filter { $0.name == name } }

    /// The children named `name` of each testcase, keyed by testcase name.
    func testcases() -> [(Element, child: Element?)] {
        var result: [(Element, child: Element?)] = []
        for element in elements {
            if element.name == "testcase" {
                result.append((element, nil))
            } else if ["failure", "skipped", "error"].contains(element.name), !result.isEmpty, result[result.count - 1].child == nil {
                result[result.count - 1].child = element
            }
        }
        return result
    }
}

@Suite("Run reports: Markdown, JSON, JUnit")
struct RunReportTests {
    static let paramSecret = "report-secret-K7#p/q+r=s"

    static let runbook = runbookYAML("""
          - id: check
            title: Check the backup
            doc: dr/restore.md#check-the-backup
            uses: test.echo
            with:
              text: hello
              token: ${{ params.token }}
          - id: restore
            title: Restore the database
            doc: dr/restore.md#restore
            uses: test.count
            destructive: true
            with:
              file: COUNT
              label: "restore for ${{ params.token }}"
              token: ${{ params.token }}
          - id: optional
            title: Optional step
            uses: test.echo
            when: ${{ params.region == 'eu' }}
          - id: measure-rto
            title: Measure RTO
            uses: test.metric
            with:
              name: rto_seconds
              value: 90
              target: 3600
          - id: measure-rpo
            title: Measure RPO
            uses: test.metric
            with:
              name: rpo_seconds
              value: 900
              target: 300
          - id: verify
            title: Verify the data
            doc: dr/restore.md#verify
            uses: test.fail
            onFailure: continue
            with:
              times: 5
          - id: broken
            title: Typed wrongly
            uses: test.echo
            onFailure: continue
            with:
              number: ${{ params.token }}
        """, params: """
          token:
            type: string
            secret: true
          region:
            type: string
            default: us
        """)

    static let passingRunbook = runbookYAML("""
          - id: first
            title: First
            doc: dr/restore.md#first
            uses: test.echo
            with:
              text: one
          - id: second
            title: Second
            uses: test.progress
        """)

    func registry(_ fixture: EngineFixture) -> ActionRegistry {
        ActionRegistry([
            EchoAction(log: fixture.log), CountAction(log: fixture.log), FailAction(log: fixture.log), ProgressAction(), MetricAction(),
        ])
    }

    /// Runs `yaml` with the test actions plus test.metric; returns the run id and the fixture's store.
    func run(_ fixture: EngineFixture, _ yaml: String, params: [String] = []) async throws -> RunOutcome {
        let source = yaml.replacingOccurrences(of: "COUNT", with: fixture.countFile)
        let file = (fixture.directory as NSString).appendingPathComponent("runbook.yaml")
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let runbook = try RunbookLoader.load(yaml: source, file: file)
        let registry = registry(fixture)
        let problems = RunbookLinter(catalog: registry.catalog, docsRoot: nil).lint(runbook).errors
        #expect(problems.isEmpty, "test runbook does not lint: \(problems.rendered())")
        let executor = Executor(ExecutorConfiguration(
            registry: registry, store: fixture.store, prompt: NoTerminalPrompt(), observer: fixture.observer, assumeYes: true,
            environment: [:], cancellationGrace: .milliseconds(500), user: "tester", host: "testhost"))
        return try await executor.run(RunRequest(runbook: runbook, source: source, paramFlags: params))
    }

    func mixedReport() async throws -> (RunReport, RunOutcome, EngineFixture) {
        let fixture = try EngineFixture()
        let outcome = try await run(fixture, Self.runbook, params: ["token=\(Self.paramSecret)"])
        return (try RunReport.load(outcome.runID, store: fixture.store), outcome, fixture)
    }

    // MARK: The model

    @Test("a passing run: verdict, times, user and host, steps in order with doc links, the met metric")
    func passingRun() async throws {
        let fixture = try EngineFixture()
        let outcome = try await run(fixture, Self.passingRunbook)
        #expect(outcome.verdict == .passed)
        let report = try RunReport.load(outcome.runID, store: fixture.store)
        #expect(report.verdict == .passed)
        #expect(report.exitCode == 0)
        #expect(report.isComplete)
        #expect(report.incomplete == nil)
        #expect(report.runID == outcome.runID.rawValue)
        #expect(report.runbook == "engine-test")
        #expect(report.user == "tester" && report.host == "testhost")
        #expect(report.docLinksNote == nil)
        let started = try #require(report.startedAt), ended = try #require(report.endedAt)
        #expect(ended >= started)
        #expect(report.durationSeconds >= 0)
        #expect(report.steps.map(\.id) == ["first", "second"])
        #expect(report.steps.map(\.status) == [.passed, .passed])
        #expect(report.steps[0].doc == "dr/restore.md#first")
        #expect(report.steps[0].title == "First" && report.steps[0].action == "test.echo" && report.steps[0].attempts == 1)
        #expect(report.steps[1].doc == nil)
        #expect(report.metrics == [RunReport.Metric(stepID: "second", name: "rto_seconds", value: 12.5, unit: "s", target: 14400, met: true)])

        let markdown = report.markdown()
        #expect(markdown.hasPrefix("# Run report: engine-test — PASSED\n"))
        #expect(markdown.contains("| Verdict | passed (exit 0) |"))
        #expect(markdown.contains("| Operator | tester@testhost |"))
        #expect(markdown.contains("| 1 | `first` First | ✅ passed |"))
        #expect(markdown.contains("[dr/restore.md#first](docs/dr/restore.md#first)"))
        #expect(markdown.contains("| `second` | rto_seconds | 12.5 s | <= 14400 s | ✅ yes |"))
        #expect(!markdown.contains("## Failures"))
        #expect(!markdown.contains("Incomplete"))

        let junit = JUnitParse.parse(report.junitXML())
        #expect(junit.error == nil)
        let suite = try #require(junit.all("testsuite").first)
        #expect(junit.all("testsuite").count == 1)
        #expect(suite.attributes["name"] == "engine-test")
        #expect(suite.attributes["tests"] == "2" && suite.attributes["failures"] == "0")
        #expect(suite.attributes["skipped"] == "0" && suite.attributes["errors"] == "0")
        #expect(junit.all("testcase").map { $0.attributes["name"] } == ["first: First", "second: Second"])
        #expect(junit.all("testcase").allSatisfy { $0.attributes["classname"] == "engine-test" && $0.attributes["time"] != nil })
    }

    @Test("a mixed run: a failure with its fix, a skipped step, a metric met and one missed, a decision")
    func mixedRunModel() async throws {
        let (report, outcome, fixture) = try await mixedReport()
        #expect(outcome.verdict == .failed)
        #expect(fixture.countLines.count == 1)
        #expect(report.verdict == .failed && report.exitCode == 1)
        #expect(report.steps.map(\.id) == ["check", "restore", "optional", "measure-rto", "measure-rpo", "verify", "broken"])
        #expect(report.steps.map(\.status) == [.passed, .passed, .skipped, .passed, .passed, .failed, .failed])
        let verify = report.steps[5]
        #expect(verify.error?.contains("planned failure 1") == true)
        #expect(verify.fix == "wait for attempt 2")
        #expect(verify.doc == "dr/restore.md#verify")
        #expect(report.steps[2].reason == "its when condition is false")
        #expect(report.steps[1].mutates == true)
        #expect(report.metrics.map(\.name) == ["rto_seconds", "rpo_seconds"])
        #expect(report.metrics.map(\.met) == [true, false])
        #expect(report.decisions.count == 1)
        #expect(report.decisions.first?.stepID == "restore" && report.decisions.first?.by == .assumeYes)
        #expect(report.params.map(\.name) == ["region", "token"])
        #expect(report.params.first { $0.name == "token" }?.value == "[redacted]")
        #expect(report.params.first { $0.name == "region" }?.value == "us")
    }

    @Test("Markdown of a failing run: title, summary, steps table, failures with fix, metrics with targets, decisions")
    func mixedRunMarkdown() async throws {
        let (report, _, _) = try await mixedReport()
        let markdown = report.markdown()
        #expect(markdown.hasPrefix("# Run report: engine-test — FAILED\n"))
        #expect(markdown.contains("| Verdict | failed (exit 1) |"))
        #expect(markdown.contains("| Steps | 4 passed, 2 failed, 1 skipped |"))
        #expect(markdown.contains("| 3 | `optional` Optional step | ⏭️ skipped: its when condition is false |"))
        #expect(markdown.contains("| 6 | `verify` Verify the data | ❌ failed |"))
        #expect(markdown.contains("[dr/restore.md#verify](docs/dr/restore.md#verify)"))
        let sections = ["## Steps", "## Failures", "## Metrics", "## Operator decisions"].map { markdown.range(of: $0)?.lowerBound }
        #expect(sections.allSatisfy { $0 != nil })
        #expect(sections.compactMap { $0 } == sections.compactMap { $0 }.sorted())
        #expect(markdown.contains("### `verify` Verify the data"))
        #expect(markdown.contains("- **Fix:** wait for attempt 2"))
        #expect(markdown.contains("- **Error:** test object: planned failure 1"))
        #expect(markdown.contains("| `measure-rto` | rto_seconds | 90 s | <= 3600 s | ✅ yes |"))
        #expect(markdown.contains("| `measure-rpo` | rpo_seconds | 900 s | <= 300 s | ❌ no |"))
        #expect(markdown.contains("| `restore` | confirmed | assumeYes |"))
    }

    @Test("JSON: sorted keys, ISO-8601 times, round-trips")
    func mixedRunJSON() async throws {
        let (report, _, _) = try await mixedReport()
        let json = try report.json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["verdict"] as? String == "failed")
        #expect(object["runbook"] as? String == "engine-test")
        let started = try #require(object["startedAt"] as? String)
        #expect(started.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
        let steps = try #require(object["steps"] as? [[String: Any]])
        #expect(steps.count == 7)
        #expect(steps[5]["status"] as? String == "failed" && steps[5]["fix"] as? String == "wait for attempt 2")
        #expect(steps[5]["doc"] as? String == "dr/restore.md#verify")
        let metrics = try #require(object["metrics"] as? [[String: Any]])
        #expect(metrics.map { $0["met"] as? Bool } == [true, false])
        #expect(metrics[1]["target"] as? Double == 300 && metrics[1]["value"] as? Double == 900)
        // Stable: keys sorted, so the same report renders byte for byte the same.
        #expect(json == (try report.json()))
        #expect(json.range(of: #""decisions"[\s\S]*"durationSeconds"[\s\S]*"steps"[\s\S]*"verdict""#, options: .regularExpression) != nil)
        let back = try RunReport.fromJSON(Data(json.utf8))
        #expect(back.steps == report.steps && back.metrics == report.metrics && back.verdict == report.verdict)
    }

    @Test("JUnit of a failing run: counts, one testcase per step, failure with error and fix, skipped")
    func mixedRunJUnit() async throws {
        let (report, _, _) = try await mixedReport()
        let junit = JUnitParse.parse(report.junitXML())
        #expect(junit.error == nil, "JUnit does not parse: \(String(describing: junit.error))")
        let suite = try #require(junit.all("testsuite").first)
        #expect(suite.attributes["name"] == "engine-test")
        #expect(suite.attributes["tests"] == "7")
        #expect(suite.attributes["failures"] == "2")
        #expect(suite.attributes["skipped"] == "1")
        #expect(suite.attributes["errors"] == "0")
        #expect(Double(suite.attributes["time"] ?? "") != nil)
        let cases = junit.testcases()
        #expect(cases.count == 7)
        #expect(cases.map { $0.0.attributes["name"] ?? "" }.first == "check: Check the backup")
        let verify = try #require(cases.first { $0.0.attributes["name"] == "verify: Verify the data" })
        #expect(verify.child?.name == "failure")
        #expect(verify.child?.attributes["message"]?.contains("planned failure 1") == true)
        #expect(verify.child?.attributes["type"] == "test.fail")
        #expect(verify.child?.text.contains("Fix: wait for attempt 2") == true)
        #expect(verify.child?.text.contains("Doc: docs/dr/restore.md#verify") == true)
        let optional = try #require(cases.first { $0.0.attributes["name"] == "optional: Optional step" })
        #expect(optional.child?.name == "skipped")
        #expect(optional.child?.attributes["message"] == "skipped: its when condition is false")
        #expect(cases.filter { $0.child == nil }.count == 4)
    }

    @Test("a secret param: its value, in any encoding, appears in no format")
    func secretsStayRedacted() async throws {
        let (report, _, fixture) = try await mixedReport()
        // The run did use the secret in clear.
        #expect(fixture.countLines == ["restore for \(Self.paramSecret)"])
        let xml = report.junitXML()
        let parsed = JUnitParse.parse(xml)
        let xmlValues = parsed.elements.flatMap { [$0.text] + $0.attributes.values }.joined(separator: "\n")
        for (label, text) in [("markdown", report.markdown()), ("json", try report.json()), ("junit", xml), ("junit parsed", xmlValues)] {
            for form in try encodedForms(of: Self.paramSecret) {
                #expect(!text.contains(form), "\(label) contains a form of the secret: \(form)")
            }
            #expect(text.contains("[redacted]"), "\(label) does not show that something was redacted")
        }
    }

    @Test("a crashed run (no run-end, torn last line): incomplete, unfinished step, resume hint in every format")
    func crashedRun() async throws {
        let fixture = try EngineFixture()
        let outcome = try await run(fixture, Self.passingRunbook)
        let url = fixture.store.journal(of: outcome.runID)
        // Cut the journal as a crash inside step 'second' would: keep everything up to its step-start, then a torn line.
        var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        let secondStart = try #require(lines.firstIndex { $0.contains(#""type":"step-start""#) && $0.contains(#""stepID":"second""#) })
        let torn = String(lines[secondStart + 1].prefix(25))
        lines = Array(lines[...secondStart])
        try Data((lines.joined(separator: "\n") + "\n" + torn).utf8).write(to: url)

        let report = try RunReport.load(outcome.runID, store: fixture.store)
        #expect(report.verdict == nil)
        #expect(!report.isComplete)
        #expect(report.verdictText == "incomplete")
        #expect(report.incomplete == "interrupted or still running; `drbook resume \(outcome.runID)`")
        #expect(report.tornTailBytes == torn.utf8.count)
        #expect(report.steps.map(\.status) == [.passed, .unfinished])

        let markdown = report.markdown()
        #expect(markdown.hasPrefix("# Run report: engine-test — INCOMPLETE\n"))
        #expect(markdown.contains("`drbook resume \(outcome.runID)`"))
        #expect(markdown.contains("torn line"))
        #expect(markdown.contains("| 2 | `second` Second | ⚠️ unfinished |"))

        let json = try report.json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["verdict"] == nil)
        #expect((object["incomplete"] as? String)?.contains("drbook resume \(outcome.runID)") == true)

        let junit = JUnitParse.parse(report.junitXML())
        #expect(junit.error == nil)
        let suite = try #require(junit.all("testsuite").first)
        #expect(suite.attributes["tests"] == "2" && suite.attributes["errors"] == "1" && suite.attributes["failures"] == "0")
        let second = try #require(junit.testcases().last)
        #expect(second.child?.name == "error")
        #expect(second.child?.attributes["message"]?.contains("drbook resume") == true)
        #expect(junit.all("property").contains { $0.attributes["name"] == "verdict" && $0.attributes["value"] == "incomplete" })
    }

    @Test("a crash before a step started: steps the runbook has but the run never reached show as not run")
    func notReachedSteps() async throws {
        let fixture = try EngineFixture()
        let outcome = try await run(fixture, Self.passingRunbook)
        let events = try fixture.journal(outcome)
        let cut = try #require(events.firstIndex { $0.kind.type == "step-start" && $0.kind.stepID == "second" })
        let (runbook, note) = RunReport.runbook(for: events)
        #expect(note == nil)
        let report = RunReport(events: Array(events[..<cut]), runbook: runbook)
        #expect(report.steps.map(\.id) == ["first", "second"])
        #expect(report.steps.map(\.status) == [.passed, .notRun])
        let junit = JUnitParse.parse(report.junitXML())
        #expect(junit.all("testsuite").first?.attributes["skipped"] == "1")
    }

    @Test("doc links are omitted, with the reason, when the runbook changed or is gone")
    func docLinksNeedTheSameRunbook() async throws {
        let fixture = try EngineFixture()
        let outcome = try await run(fixture, Self.passingRunbook)
        let file = (fixture.directory as NSString).appendingPathComponent("runbook.yaml")
        try (Self.passingRunbook + "\n# edited\n").write(toFile: file, atomically: true, encoding: .utf8)
        let changed = try RunReport.load(outcome.runID, store: fixture.store)
        #expect(changed.steps.allSatisfy { $0.doc == nil })
        #expect(changed.docLinksNote?.contains("has changed since the run") == true)
        #expect(changed.markdown().contains("has changed since the run"))

        try FileManager.default.removeItem(atPath: file)
        let gone = try RunReport.load(outcome.runID, store: fixture.store)
        #expect(gone.steps.allSatisfy { $0.doc == nil })
        #expect(gone.docLinksNote?.contains("no longer exists") == true)
        #expect(gone.steps.map(\.status) == [.passed, .passed])
    }

    @Test("XML escaping: <, &, quotes, apostrophes, tabs, newlines and control characters survive a real XML parser")
    func xmlEscaping() async throws {
        let fixture = try EngineFixture()
        let outcome = try await run(fixture, Self.runbook, params: ["token=x"])
        let nasty = "a <b> & \"c\" 'd' ]]> tab\there\nline2 bell\u{07} nul\u{00} esc\u{1B} end"
        let events = try fixture.journal(outcome).map { event -> JournalEvent in
            var copy = event
            switch event.kind {
            case var .stepEnd(end) where end.stepID == "verify":
                end.error = nasty
                end.fix = "fix </failure> & " + nasty
                copy.kind = .stepEnd(end)
            case var .stepStart(start) where start.stepID == "verify":
                start.title = "Title <&\"'>\u{01}"
                copy.kind = .stepStart(start)
            case var .runStart(start):
                start.runbook = "book <&\"'>"
                copy.kind = .runStart(start)
            default: break
            }
            return copy
        }
        let report = RunReport(events: events, runbook: nil)
        let xml = report.junitXML()
        #expect(!xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" })
        let junit = JUnitParse.parse(xml)
        #expect(junit.error == nil, "JUnit does not parse: \(String(describing: junit.error))\n\(xml)")
        #expect(junit.all("testsuite").first?.attributes["name"] == "book <&\"'>")
        let verify = try #require(junit.testcases().first { $0.0.attributes["name"]?.hasPrefix("verify: ") == true })
        #expect(verify.0.attributes["name"] == "verify: Title <&\"'>\u{FFFD}")
        #expect(verify.0.attributes["classname"] == "book <&\"'>")
        let expected = "a <b> & \"c\" 'd' ]]> tab\there\nline2 bell\u{FFFD} nul\u{FFFD} esc\u{FFFD} end"
        #expect(verify.child?.attributes["message"] == expected)
        #expect(verify.child?.text.hasPrefix(expected + "\nFix: fix </failure> & ") == true)

        // Markdown keeps tables intact: no raw newline or HTML inside a cell.
        let markdown = report.markdown()
        #expect(markdown.contains("Title &lt;&amp;\"'&gt;"))
        #expect(markdown.contains("- **Error:** a &lt;b&gt; &amp; \"c\" 'd' ]]&gt; tab\there<br>line2"))
    }
}
