import CCrypto
import Foundation

/// SHA-256 through OpenSSL's libcrypto: runbook file hashes in the journal, and
/// secrets compared by digest without ever holding both values side by side.
public enum SHA256Digest {
    public static func bytes(of data: Data) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = data.withUnsafeBytes { raw in drbook_sha256(raw.baseAddress, raw.count, &digest) }
        precondition(ok == 1, "libcrypto failed to compute SHA-256")
        return digest
    }

    public static func hex(of data: Data) -> String {
        bytes(of: data).map { String(format: "%02x", $0) }.joined()
    }

    public static func hex(of text: String) -> String { hex(of: Data(text.utf8)) }
}
