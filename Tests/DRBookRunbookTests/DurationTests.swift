import Testing
@testable import DRBookRunbook

@Suite("Durations")
struct DurationTests {
    @Test("the notations runbooks use parse to the right length", arguments: [
        ("250ms", Duration.milliseconds(250)), ("30s", .seconds(30)), ("5m", .seconds(300)),
        ("1h30m", .seconds(5400)), ("336h", .seconds(336 * 3600)), ("2d", .seconds(172_800)), ("0", .zero),
    ])
    func parses(text: String, expected: Duration) {
        #expect(RunbookDuration.parse(text) == expected)
    }

    @Test("anything else is not a duration", arguments: ["", "5", "5 m", "1.5h", "-5m", "5x", "h", "30S", "1h30"])
    func rejects(text: String) {
        #expect(RunbookDuration.parse(text) == nil)
    }

    @Test("durations are written back in the shortest form")
    func formats() {
        #expect(RunbookDuration.format(.seconds(5400)) == "1h30m")
        #expect(RunbookDuration.format(.milliseconds(1250)) == "1s250ms")
        #expect(RunbookDuration.format(.seconds(336 * 3600)) == "14d")
        #expect(RunbookDuration.format(.zero) == "0s")
        #expect(RunbookDuration.format(.seconds(-300)) == "-5m")
    }
}
