import Foundation

/// One value as sops writes it: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`.
///
/// Checked without any key against what every sops writer produces (reference/secrets-gitops.md
/// §1.1): standard base64 in the three binary fields, a 32-byte IV, a 16-byte GCM tag and a
/// known type. The ciphertext is as long as the plaintext, so `plaintextLength` is known too.
public struct EncryptedValue: Sendable, Equatable, Codable {
    public var type: String
    public var plaintextLength: Int
    public var ivLength: Int
    public var tagLength: Int

    /// The types sops writes; `time` since 3.10.0, `comment` only for encrypted comments.
    public static let knownTypes: Set<String> = ["str", "int", "float", "bool", "bytes", "time", "comment"]

    /// Whether the text is meant as an encrypted value (so a malformed one is reported as such, not as plaintext).
    public static func looksEncrypted(_ text: String) -> Bool { text.hasPrefix("ENC[") }

    /// Parses and checks an ENC value; the error says which part is wrong, never the value.
    public static func parse(_ text: String) -> Result<EncryptedValue, EncryptedValueProblem> {
        guard text.hasPrefix("ENC[AES256_GCM,"), text.hasSuffix("]") else {
            return .failure(EncryptedValueProblem("does not have the form ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]"))
        }
        let body = text.dropFirst("ENC[AES256_GCM,".count).dropLast()
        var fields: [String: String] = [:]
        for part in body.split(separator: ",", omittingEmptySubsequences: false) {
            guard let colon = part.firstIndex(of: ":") else {
                return .failure(EncryptedValueProblem("has a part without a name (expected data:, iv:, tag: and type:)"))
            }
            fields[String(part[..<colon])] = String(part[part.index(after: colon)...])
        }
        for name in ["data", "iv", "tag", "type"] where fields[name] == nil {
            return .failure(EncryptedValueProblem("has no \(name): field"))
        }
        guard let data = Data(base64Encoded: fields["data"]!) else {
            return .failure(EncryptedValueProblem("has a data: field that is not base64"))
        }
        guard let iv = Data(base64Encoded: fields["iv"]!) else {
            return .failure(EncryptedValueProblem("has an iv: field that is not base64"))
        }
        guard let tag = Data(base64Encoded: fields["tag"]!) else {
            return .failure(EncryptedValueProblem("has a tag: field that is not base64"))
        }
        guard iv.count == 32 else { return .failure(EncryptedValueProblem("has an IV of \(iv.count) bytes; sops writes 32")) }
        guard tag.count == 16 else { return .failure(EncryptedValueProblem("has a tag of \(tag.count) bytes; AES-GCM's is 16")) }
        let type = fields["type"]!
        guard knownTypes.contains(type) else {
            return .failure(EncryptedValueProblem("has type '\(type)'; sops writes one of \(knownTypes.sorted().joined(separator: ", "))"))
        }
        return .success(EncryptedValue(type: type, plaintextLength: data.count, ivLength: iv.count, tagLength: tag.count))
    }
}

/// Why an ENC value is malformed, in words that complete "the value …".
public struct EncryptedValueProblem: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}
