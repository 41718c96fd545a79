/// Durations as drbook prints them in text, wherever they come from (a runbook's `timeout:`,
/// `--rpo`, a Velero `ttl`, a backup's age): Go's compact notation with the zero parts left
/// out — `24h`, `336h`, `1h30m`, `3m25s`, `250ms`, `0s`.
///
/// Hours are the largest unit because that is how runbooks, `--rpo` and Velero write long
/// durations (`24h`, `720h`), so what drbook prints can be typed back into a runbook, a flag
/// or a Velero spec as it stands. `d` is read in runbooks but never printed.
public enum DurationText {
    /// Go's longest `time.Duration` in whole hours (2562047h, about 292 years). Velero and
    /// kubectl cannot express more, and every duration drbook reads is refused beyond it,
    /// so sums of two durations stay far inside `Int64` milliseconds.
    public static let longestSeconds: Int64 = 2_562_047 * 3_600

    /// `longestSeconds` as printed: "2562047h".
    public static var longest: String { format(.seconds(longestSeconds)) }

    /// The text of `duration`, to the millisecond (`1h30m`, `1s250ms`, `-5m`).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        // Both components carry the duration's sign; magnitudes keep Int64.min from trapping.
        let negative = seconds < 0 || attoseconds < 0
        let whole = seconds.magnitude
        let milliseconds = attoseconds.magnitude / 1_000_000_000_000_000
        if whole == 0, milliseconds == 0 { return "0s" }
        var text = negative ? "-" : ""
        let parts: [(suffix: String, value: UInt64)] = [
            ("h", whole / 3600), ("m", whole % 3600 / 60), ("s", whole % 60), ("ms", milliseconds),
        ]
        for part in parts where part.value > 0 { text += "\(part.value)\(part.suffix)" }
        return text
    }

    /// The text of `seconds` rounded to the whole second, as ages and Velero's TTLs are shown
    /// (`3m25s`, `720h`); a value past any real duration shows as more than the longest.
    public static func format(seconds: Double) -> String {
        guard seconds.isFinite, seconds.magnitude < Double(Int64.max / 2) else {
            return seconds < 0 ? "-\(longest)+" : "\(longest)+"
        }
        return format(.seconds(Int64(seconds.rounded())))
    }
}
