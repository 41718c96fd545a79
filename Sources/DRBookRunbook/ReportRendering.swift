import Foundation

/// The three shapes of `drbook report <id> --format md|json|junit`.
extension RunReport {
    // MARK: Markdown

    /// A Markdown report: verdict, summary, steps with status, duration and doc link, failures with their fix,
    /// the steps' typed results (each in its renderer's words, else as JSON), metrics against their targets,
    /// and operator decisions.
    public func markdown(renderers: [StepResultRenderer] = []) -> String {
        var out: [String] = []
        out.append("# Run report: \(MD.inline(runbook)) — \(verdictText.uppercased())")
        out.append("")
        if let incomplete {
            out.append("> **Incomplete run:** \(MD.inline(incomplete)).")
            if let tornTailBytes {
                out.append("> The journal ends in a torn line (\(tornTailBytes) bytes) written as the process died; it was ignored.")
            }
            out.append("")
        }

        out.append("| | |")
        out.append("|---|---|")
        out.append("| Verdict | \(MD.cell(verdictText))\(exitCode.map { " (exit \($0))" } ?? "") |")
        out.append("| Runbook | \(MD.cell(runbook))\(runbookFile.map { " (`\(MD.code($0))`)" } ?? "") |")
        if let runID { out.append("| Run | `\(MD.code(runID))` |") }
        out.append("| Started | \(startedAt.map(Self.time) ?? "unknown") |")
        out.append("| \(isComplete ? "Ended" : "Last event") | \(endedAt.map(Self.time) ?? "unknown") |")
        out.append("| Duration | \(Self.duration(durationSeconds)) |")
        if user != nil || host != nil { out.append("| Operator | \(MD.cell(user ?? "?"))@\(MD.cell(host ?? "?")) |") }
        if let environment { out.append("| Environment | \(MD.cell(environment)) |") }
        if let kubeContext { out.append("| Kube context | \(MD.cell(kubeContext)) |") }
        if !params.isEmpty {
            out.append("| Params | " + params.map { "`\(MD.code($0.name))` = `\(MD.code($0.value))`" }.joined(separator: "<br>") + " |")
        }
        for resume in resumes {
            out.append("| Resumed | \(Self.time(resume.at)) by \(MD.cell(resume.user))@\(MD.cell(resume.host)) |")
        }
        let counts = Dictionary(grouping: steps, by: \.status).mapValues(\.count)
        let summary = StepRow.Status.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
        out.append("| Steps | \(summary.joined(separator: ", ").ifEmpty("none")) |")
        if let message { out.append("| Message | \(MD.cell(message)) |") }
        out.append("")

        out.append("## Steps")
        out.append("")
        out.append("| # | Step | Status | Duration | Attempts | Doc |")
        out.append("|---|---|---|---|---|---|")
        for (index, step) in steps.enumerated() {
            let name = "`\(MD.code(step.id))` \(MD.cell(step.title))" + (step.mutates == true ? " (mutates)" : "")
                + (step.cleanup == true ? " (cleanup)" : "")
            var status = "\(Self.symbol(step.status)) \(step.status.rawValue)"
            if let reason = step.reason, step.status != .failed { status += ": \(MD.cell(reason))" }
            let doc = step.doc.map { "[\(MD.cell($0))](\(MD.link("docs/" + $0)))" } ?? ""
            out.append("| \(index + 1) | \(name) | \(status) | \(step.durationSeconds.map(Self.duration) ?? "") | \(step.attempts.map(String.init) ?? "") | \(doc) |")
        }
        if let docLinksNote { out.append(""); out.append("_\(MD.inline(docLinksNote))._") }
        out.append("")

        if !failedSteps.isEmpty || steps.contains(where: { $0.status == .unfinished }) {
            out.append("## Failures")
            out.append("")
            for step in steps where step.status == .failed || step.status == .unfinished {
                out.append("### `\(MD.code(step.id))` \(MD.inline(step.title))")
                out.append("")
                if step.status == .unfinished {
                    out.append("- **Error:** started but did not finish (\(Self.interruptedNote))")
                } else {
                    out.append("- **Error:** \(MD.inline(step.error ?? "failed (no message)"))")
                }
                if let fix = step.fix { out.append("- **Fix:** \(MD.inline(fix))") }
                if let doc = step.doc { out.append("- **Doc:** [\(MD.inline(doc))](\(MD.link("docs/" + doc)))") }
                out.append("")
            }
        }

        let preflighted = steps.filter { $0.preflight != nil }
        if !preflighted.isEmpty {
            out.append("## Preflights")
            out.append("")
            for step in preflighted {
                guard let preflight = step.preflight else { continue }
                let verdict = preflight.interrupted == true ? "⚠️ interrupted" : preflight.passed.map { $0 ? "✅ passed" : "❌ failed" } ?? "⚠️ did not finish"
                out.append("### `\(MD.code(step.id))` \(MD.inline(step.title)) — \(verdict)")
                out.append("")
                for check in preflight.checks { out.append("- Checks: \(MD.inline(check))") }
                for finding in preflight.findings {
                    out.append("- **\(finding.severity == .blocking ? "Blocking" : "Warning"):** \(MD.inline(finding.description))")
                    if let fix = finding.fix { out.append("  - **Fix:** \(MD.inline(fix))") }
                }
                out.append("")
            }
        }

        let withResults = steps.filter { !($0.results ?? []).isEmpty }
        if !withResults.isEmpty {
            out.append("## Results")
            out.append("")
            for step in withResults {
                for result in step.results ?? [] {
                    out.append("### `\(MD.code(step.id))` \(MD.inline(step.title))")
                    out.append("")
                    // Preformatted: the renderer's columns are the CLI's, and must line up.
                    let text = renderers.first { $0.kind == result.kind }?.render(result)
                    out.append(text == nil ? "```json" : "```text")
                    out.append(MD.fenced(text ?? result.document.prettyText))
                    out.append("```")
                    out.append("")
                }
            }
        }

        if !metrics.isEmpty {
            out.append("## Metrics")
            out.append("")
            out.append("| Step | Metric | Value | Target | Met |")
            out.append("|---|---|---|---|---|")
            for metric in metrics {
                let target = metric.target.map { "<= \(Self.number($0, metric.unit))" } ?? ""
                let met = metric.met.map { $0 ? "✅ yes" : "❌ no" } ?? ""
                out.append("| `\(MD.code(metric.stepID))` | \(MD.cell(metric.name)) | \(Self.number(metric.value, metric.unit)) | \(target) | \(met) |")
            }
            out.append("")
        }

        if !decisions.isEmpty {
            out.append("## Operator decisions")
            out.append("")
            out.append("| Time | Step | Answer | By | Reason | Touches |")
            out.append("|---|---|---|---|---|---|")
            for decision in decisions {
                out.append("| \(Self.time(decision.at)) | `\(MD.code(decision.stepID))` | \(decision.answer.rawValue) | \(decision.by.rawValue) | \(MD.cell(decision.reason)) | \(decision.touches.map(MD.cell).joined(separator: "<br>")) |")
            }
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    // MARK: JSON

    /// The report as JSON: sorted keys, RFC 3339 / ISO-8601 UTC times with milliseconds.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(JournalTime.format(date))
        }
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads back what `json()` wrote.
    public static func fromJSON(_ data: Data) throws -> RunReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = JournalTime.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 time")
            }
            return date
        }
        return try decoder.decode(RunReport.self, from: data)
    }

    // MARK: JUnit

    /// JUnit XML: one testsuite named after the runbook, one testcase per step. Failed steps carry a `<failure>`
    /// with the error and fix; skipped, aborted and never-reached steps a `<skipped>`; steps that started but
    /// never ended (a crash) an `<error>`.
    public func junitXML() -> String {
        let failures = steps.filter { $0.status == .failed }.count
        let errors = steps.filter { $0.status == .unfinished }.count
        let skipped = steps.filter { [.skipped, .aborted, .notRun].contains($0.status) }.count
        let time = Self.seconds(durationSeconds)
        var out: [String] = []
        out.append(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        out.append(#"<testsuites name="drbook" tests="\#(steps.count)" failures="\#(failures)" errors="\#(errors)" skipped="\#(skipped)" time="\#(time)">"#)
        var suite = #"  <testsuite name="\#(XML.attribute(runbook))" tests="\#(steps.count)" failures="\#(failures)" errors="\#(errors)" skipped="\#(skipped)" time="\#(time)""#
        if let startedAt { suite += #" timestamp="\#(JournalTime.format(startedAt))""# }
        if let host { suite += #" hostname="\#(XML.attribute(host))""# }
        out.append(suite + ">")
        out.append("    <properties>")
        var properties: [(String, String)] = [("verdict", verdictText)]
        if let runID { properties.append(("run", runID)) }
        if let exitCode { properties.append(("exitCode", String(exitCode))) }
        if let user { properties.append(("user", user)) }
        if let environment { properties.append(("environment", environment)) }
        properties += params.map { ("param.\($0.name)", $0.value) }
        properties += metrics.map { metric in
            let target = metric.target.map { " (target <= \(Self.number($0, metric.unit)), \(metric.met == true ? "met" : "missed"))" } ?? ""
            return ("metric.\(metric.stepID).\(metric.name)", Self.number(metric.value, metric.unit) + target)
        }
        for (name, value) in properties {
            out.append(#"      <property name="\#(XML.attribute(name))" value="\#(XML.attribute(value))"/>"#)
        }
        out.append("    </properties>")
        for step in steps {
            let open = #"    <testcase classname="\#(XML.attribute(runbook))" name="\#(XML.attribute("\(step.id): \(step.title)"))" time="\#(Self.seconds(step.durationSeconds ?? 0))""#
            switch step.status {
            case .passed:
                out.append(open + "/>")
            case .failed:
                let message = step.error ?? "failed"
                var text = message
                if let fix = step.fix { text += "\nFix: \(fix)" }
                if let doc = step.doc { text += "\nDoc: docs/\(doc)" }
                if let attempts = step.attempts { text += "\nAttempts: \(attempts)" }
                out.append(open + ">")
                out.append(#"      <failure message="\#(XML.attribute(message))" type="\#(XML.attribute(step.action ?? "step"))">\#(XML.text(text))</failure>"#)
                out.append("    </testcase>")
            case .skipped, .aborted, .notRun:
                let message = "\(step.status.rawValue)" + (step.reason.map { ": \($0)" } ?? "")
                out.append(open + ">")
                out.append(#"      <skipped message="\#(XML.attribute(message))"/>"#)
                out.append("    </testcase>")
            case .unfinished:
                let message = "started but did not finish: \(incomplete ?? Self.interruptedNote)"
                out.append(open + ">")
                out.append(#"      <error message="\#(XML.attribute(message))" type="unfinished"/>"#)
                out.append("    </testcase>")
            }
        }
        var systemOut: [String] = []
        if let incomplete { systemOut.append("Incomplete run: \(incomplete)") }
        if let message { systemOut.append(message) }
        if let docLinksNote { systemOut.append(docLinksNote) }
        if !systemOut.isEmpty { out.append("    <system-out>\(XML.text(systemOut.joined(separator: "\n")))</system-out>") }
        out.append("  </testsuite>")
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: Formatting

    static func time(_ date: Date) -> String { JournalTime.format(date) }

    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    /// `0.4 s`, `12.5 s`, `3m 05s`, `1h 02m 03s`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        let hours = whole / 3600, minutes = whole % 3600 / 60, secs = whole % 60
        return hours > 0 ? String(format: "%dh %02dm %02ds", hours, minutes, secs) : String(format: "%dm %02ds", minutes, secs)
    }

    /// A metric as a person reads it: three significant digits at most (`2.98 s`, `412 s`,
    /// `0.0312`), whole numbers as they are, always with its unit.
    static func number(_ value: Double, _ unit: String) -> String {
        let text: String
        if value == value.rounded(), abs(value) < 1e15 {
            text = String(Int64(value))
        } else {
            let magnitude = abs(value)
            let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : max(2, 2 - Int(log10(magnitude).rounded(.down)))
            var formatted = String(format: "%.\(min(decimals, 9))f", value)
            if formatted.contains(".") {
                while formatted.hasSuffix("0") { formatted.removeLast() }
                if formatted.hasSuffix(".") { formatted.removeLast() }
            }
            text = formatted
        }
        return unit.isEmpty ? text : "\(text) \(unit)"
    }

    static func symbol(_ status: StepRow.Status) -> String {
        switch status {
        case .passed: return "✅"
        case .failed: return "❌"
        case .skipped: return "⏭️"
        case .aborted: return "⛔"
        case .unfinished: return "⚠️"
        case .notRun: return "·"
        }
    }
}

/// Escaping for Markdown table cells and inline text.
enum MD {
    /// Inline text on one line: newlines become `<br>`, HTML is neutralised.
    static func inline(_ text: String) -> String {
        XML.text(text).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "<br>")
    }

    /// A table cell: inline, with `|` escaped.
    static func cell(_ text: String) -> String { inline(text).replacingOccurrences(of: "|", with: "\\|") }

    /// Inside backticks: no backticks, pipes or newlines.
    static func code(_ text: String) -> String {
        text.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\n", with: " ")
    }

    /// Inside a fenced block: a run of three backticks in the text would end the block early.
    static func fenced(_ text: String) -> String {
        text.replacingOccurrences(of: "```", with: "'''")
    }

    static func link(_ target: String) -> String {
        target.replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: "(", with: "%28").replacingOccurrences(of: ")", with: "%29")
    }
}

/// XML 1.0 escaping. Characters XML 1.0 cannot carry at all (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF)
/// become U+FFFD; in attributes tab, LF and CR become character references so parsers keep them.
enum XML {
    static func text(_ value: String) -> String { escape(value, attribute: false) }

    static func attribute(_ value: String) -> String { escape(value, attribute: true) }

    private static func escape(_ value: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += attribute ? "&quot;" : "\""
            case "'": out += attribute ? "&apos;" : "'"
            case "\t": out += attribute ? "&#9;" : "\t"
            case "\n": out += attribute ? "&#10;" : "\n"
            case "\r": out += "&#13;"
            default:
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF || (0x7F...0x84).contains(v) || (0x86...0x9F).contains(v) {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

extension String {
    fileprivate func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
