import Foundation

/// The `sops:` block of a file: who can decrypt it, which values are encrypted, and when it was written.
public struct SopsMetadata: Sendable, Codable {
    /// One master key that wraps the file's data key.
    public struct MasterKey: Sendable, Codable, Equatable {
        /// `age`, `pgp`, `kms`, `gcp_kms`, `azure_kv`, `hc_vault` or `hckms`.
        public var kind: String
        /// The age recipient, PGP fingerprint, KMS ARN, key URL…: public, safe to print.
        public var identifier: String
        /// Whether the wrapped data key (`enc`) is there.
        public var hasWrappedKey: Bool
        public var position: SourcePosition
    }

    /// The master keys by group: one group unless the file uses `key_groups` (Shamir secret sharing).
    public var keyGroups: [[MasterKey]]
    public var shamirThreshold: Int?
    public var lastModified: String?
    public var mac: String?
    /// Every selection rule the file names (sops allows at most one).
    public var rules: [EncryptionRule]
    public var macOnlyEncrypted: Bool
    public var version: String?
    public var position: SourcePosition

    /// The rule sops applies: the file's, or `unencrypted_suffix: _unencrypted` when it names none.
    public var rule: EncryptionRule { rules.first ?? .sopsDefault }

    public var masterKeys: [MasterKey] { keyGroups.flatMap { $0 } }

    public var ageRecipients: [String] { masterKeys.filter { $0.kind == "age" }.map(\.identifier) }

    public var lastModifiedDate: Date? {
        lastModified.flatMap(Self.parseRFC3339)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

extension SopsMetadata {
    /// The master-key lists sops writes and the field naming each key in them.
    static let keyKinds: [(kind: String, identifier: [String])] = [
        ("age", ["recipient"]), ("pgp", ["fp"]), ("kms", ["arn"]), ("gcp_kms", ["resource_id"]),
        ("azure_kv", ["vault_url", "name"]), ("hc_vault", ["vault_address", "engine_path", "key_name"]), ("hckms", ["key_id"]),
    ]

    /// Reads the block; a field of the wrong shape is left out here and reported by the inspector.
    static func read(_ tree: SopsTree) -> SopsMetadata {
        var groups: [[MasterKey]] = []
        if case let .sequence(items, _)? = tree["key_groups"], !items.isEmpty {
            groups = items.map(masterKeys(in:))
        } else {
            groups = [masterKeys(in: tree)]
        }
        var rules: [EncryptionRule] = []
        let ruleFields: [(String, (String) -> EncryptionRule)] = [
            ("encrypted_regex", EncryptionRule.encryptedRegex), ("unencrypted_regex", EncryptionRule.unencryptedRegex),
            ("encrypted_suffix", EncryptionRule.encryptedSuffix), ("unencrypted_suffix", EncryptionRule.unencryptedSuffix),
            ("encrypted_comment_regex", EncryptionRule.encryptedCommentRegex),
            ("unencrypted_comment_regex", EncryptionRule.unencryptedCommentRegex),
        ]
        for (field, make) in ruleFields {
            if let value = tree[field]?.text, !value.isEmpty { rules.append(make(value)) }
        }
        return SopsMetadata(
            keyGroups: groups,
            shamirThreshold: tree["shamir_threshold"]?.text.flatMap { Int($0) },
            lastModified: tree["lastmodified"]?.text,
            mac: tree["mac"]?.text,
            rules: rules,
            macOnlyEncrypted: tree["mac_only_encrypted"]?.text == "true",
            version: tree["version"]?.text,
            position: tree.position)
    }

    private static func masterKeys(in group: SopsTree) -> [MasterKey] {
        var keys: [MasterKey] = []
        for (kind, identifierFields) in keyKinds {
            guard case let .sequence(items, _)? = group[kind] else { continue }
            for item in items {
                let identifier = identifierFields.compactMap { item[$0]?.text }.joined(separator: "/")
                let wrapped = item["enc"]?.text ?? ""
                keys.append(MasterKey(kind: kind, identifier: identifier, hasWrappedKey: !wrapped.isEmpty, position: item.position))
            }
        }
        return keys
    }
}
