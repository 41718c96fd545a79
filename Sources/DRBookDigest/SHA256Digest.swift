import CCrypto
import Foundation

/// SHA-256 through OpenSSL's libcrypto: runbook file hashes in the journal, and
/// secrets compared by digest without ever holding both values side by side.
public enum SHA256Digest {
    public static func bytes(of data: Data) -> [UInt8] { LibcryptoDigest.sha256.bytes(of: data) }

    public static func hex(of data: Data) -> String { LibcryptoDigest.sha256.hex(of: data) }

    public static func hex(of text: String) -> String { hex(of: Data(text.utf8)) }
}

/// The digests other systems define their identifiers with: healthchecks' `unique_key`
/// is SHA-1 based, Alertmanager's `alertmanager_config_hash` MD5 based. Not for security.
public enum LibcryptoDigest: Int32, Sendable {
    case sha256 = 0, sha1 = 1, md5 = 2

    public var length: Int {
        switch self {
        case .sha256: return 32
        case .sha1: return 20
        case .md5: return 16
        }
    }

    public func bytes(of data: Data) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: length)
        let written = data.withUnsafeBytes { raw in drbook_digest(rawValue, raw.baseAddress, raw.count, &digest) }
        precondition(Int(written) == length, "libcrypto failed to compute the digest")
        return digest
    }

    public func hex(of data: Data) -> String {
        bytes(of: data).map { String(format: "%02x", $0) }.joined()
    }
}
