import DRBookText
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

    @Test("durations are written in one form: Go's compact notation, hours the largest unit")
    func formats() {
        #expect(RunbookDuration.format(.seconds(5400)) == "1h30m")
        #expect(RunbookDuration.format(.milliseconds(1250)) == "1s250ms")
        #expect(RunbookDuration.format(.seconds(86400)) == "24h")
        #expect(RunbookDuration.format(.seconds(336 * 3600)) == "336h")
        #expect(RunbookDuration.format(.seconds(205)) == "3m25s")
        #expect(RunbookDuration.format(.seconds(3600)) == "1h")
        #expect(RunbookDuration.format(.zero) == "0s")
        #expect(RunbookDuration.format(.seconds(-300)) == "-5m")
        #expect(RunbookDuration.format(.milliseconds(-250)) == "-250ms")
    }

    @Test("what is printed parses back to the same duration", arguments: [
        Duration.milliseconds(250), .seconds(30), .seconds(205), .seconds(5400), .seconds(86400), .seconds(172_800),
        .milliseconds(3_723_004), .seconds(DurationText.longestSeconds),
    ])
    func roundTrips(duration: Duration) {
        #expect(RunbookDuration.parse(RunbookDuration.format(duration)) == duration)
    }

    @Test("ages and Velero TTLs in seconds print in the same form, to the whole second")
    func secondsFormat() {
        #expect(DurationText.format(seconds: 86400) == "24h")
        #expect(DurationText.format(seconds: 1_209_600) == "336h")
        #expect(DurationText.format(seconds: 204.6) == "3m25s")
        #expect(DurationText.format(seconds: 0.2) == "0s")
        // Never a trap, whatever arrives.
        #expect(DurationText.format(seconds: .infinity) == "2562047h+")
        #expect(DurationText.format(.seconds(Int64.max)) == "2562047788015215h30m7s")
        #expect(DurationText.format(.seconds(Int64.min)) == "-2562047788015215h30m8s")
    }

    @Test("a duration longer than Go's longest is refused as too long, not wrapped or trapped", arguments: [
        "2562048h", "106752d", "9223372036854775807s", "99999999999999999999h", "2562047h1s", "1d2562047h",
    ])
    func tooLong(text: String) {
        #expect(RunbookDuration.read(text) == .failure(.tooLong))
    }

    @Test("the longest duration itself is accepted", arguments: ["2562047h", "106751d23h"])
    func longest(text: String) throws {
        let duration = try RunbookDuration.read(text).get()
        #expect(duration <= .seconds(DurationText.longestSeconds))
    }

    @Test("malformed text stays malformed even with a huge amount in it")
    func malformedWithHugeAmount() {
        #expect(RunbookDuration.read("99999999999999999999x") == .failure(.malformed))
        #expect(RunbookDuration.read("99999999999999999999") == .failure(.malformed))
    }
}
