/// What the key-less inspection of a SOPS file found: the file's metadata, problems of the
/// whole file, and the state of each requested key. Holds no secret: ciphertexts are
/// summarised as type and length, plaintext values found in the file are never copied in.
public struct SopsInspection: Sendable, Codable {
    public var file: String
    public var format: SopsFile.Format
    public var metadata: SopsMetadata
    public var findings: [SopsFinding]
    public var keys: [KeyInspection]

    public var failures: [SopsFinding] { findings.filter { $0.severity == .failure } }

    public var passed: Bool { failures.isEmpty && keys.allSatisfy { !$0.state.isFailure } }
}

/// A problem with the file as a whole (its metadata, a value no one asked about).
public struct SopsFinding: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case warning, failure }

    public var severity: Severity
    public var message: String
    public var position: SourcePosition
    public var fix: String?

    public init(_ severity: Severity, _ message: String, at position: SourcePosition, fix: String? = nil) {
        self.severity = severity
        self.message = message
        self.position = position
        self.fix = fix
    }

    public var description: String { "\(position): \(message)" + (fix.map { " Fix: \($0)" } ?? "") }
}

/// One requested key: present and encrypted, present in plaintext, empty, malformed, or missing.
public struct KeyInspection: Sendable, Codable {
    public enum State: String, Sendable, Codable {
        /// A well-formed ENC value.
        case encrypted
        /// Readable by anyone with the repository: a security failure.
        case plaintext
        /// `""` or null: sops never encrypts empty values, so the secret was never set.
        case empty
        /// Looks like ENC[…] but is not what sops writes.
        case malformed
        case missing
        /// A mapping or list where a value was expected.
        case notAValue

        public var isFailure: Bool { self != .encrypted }
    }

    public var path: String
    public var position: SourcePosition?
    public var state: State
    /// Type and plaintext length of an encrypted value.
    public var encrypted: EncryptedValue?
    /// Why the state is a failure, in words that follow the key path.
    public var message: String
    public var fix: String?
}
