import Foundation

/// How far back a Prometheus' TSDB reaches: the proof that a restored volume brought its
/// history back, not a fresh empty database that started scraping again.
public struct PrometheusOldestSample: Sendable, Equatable {
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// `prometheus_tsdb_lowest_timestamp_seconds` on Prometheus' own /metrics.
        case tsdbMetric
        /// The oldest sample of a series found by a subquery over the window asked about.
        case series(String)

        public var description: String {
            switch self {
            case .tsdbMetric: return PrometheusOldestSample.lowestTimestampMetric
            case .series(let selector): return "the oldest sample of \(selector)"
            }
        }
    }

    /// Nil when the TSDB holds no sample at all.
    public var time: Date?
    public var source: Source

    public static let lowestTimestampMetric = "prometheus_tsdb_lowest_timestamp_seconds"
}

extension PrometheusClient {
    /// The oldest sample of `series` when given; else the TSDB's lowest timestamp from
    /// /metrics, or (that gauge absent, as on servers that are not Prometheus itself) the
    /// oldest sample of `up`. A series' oldest sample is found by a subquery over `window`
    /// before `now` at a thousandth of it, so it is at most one step later than the true one.
    public func oldestSample(series: String?, window: TimeInterval, now: Date) async throws -> PrometheusOldestSample {
        if series == nil, let lowest = try await metrics().value(of: PrometheusOldestSample.lowestTimestampMetric) {
            // An empty head reports the largest int64 milliseconds: no sample yet.
            let time = lowest.isFinite && lowest < now.addingTimeInterval(86_400).timeIntervalSince1970 ? Date(timeIntervalSince1970: lowest) : nil
            return PrometheusOldestSample(time: time, source: .tsdbMetric)
        }
        let selector = series ?? "up"
        let step = max(1, (window / 1000).rounded(.up))
        let expression = "min(min_over_time(timestamp(\(selector))[\(Int(window.rounded(.up)))s:\(Int(step))s]))"
        let oldest = try await query(expression, at: now).first.map { Date(timeIntervalSince1970: $0.value) }
        return PrometheusOldestSample(time: oldest, source: .series(selector))
    }
}
