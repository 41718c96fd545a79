/// The report as a checklist a person scans top-down: one item per key, then the file's own
/// problems and the decryption note. The CLI and the `sops.check` action both print these items,
/// so a step log and `drbook secrets check` read the same.
public struct ChecklistItem: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case ok, warning, failed }

    public var status: Status
    /// The key path, or "file" / "decryption".
    public var subject: String
    public var detail: String
    public var position: SourcePosition?
    public var notes: [String]
    public var fix: String?
}

extension SecretsReport {
    public var checklist: [ChecklistItem] {
        var items = keys.map(Self.item)
        for finding in findings {
            items.append(ChecklistItem(status: finding.severity == .failure ? .failed : .warning, subject: "file", detail: finding.message,
                                       position: finding.position, notes: [], fix: finding.fix))
        }
        if let error = decryption.error {
            items.append(ChecklistItem(status: .failed, subject: "decryption", detail: error.what, notes: [], fix: error.fix))
        } else if let note = decryption.note {
            items.append(ChecklistItem(status: decryption.mode == .never ? .ok : .warning, subject: "decryption", detail: note, notes: []))
        }
        return items
    }

    /// "2 keys: 1 passed, 1 failed".
    public var summary: String {
        let failed = keys.filter { $0.verdict == .failed }.count
        let fileFailures = findings.filter { $0.severity == .failure }.count + (decryption.error == nil ? 0 : 1)
        var text = "\(keys.count) key\(keys.count == 1 ? "" : "s"): \(keys.count - failed) passed, \(failed) failed"
        if fileFailures > 0 { text += "; \(fileFailures) problem\(fileFailures == 1 ? "" : "s") with the file" }
        return text
    }

    private static func item(_ key: Key) -> ChecklistItem {
        let inspection = key.inspection
        var detail = inspection.message
        var fix = inspection.fix
        if let value = key.value {
            detail += value.valid ? "; decrypted: valid \(key.format) \(value.redacted)"
                : "; decrypted: \(value.redacted) \(value.problem ?? "is invalid") (expected \(key.format))"
            fix = value.fix ?? fix
        } else if let error = key.decryptError {
            detail += "; not decrypted: \(error.what)"
            fix = error.fix
        }
        let status: ChecklistItem.Status = key.verdict == .failed ? .failed : key.warnings.isEmpty ? .ok : .warning
        return ChecklistItem(status: status, subject: key.path, detail: detail, position: inspection.position,
                             notes: key.warnings, fix: key.verdict == .failed ? fix : nil)
    }
}
