@testable import DRBookRunbook
import Foundation
import Testing

@Suite("Typed step results: kept whole, redacted, read back as their type")
struct StepResultTests {
    struct Verdict: Codable, Equatable {
        var name: String
        var count: Int
        var age: Double
        var at: Date
        var notes: [String]
    }

    @Test("a result written as JSON reads back as its type: integers stay integers, fractions fractions, dates RFC 3339")
    func roundTrip() throws {
        let verdict = Verdict(name: "daily-full", count: 4, age: 13_980.5, at: Date(timeIntervalSince1970: 1_764_900_000), notes: ["ok"])
        let result = try StepResult(kind: "test.verdict", encoding: verdict)
        guard case let .object(fields) = result.document else { Issue.record("not an object: \(result.document)"); return }
        #expect(fields["count"] == .integer(4))
        #expect(fields["age"] == .number(13_980.5))
        #expect(fields["at"] == .string("2025-12-05T02:00:00Z"))
        #expect(try result.decode(Verdict.self) == verdict)
    }

    @Test("in the journal a result is one step-result event, and a secret in it is redacted like any line")
    func journaledAndRedacted() throws {
        let secret = "hcw_" + String(repeating: "s3cr3t", count: 4)
        let result = StepResult(kind: "test.verdict", document: .object(["message": .string("token \(secret) rejected"), "n": .integer(2)]))
        let event = JournalEvent(.stepResult(.init(stepID: "verify", result: result)), at: Date(timeIntervalSince1970: 0))
        let line = String(decoding: try event.redacted(by: Redactor(secrets: [secret])).jsonLine(), as: UTF8.self)
        #expect(line.contains(#""type":"step-result""#))
        #expect(!line.contains(secret))
        #expect(line.contains(Redactor.replacement))
        let read = try JSONDecoder().decode(JournalEvent.self, from: Data(line.utf8))
        guard case let .stepResult(payload) = read.kind else { Issue.record("read back as \(read.kind)"); return }
        #expect(payload.stepID == "verify")
        #expect(payload.result.kind == "test.verdict")
    }
}
