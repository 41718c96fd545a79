import DRBookText
import Foundation

/// Go's `time.Duration` text (`"336h0m0s"`, `"24h"`, `"90m"`, `"1.5h"`), as Velero
/// writes `spec.ttl`.
public enum GoDuration {
    /// Why a text is not a Go duration.
    public enum Failure: Error, Sendable, Equatable {
        case malformed
        /// Well formed, but longer than Go's longest duration (`DurationText.longest`),
        /// which Velero could not have written either.
        case tooLong
    }

    /// Seconds, or nil when `text` is not a Go duration.
    public static func parse(_ text: String) -> TimeInterval? {
        try? read(text).get()
    }

    /// Seconds, or why `text` is not a Go duration.
    public static func read(_ text: String) -> Result<TimeInterval, Failure> {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var negative = false
        if rest.hasPrefix("-") { negative = true; rest = rest.dropFirst() } else if rest.hasPrefix("+") { rest = rest.dropFirst() }
        if rest == "0" { return .success(0) }
        guard !rest.isEmpty else { return .failure(.malformed) }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return .failure(.malformed) }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return .failure(.malformed) }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        guard total <= Double(DurationText.longestSeconds) else { return .failure(.tooLong) }
        return .success(negative ? -total : total)
    }

    /// `86400` → `"24h"`, `205` → `"3m25s"`: whole seconds in drbook's one text form for
    /// durations (`DurationText`), which Go's `time.ParseDuration`, and so Velero, reads back.
    public static func format(_ seconds: TimeInterval) -> String {
        DurationText.format(seconds: seconds)
    }
}
