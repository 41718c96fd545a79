/// Durations as runbooks write them: `250ms`, `30s`, `5m`, `1h30m`, `336h`, `2d`.
///
/// The Go-style notation Velero and Kubernetes users already know, plus `d`
/// for days. No fractions and no signs: a runbook never needs them, and each
/// extra form is one more way to misread a timeout at 3 a.m.
public enum RunbookDuration {
    static let units: [(suffix: String, seconds: Int64, milliseconds: Int64)] = [
        ("ms", 0, 1), ("s", 1, 0), ("m", 60, 0), ("h", 3600, 0), ("d", 86400, 0),
    ]

    /// The duration `text` denotes, or nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        var rest = Substring(text)
        var total = Duration.zero
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let amount = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isASCII && $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            let (seconds, overflow) = amount.multipliedReportingOverflow(by: max(unit.seconds, 1))
            guard !overflow else { return nil }
            total += unit.milliseconds > 0 ? .milliseconds(amount) : .seconds(seconds)
        }
        return total
    }

    /// The shortest runbook notation for `duration`: `1h30m`, `250ms`, `-5m`.
    public static func format(_ duration: Duration) -> String {
        var milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        var text = ""
        if milliseconds < 0 {
            text = "-"
            milliseconds = -milliseconds
        }
        let parts: [(String, Int64)] = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
        for (suffix, size) in parts where milliseconds >= size {
            text += "\(milliseconds / size)\(suffix)"
            milliseconds %= size
        }
        return text
    }
}
