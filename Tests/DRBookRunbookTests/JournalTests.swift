import Foundation
import DRBookDigest
import Testing
@testable import DRBookRunbook

@Suite("The run journal")
struct JournalTests {
    static let runbook = runbookYAML("""
          - id: check
            uses: test.echo
            with:
              text: ${{ params.name }}
          - id: change
            uses: test.count
            destructive: true
            with:
              file: COUNT
        """, params: """
          name:
            type: string
            default: prod
          token:
            type: string
            secret: true
            default: journal-secret-value
        """)

    @Test("a run writes one schema-versioned JSON event per line under <root>/<run-id>/journal.jsonl, and every line parses")
    func everyEventParses() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.runbook)
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        let url = fixture.store.journal(of: outcome.runID)
        #expect(outcome.journal == url.path)
        #expect(url.path.hasSuffix("/runs/\(outcome.runID)/journal.jsonl"))
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["schemaVersion"] as? Int == 1)
            #expect(object["type"] is String)
            _ = try JSONDecoder().decode(JournalEvent.self, from: Data(line.utf8))
        }
        let events = try fixture.journal(outcome)
        #expect(events.count == lines.count)
        // The observer saw exactly what was journaled, in the same order.
        #expect(try events.map { try $0.jsonLine() } == fixture.observer.events.map { try $0.jsonLine() })
        #expect(events.types == [
            "run-start", "step-start", "step-log", "step-output", "step-output", "step-end",
            "decision", "step-start", "step-output", "step-end", "run-end",
        ])
    }

    @Test("run-start names the runbook, the SHA-256 of its file, params with secrets redacted, user and host")
    func runStart() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.runbook)
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        guard case let .runStart(start)? = try fixture.journal(outcome).first?.kind else {
            Issue.record("the journal does not begin with run-start")
            return
        }
        #expect(start.runID == outcome.runID)
        #expect(start.runbook == "engine-test")
        #expect(start.runbookSHA256 == SHA256Digest.hex(of: request.source))
        #expect(start.params == ["name": .string("prod"), "token": .string("[redacted]")])
        #expect(start.secretParams == ["token"])
        #expect(start.user == "tester")
        #expect(start.host == "testhost")
    }

    @Test("step-end records status, duration and attempts; run-end the verdict and exit code")
    func stepAndRunEnd() async throws {
        let fixture = try EngineFixture()
        let outcome = try await fixture.executor(assumeYes: true).run(try fixture.request(Self.runbook))
        let events = try fixture.journal(outcome)
        let end = try #require(events.stepEnd("change"))
        #expect(end.status == .passed)
        #expect(end.attempts == 1)
        #expect(end.durationSeconds >= 0)
        #expect(end.started)
        #expect(events.runEnd == JournalEvent.RunEnd(verdict: .passed, exitCode: 0, durationSeconds: events.runEnd!.durationSeconds, message: nil))
    }

    @Test("each event is synced to disk as it is appended")
    func fsyncPerEvent() throws {
        let directory = try TemporaryDirectory()
        let url = URL(fileURLWithPath: directory.path).appendingPathComponent("r/journal.jsonl")
        let journal = try Journal.create(at: url)
        for index in 0..<3 {
            try journal.append(JournalEvent(.stepLog(.init(stepID: "s", line: "line \(index)")), at: Date()))
            #expect(journal.syncedEventCount == index + 1)
            // Written through before append returns: another reader sees it at once.
            #expect(try JournalReader.read(url).events.count == index + 1)
        }
    }

    @Test("a torn last line (a crash mid-write) is set aside, not an error")
    func tornLastLine() throws {
        let directory = try TemporaryDirectory()
        let url = URL(fileURLWithPath: directory.path).appendingPathComponent("journal.jsonl")
        let event = JournalEvent(.stepLog(.init(stepID: "s", line: "whole")), at: Date())
        var data = try event.jsonLine() + Data("\n".utf8)
        data += try event.jsonLine().prefix(25)
        try data.write(to: url)
        let contents = try JournalReader.read(url)
        #expect(contents.events.count == 1)
        #expect(contents.tornTail?.count == 25)
    }

    @Test("a bad line before the last is corruption, reported with its line number")
    func corruptionInTheMiddle() throws {
        let directory = try TemporaryDirectory()
        let url = URL(fileURLWithPath: directory.path).appendingPathComponent("journal.jsonl")
        let line = try JournalEvent(.stepLog(.init(stepID: "s", line: "ok")), at: Date()).jsonLine()
        try (line + Data("\n{\"schemaVersion\":1,\"type\":\"step-lo\n".utf8) + line + Data("\n".utf8)).write(to: url)
        #expect {
            try JournalReader.read(url)
        } throws: { error in
            guard let error = error as? JournalError else { return false }
            return error.line == 2 && error.description.contains("journal.jsonl:2:") && error.message.contains("corrupt")
        }
    }

    @Test("a journal from a newer drbook is refused, saying so")
    func newerSchema() throws {
        let directory = try TemporaryDirectory()
        let url = URL(fileURLWithPath: directory.path).appendingPathComponent("journal.jsonl")
        let event = JournalEvent(.stepLog(.init(stepID: "s", line: "x")), at: Date(), schemaVersion: 99)
        try (event.jsonLine() + Data("\n".utf8)).write(to: url)
        #expect {
            try JournalReader.read(url)
        } throws: { error in
            (error as? JournalError)?.message.contains("newer than this drbook reads") == true
        }
    }

    @Test("appending after a crash first cuts the torn line, so every line parses again")
    func appendAfterTear() throws {
        let directory = try TemporaryDirectory()
        let url = URL(fileURLWithPath: directory.path).appendingPathComponent("journal.jsonl")
        let event = JournalEvent(.stepLog(.init(stepID: "s", line: "whole")), at: Date())
        try (event.jsonLine() + Data("\n".utf8) + event.jsonLine().prefix(10)).write(to: url)
        let journal = try Journal.openForAppending(at: url)
        try journal.append(event)
        let contents = try JournalReader.read(url)
        #expect(contents.events.count == 2)
        #expect(contents.tornTail == nil)
    }

    @Test("run ids are UTC timestamps with a suffix, sort by time, and refuse anything path-like")
    func runIDs() throws {
        let date = try #require(Value.parseTime("2026-11-25T11:49:00Z"))
        let id = RunID.make(at: date, suffix: "ab12")
        #expect(id.rawValue == "20261125T114900Z-ab12")
        #expect(RunID.make(at: date) < RunID.make(at: date.addingTimeInterval(1)))
        #expect(RunID("20261125T114900Z-ab12") == id)
        #expect(RunID("../../etc/passwd") == nil)
        #expect(RunID("20261125T114900Z-ab12/..") == nil)
        #expect(RunID("20261125X114900Z-ab12") == nil)
    }

    @Test("values keep their types through the journal")
    func valueCoding() throws {
        let value = Value.map([
            "s": .string("x"), "i": .int(3), "b": .bool(true), "d": .duration(.seconds(5400)),
            "t": .time(Value.parseTime("2026-01-31T02:17:00Z")!), "l": .list([.int(1), .null]),
        ])
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(Value.self, from: data) == value)
    }
}
