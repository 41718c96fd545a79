import DRBookSecrets

/// `secrets check` for a person: the file and its metadata, one line per key, the file's
/// problems, what happened to decryption, then the verdict.
enum SecretsChecklistText {
    static func render(_ report: SecretsReport) -> String {
        let metadata = report.metadata
        var lines = ["SOPS file: \(report.file)"]
        var facts = [report.format.rawValue]
        if let version = metadata.version { facts.append("written by sops \(version)") }
        if let modified = metadata.lastModified { facts.append("last modified \(modified)") }
        facts.append(metadata.rules.isEmpty ? "\(metadata.rule) (sops's default)" : "\(metadata.rule)")
        lines.append("  " + facts.joined(separator: " · "))
        let recipients = metadata.masterKeys.map { "\($0.kind) \($0.identifier)" }
        lines.append("  recipients: " + (recipients.isEmpty ? "none" : recipients.joined(separator: ", ")))
        lines.append("")
        let items = report.checklist
        let width = min(48, items.map(\.subject.count).max() ?? 0)
        for item in items {
            lines.append("\(tag(item.status)) \(item.subject.padding(toLength: max(width, item.subject.count), withPad: " ", startingAt: 0))  \(item.detail)")
            for note in item.notes { lines.append("         note: \(note)") }
            if item.status == .failed, let position = item.position, item.subject != "decryption" { lines.append("         at: \(position)") }
            if let fix = item.fix, item.status != .ok { lines.append("         fix: \(fix)") }
        }
        lines.append("")
        lines.append("Verdict: \(report.passed ? "PASSED" : "FAILED") (\(report.summary))")
        return lines.joined(separator: "\n")
    }

    static func render(fileError error: SopsFileError) -> String {
        """
        SOPS file: \(error.position.file)

        \(tag(.failed)) file  \(error.what)
                 at: \(error.position)
                 fix: \(error.fix)

        Verdict: FAILED (the file could not be checked)
        """
    }

    private static func tag(_ status: ChecklistItem.Status) -> String {
        switch status {
        case .ok: "[ok]    "
        case .warning: "[warn]  "
        case .failed: "[FAIL]  "
        }
    }
}
