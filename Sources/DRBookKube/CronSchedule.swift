import Foundation

/// A standard five-field cron schedule as Kubernetes' CronJob controller and Velero's Schedule
/// read it (minute, hour, day of month, month, day of week; `*`/`?`, lists, ranges, steps,
/// month and day names, and the `@daily` family), in UTC. Enough to know when it fires, when it
/// fired in the past, and how far apart its runs can be.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    /// As written.
    public let text: String
    let minutes: Set<Int>, hours: Set<Int>, daysOfMonth: Set<Int>, months: Set<Int>, daysOfWeek: Set<Int>
    /// Cron's rule: when both day fields are restricted, a day matching either fires.
    let daysOfMonthRestricted: Bool, daysOfWeekRestricted: Bool

    public var description: String { text }

    /// Two schedules are equal when they fire at the same times, however they are written.
    public static func == (lhs: CronSchedule, rhs: CronSchedule) -> Bool {
        lhs.minutes == rhs.minutes && lhs.hours == rhs.hours && lhs.daysOfMonth == rhs.daysOfMonth && lhs.months == rhs.months
            && lhs.daysOfWeek == rhs.daysOfWeek && lhs.daysOfMonthRestricted == rhs.daysOfMonthRestricted
            && lhs.daysOfWeekRestricted == rhs.daysOfWeekRestricted
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var expression: String
        public var why: String
        public var description: String { "schedule '\(expression)' \(why)" }
    }

    private static let descriptors = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = Dictionary(uniqueKeysWithValues: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .enumerated().map { ($1, $0 + 1) })
    private static let dayNames = Dictionary(uniqueKeysWithValues: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"].enumerated().map { ($1, $0) })

    public init(_ expression: String) throws(ParseError) {
        text = expression
        let trimmed = expression.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("TZ=") || trimmed.hasPrefix("CRON_TZ=") || trimmed.hasPrefix("@every") {
            throw ParseError(expression: expression, why: "uses a time zone or @every, which drbook does not read; write five fields in UTC")
        }
        let expanded = Self.descriptors[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(expression: expression, why: "has \(fields.count) fields; cron needs 5 (minute hour day-of-month month day-of-week)")
        }
        minutes = try Self.field(fields[0], 0...59, [:], expression)
        hours = try Self.field(fields[1], 0...23, [:], expression)
        daysOfMonth = try Self.field(fields[2], 1...31, [:], expression)
        months = try Self.field(fields[3], 1...12, Self.monthNames, expression)
        // 7 is Sunday too.
        daysOfWeek = Set(try Self.field(fields[4], 0...7, Self.dayNames, expression).map { $0 % 7 })
        // As robfig/cron (which both controllers use) marks a field "any": `*` or `?`, with no step above 1.
        let any: Set<String> = ["*", "?", "*/1", "?/1"]
        daysOfMonthRestricted = !any.contains(fields[2])
        daysOfWeekRestricted = !any.contains(fields[4])
    }

    private static func field(_ text: String, _ range: ClosedRange<Int>, _ names: [String: Int], _ expression: String) throws(ParseError) -> Set<Int> {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { throw ParseError(expression: expression, why: "has a bad step in '\(part)'") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw ParseError(expression: expression, why: "has a bad step in '\(part)'") }
                step = parsed
            }
            func number(_ word: Substring) -> Int? { Int(word) ?? names[word.lowercased()] }
            let span: ClosedRange<Int>
            if pieces[0] == "*" || pieces[0] == "?" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let low = number(pieces[0][..<dash]), let high = number(pieces[0][pieces[0].index(after: dash)...]), low <= high else {
                    throw ParseError(expression: expression, why: "has a bad range in '\(part)'")
                }
                span = low...high
            } else if let single = number(pieces[0]) {
                // `a/n` runs from a to the end of the range.
                span = single...(pieces.count == 2 ? range.upperBound : single)
            } else {
                throw ParseError(expression: expression, why: "has '\(part)', which is not a number, name, range or *")
            }
            guard range.contains(span.lowerBound), range.contains(span.upperBound) else {
                throw ParseError(expression: expression, why: "has '\(part)' outside \(range.lowerBound)-\(range.upperBound)")
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Whether it fires in the minute of `date` (UTC).
    public func fires(at date: Date) -> Bool {
        let parts = Self.utc.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
        guard let minute = parts.minute, let hour = parts.hour, let day = parts.day, let month = parts.month,
              let weekday = parts.weekday else { return false }
        guard minutes.contains(minute), hours.contains(hour), months.contains(month) else { return false }
        let dayOfMonth = daysOfMonth.contains(day)
        let dayOfWeek = daysOfWeek.contains(weekday - 1)
        switch (daysOfMonthRestricted, daysOfWeekRestricted) {
        case (true, true): return dayOfMonth || dayOfWeek
        case (true, false): return dayOfMonth
        case (false, true): return dayOfWeek
        case (false, false): return true
        }
    }

    /// The times it fired in `(now - window, now]`, oldest first.
    public func firings(before now: Date, within window: TimeInterval) -> [Date] {
        let minute = Self.utc.dateInterval(of: .minute, for: now)?.start ?? now
        let count = Int(window / 60)
        return (0..<max(count, 0)).reversed()
            .map { minute.addingTimeInterval(-60 * Double($0)) }
            .filter { now.timeIntervalSince($0) < window && fires(at: $0) }
    }

    /// The longest time between two consecutive runs over the eight days from `start`
    /// (UTC), or the whole window when it runs fewer than twice in it.
    public func longestGap(from start: Date = Date(timeIntervalSince1970: 0)) -> TimeInterval {
        let window: TimeInterval = 8 * 86_400
        let first = Date(timeIntervalSince1970: (start.timeIntervalSince1970 / 60).rounded(.down) * 60)
        let runs = firings(before: first.addingTimeInterval(window - 1), within: window)
        let gaps = zip(runs, runs.dropFirst()).map { $1.timeIntervalSince($0) }
        return gaps.max() ?? window
    }
}
