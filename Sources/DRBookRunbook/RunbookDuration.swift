import DRBookText

/// Durations as runbooks write them: `250ms`, `30s`, `5m`, `1h30m`, `336h`, `2d`.
///
/// The Go-style notation Velero and Kubernetes users already know, plus `d`
/// for days. No fractions and no signs: a runbook never needs them, and each
/// extra form is one more way to misread a timeout at 3 a.m. Nothing longer than
/// `DurationText.longestSeconds` is read, so no arithmetic on a duration can overflow.
public enum RunbookDuration {
    static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// The longest duration, in milliseconds.
    static let longestMilliseconds = DurationText.longestSeconds * 1000

    /// Why a text is not a runbook duration.
    public enum Failure: Error, Sendable, Equatable {
        case malformed
        /// Well formed, but longer than `DurationText.longest`.
        case tooLong

        /// What was expected, for "found X; expected …" messages.
        public var expected: String {
            switch self {
            case .malformed: return "a duration such as 30s, 5m, 1h30m or 336h"
            case .tooLong: return "a duration of at most \(DurationText.longest) (about 292 years, the longest Go and Velero durations)"
            }
        }
    }

    /// The duration `text` denotes, or nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        try? read(text).get()
    }

    /// The duration `text` denotes, or why it is not one.
    public static func read(_ text: String) -> Result<Duration, Failure> {
        if text == "0" { return .success(.zero) }
        var rest = Substring(text)
        guard !rest.isEmpty else { return .failure(.malformed) }
        var total: Int64 = 0
        var tooLong = false
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return .failure(.malformed) }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isASCII && $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return .failure(.malformed) }
            rest = rest.dropFirst(unitText.count)
            // Keep reading after an amount too large, so malformed text is still called malformed.
            guard !tooLong, let amount = Int64(digits) else { tooLong = true; continue }
            let (part, overflow) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            if overflow || part > longestMilliseconds - total { tooLong = true } else { total += part }
        }
        return tooLong ? .failure(.tooLong) : .success(.milliseconds(total))
    }

    /// The text drbook prints for `duration` (`1h30m`, `250ms`, `-5m`); `parse` reads it back.
    public static func format(_ duration: Duration) -> String {
        DurationText.format(duration)
    }

    /// `duration` when it is within the longest duration either way, for results of arithmetic.
    static func bounded(_ duration: Duration) -> Duration? {
        let limit = Duration.seconds(DurationText.longestSeconds)
        return duration <= limit && duration >= .zero - limit ? duration : nil
    }
}
