import DRBookText
import Foundation

/// A duration as Prometheus and Alertmanager write them: `30s`, `5m`, `1h30m`, `1d`,
/// `1w`, `1y`, `500ms` (units largest first, each at most once).
public struct PrometheusDuration: Sendable, Equatable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) { self.seconds = seconds }

    public init?(_ text: String) {
        let units: [(String, Double)] = [("y", 365 * 86_400), ("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1), ("ms", 0.001)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        if rest == "0" { seconds = 0; return }
        var total = 0.0
        var nextUnit = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            // `ms` before `m`: the longest unit that matches.
            guard let found = units.indices.dropFirst(nextUnit).filter({ rest.hasPrefix(units[$0].0) })
                .max(by: { units[$0].0.count < units[$1].0.count }) else { return nil }
            total += number * units[found].1
            rest = rest.dropFirst(units[found].0.count)
            nextUnit = found + 1
        }
        seconds = total
    }

    /// In drbook's one duration form (DurationText: `1h30m30s`, `24h`), to the second past one second.
    public var description: String {
        seconds >= 1 ? DurationText.format(seconds: seconds) : DurationText.format(.milliseconds(Int64((max(seconds, 0) * 1000).rounded())))
    }
}

/// How often Alertmanager really sends a repeated notification (reference alerting.md §4):
/// repeats are only considered on `group_interval` ticks, and only once strictly more
/// than `repeat_interval` has passed since the last send was logged.
public struct HeartbeatCadence: Sendable, Equatable {
    public var groupInterval: PrometheusDuration
    public var repeatInterval: PrometheusDuration

    public init(groupInterval: PrometheusDuration, repeatInterval: PrometheusDuration) {
        self.groupInterval = groupInterval
        self.repeatInterval = repeatInterval
    }

    /// The period between sends: ceil(RI/GI)·GI, or (RI/GI + 1)·GI when RI is an exact
    /// multiple of GI (the log timestamp trails the tick, so the tick at RI itself is
    /// "not yet"); at least one group_interval.
    public var period: PrometheusDuration {
        let gi = groupInterval.seconds, ri = repeatInterval.seconds
        guard gi > 0 else { return repeatInterval }
        let ratio = ri / gi
        let ticks = ratio.rounded(.down) == ratio ? ratio + 1 : ratio.rounded(.up)
        return PrometheusDuration(seconds: max(1, ticks) * gi)
    }

    /// Whether Alertmanager 0.25 may send one tick early (RI an exact multiple of GI:
    /// both sides of its comparison are wall-clock times, so it is a race).
    public var mayFireOneTickEarly: Bool {
        let gi = groupInterval.seconds, ri = repeatInterval.seconds
        return gi > 0 && ri >= gi && (ri / gi).rounded(.down) == ri / gi
    }

    /// The longest gap between two heartbeats that still counts as healthy: one period,
    /// one more tick for timer drift, and the time one flush may spend retrying a send.
    public func longestHealthyGap(sendTimeout: PrometheusDuration = PrometheusDuration(seconds: 10)) -> PrometheusDuration {
        PrometheusDuration(seconds: period.seconds + groupInterval.seconds + sendTimeout.seconds)
    }
}
