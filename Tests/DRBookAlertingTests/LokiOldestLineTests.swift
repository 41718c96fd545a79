import DRBookActions
import DRBookKube
import DRBookRunbook
import DRBookTestSupport
import Foundation
import Testing

/// `loki.oldestLine` through the engine against Tests/Servers/loki_fixture.py: Loki is not
/// installed here, so a stand-in answers query_range in the shape Loki's HTTP API documents,
/// with the lines the test gives it.
@Suite("A restored Loki answers for its oldest retained line", .serialized, .timeLimit(.minutes(2)))
struct LokiOldestLineTests {
    static let backupAt = Date(timeIntervalSince1970: 1_780_000_000)

    static func nanoseconds(_ date: Date) -> String { String(Int64(date.timeIntervalSince1970) * 1_000_000_000) }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// Three days of Loki's own logs, the oldest holding a secret that must never be shown, and
    /// a stream that only began after the backup (a fresh volume).
    static func startLoki(_ directory: TemporaryDirectory) async throws -> ServerProcess {
        let streams: [[String: Any]] = [
            ["stream": ["namespace": "monitoring", "app": "loki"],
             "values": [[nanoseconds(backupAt.addingTimeInterval(-3 * 86_400)), "level=info msg=\"started\" password=hunter2"],
                        [nanoseconds(backupAt.addingTimeInterval(-86_400)), "level=info msg=\"compacted\""]]],
            ["stream": ["namespace": "monitoring", "app": "fresh"],
             "values": [[nanoseconds(backupAt.addingTimeInterval(600)), "level=info msg=\"started on an empty volume\""]]],
        ]
        let file = directory.path("lines.json")
        try JSONSerialization.data(withJSONObject: streams).write(to: URL(fileURLWithPath: file))
        return try await ServerProcess.start { try ServerProcess.python("loki_fixture.py", ["--lines", file], name: "loki") }
    }

    static let yaml = """
        apiVersion: drbook/v1
        kind: Runbook
        metadata:
          name: loki-proof
          title: Loki has its logs back
        params:
          loki: {type: string}
          selector: {type: string}
          backupAt: {type: string}
        steps:
          - id: oldest
            title: Loki answers for a line older than the backup minus an hour
            uses: loki.oldestLine
            with: {url: "${{ params.loki }}", selector: "${{ params.selector }}", before: "${{ params.backupAt }}", lookback: 168h}
        """

    func run(_ loki: ServerProcess, selector: String) async throws -> RunbookRun {
        let environment = ActionEnvironment(processEnvironment: [:], kube: KubeConnection(access: KubeAccess(environment: [:])))
        return try await runRunbook(Self.yaml, environment: environment,
                                    params: ["loki=\(loki.baseURL.absoluteString)", "selector=\(selector)", "backupAt=\(Self.time(Self.backupAt))"])
    }

    @Test("the oldest line of the selector, three days before the backup, is found and named by time and stream, never by its text")
    func oldestLineFound() async throws {
        let directory = try TemporaryDirectory()
        let loki = try await Self.startLoki(directory)
        defer { loki.stop() }
        let run = try await run(loki, selector: "{namespace=\"monitoring\", app=\"loki\"}")
        #expect(run.status("oldest") == .passed, "\(run.error("oldest") ?? "")")
        #expect(run.outcome.exitCode == 0)
        let oldest = Self.backupAt.addingTimeInterval(-3 * 86_400)
        #expect(run.output("oldest", "oldestLine") == .time(oldest))
        #expect(run.output("oldest", "stream") == .map(["namespace": .string("monitoring"), "app": .string("loki")]))
        #expect(run.lines("oldest") == [
            "oldest line of {namespace=\"monitoring\", app=\"loki\"} between \(Self.time(Self.backupAt.addingTimeInterval(-168 * 3600))) and \(Self.time(Self.backupAt)) at \(Self.time(oldest)) in stream {app=\"loki\", namespace=\"monitoring\"}",
        ])
        #expect(!run.journalText.contains("hunter2"), "a log line's text reached the journal")
    }

    @Test("a stream with no line before the backup (a fresh volume) fails naming the selector and the window")
    func noOldLine() async throws {
        let directory = try TemporaryDirectory()
        let loki = try await Self.startLoki(directory)
        defer { loki.stop() }
        let run = try await run(loki, selector: "{app=\"fresh\"}")
        #expect(run.status("oldest") == .failed)
        #expect(run.outcome.exitCode == 1)
        #expect(run.error("oldest") == "Loki (\(loki.baseURL.absoluteString)): has no line of {app=\"fresh\"} between \(Self.time(Self.backupAt.addingTimeInterval(-168 * 3600))) and \(Self.time(Self.backupAt)): its logs did not come back")
        #expect(run.fix("oldest") == "check velero.restoreProof for Loki's claim and that Loki runs on the restored claim; check the selector with logcli or Grafana's Explore")
    }

    @Test("a query Loki refuses fails with Loki's own parse error")
    func refused() async throws {
        let directory = try TemporaryDirectory()
        let loki = try await Self.startLoki(directory)
        defer { loki.stop() }
        let run = try await run(loki, selector: "rate(loki)")
        #expect(run.status("oldest") == .failed)
        #expect(run.error("oldest") == "Loki: GET /loki/api/v1/query_range on \(loki.baseURL.absoluteString) failed: HTTP 400: parse error at line 1, col 1: syntax error: unexpected IDENTIFIER")
        #expect(run.fix("oldest") == "correct the LogQL selector or the time range named in the message")
    }
}
