import Foundation

/// Go's `time.Duration` text (`"336h0m0s"`, `"24h"`, `"90m"`, `"1.5h"`), as Velero
/// writes `spec.ttl` and as drbook takes `--rpo`.
public enum GoDuration {
    /// Seconds, or nil when `text` is not a Go duration.
    public static func parse(_ text: String) -> TimeInterval? {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var negative = false
        if rest.hasPrefix("-") { negative = true; rest = rest.dropFirst() } else if rest.hasPrefix("+") { rest = rest.dropFirst() }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return negative ? -total : total
    }

    /// `86400` → `"24h0m0s"`, as Go prints it (whole seconds).
    public static func format(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded())
        return "\(whole / 3600)h\((whole % 3600) / 60)m\(whole % 60)s"
    }
}
