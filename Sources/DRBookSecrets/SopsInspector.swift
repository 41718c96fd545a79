/// Checks a SOPS file without any key (reference/secrets-gitops.md §1.10): the metadata is
/// sane, every value the file's rule selects is a well-formed ENC value, and each requested
/// key is present and encrypted. Works on any SOPS YAML or JSON file.
public struct SopsInspector: Sendable {
    public init() {}

    /// Inspects `file`; with no `keys`, every value the rule selects is a requested key.
    public func inspect(_ file: SopsFile, keys: [SopsKeyPath] = []) -> SopsInspection {
        let requested = keys.isEmpty ? selectedPaths(file) : keys
        return SopsInspection(file: file.path, format: file.format, metadata: file.metadata,
                              findings: metadataFindings(file) + valueFindings(file),
                              keys: requested.map { inspectKey($0, in: file) })
    }

    /// The paths of the non-empty values the rule encrypts, in file order (first document).
    func selectedPaths(_ file: SopsFile) -> [SopsKeyPath] {
        let rule = file.metadata.rule
        return (file.documents.first?.leaves() ?? []).compactMap { leaf in
            guard let text = leaf.leaf.text, !text.isEmpty else { return nil }
            let decision = rule.decide(leaf.names)
            return decision == .encrypted || (decision == .undecidable && EncryptedValue.looksEncrypted(text)) ? leaf.path : nil
        }
    }

    // MARK: - One key

    func inspectKey(_ path: SopsKeyPath, in file: SopsFile) -> KeyInspection {
        let rule = file.metadata.rule
        guard let node = file.node(at: path) else {
            return KeyInspection(path: path.description, position: nearestPosition(path, in: file), state: .missing,
                                 message: "missing: \(missingWhere(path, in: file))",
                                 fix: "set it with drbook secrets set \(path) --file \(file.path)")
        }
        guard case let .scalar(text, isNull, position) = node else {
            return KeyInspection(path: path.description, position: node.position, state: .notAValue,
                                 message: "is \(SopsFile.shape(node)), not a single value", fix: "name a value inside it, e.g. \(path).<key>")
        }
        if isNull || text.isEmpty {
            return KeyInspection(path: path.description, position: position, state: .empty,
                                 message: "is empty (sops leaves empty values unencrypted): the secret was never set",
                                 fix: "set it with drbook secrets set \(path) --file \(file.path)")
        }
        if EncryptedValue.looksEncrypted(text) {
            switch EncryptedValue.parse(text) {
            case let .success(value):
                return KeyInspection(path: path.description, position: position, state: .encrypted, encrypted: value,
                                     message: "encrypted (\(value.type), \(value.plaintextLength) bytes)")
            case let .failure(problem):
                return KeyInspection(path: path.description, position: position, state: .malformed,
                                     message: "looks encrypted but \(problem.reason); sops cannot decrypt it",
                                     fix: "restore the file from git (git log -p \(file.path)), or set the value again with drbook secrets set \(path) --file \(file.path)")
            }
        }
        let (message, fix) = plaintextVerdict(path, rule: rule, file: file.path)
        return KeyInspection(path: path.description, position: position, state: .plaintext, message: message, fix: fix)
    }

    private func plaintextVerdict(_ path: SopsKeyPath, rule: EncryptionRule, file: String) -> (String, String) {
        let rotate = "; the value is in git history in plaintext, so rotate the secret too"
        switch rule.decide(path.keyNames) {
        case .encrypted?:
            return ("is in PLAINTEXT although the file's rule (\(rule)) says it must be encrypted: anyone who can read the repository can read it",
                    "sops cannot decrypt or edit a file in this state (exit 25): restore its last good version (git log -p \(file)), then set the value with drbook secrets set \(path) --file \(file)" + rotate)
        case .plaintext?:
            return ("is in PLAINTEXT: the file's rule (\(rule)) does not select it for encryption",
                    "move it under a key the rule selects, or change the rule in .sops.yaml and re-encrypt" + rotate)
        case .undecidable?, nil:
            return ("is in PLAINTEXT (the file's rule \(rule) cannot be evaluated here)",
                    "encrypt it with sops" + rotate)
        }
    }

    /// "stringData has no key 'x'" or "there is no 'stringData' at the top level".
    private func missingWhere(_ path: SopsKeyPath, in file: SopsFile) -> String {
        var prefix: [SopsKeyPath.Component] = []
        for component in path.components {
            let parent = SopsKeyPath(prefix)
            if file.node(at: SopsKeyPath(prefix + [component])) == nil {
                let container = prefix.isEmpty ? "the top level of the file" : "\(parent)"
                switch component {
                case let .key(name): return "\(container) has no key '\(name)'"
                case let .index(index): return "\(container) has no item \(index)"
                }
            }
            prefix.append(component)
        }
        return "not found"
    }

    private func nearestPosition(_ path: SopsKeyPath, in file: SopsFile) -> SourcePosition? {
        var components = path.components
        while !components.isEmpty {
            components.removeLast()
            if let node = file.node(at: SopsKeyPath(components)) { return node.position }
        }
        return file.documents.first?.position
    }

    // MARK: - The whole file

    /// Every value the rule selects must be ENC; a value it does not select should not look encrypted.
    func valueFindings(_ file: SopsFile) -> [SopsFinding] {
        let rule = file.metadata.rule
        var findings: [SopsFinding] = []
        for (index, document) in file.documents.enumerated() {
            let where_ = file.documents.count > 1 ? " (document \(index + 1))" : ""
            for leaf in document.leaves() {
                guard let text = leaf.leaf.text, !text.isEmpty else { continue }
                let decision = rule.decide(leaf.names)
                if EncryptedValue.looksEncrypted(text) {
                    if case let .failure(problem) = EncryptedValue.parse(text) {
                        findings.append(SopsFinding(.failure, "\(leaf.path)\(where_) looks encrypted but \(problem.reason)", at: leaf.leaf.position,
                                                    fix: "restore the file from git; sops cannot decrypt this value"))
                    } else if decision == .plaintext {
                        findings.append(SopsFinding(.warning, "\(leaf.path)\(where_) is encrypted although the rule (\(rule)) leaves it in plaintext; sops will not decrypt it",
                                                    at: leaf.leaf.position, fix: "check that the file's rule is the one it was encrypted with"))
                    }
                } else if decision == .encrypted {
                    findings.append(SopsFinding(.failure, "\(leaf.path)\(where_) is in PLAINTEXT although the rule (\(rule)) says it must be encrypted",
                                                at: leaf.leaf.position,
                                                fix: "restore the file's last good version (git log -p \(file.path)) and set the value with drbook secrets set; rotate the secret (it is in git history); sops cannot decrypt this file (exit 25)"))
                }
            }
        }
        return findings
    }

    func metadataFindings(_ file: SopsFile) -> [SopsFinding] {
        let metadata = file.metadata
        let at = metadata.position
        var findings: [SopsFinding] = []
        let restore = "restore the file from git (git log -p \(file.path)); sops wrote it otherwise"
        if metadata.rules.count > 1 {
            findings.append(SopsFinding(.failure, "the metadata names \(metadata.rules.count) selection rules (\(metadata.rules.map(\.field.name).joined(separator: ", "))); sops accepts at most one",
                                        at: at, fix: "keep one rule, e.g. encrypted_regex: ^(data|stringData)$, and re-encrypt"))
        }
        for rule in metadata.rules where !rule.isValid {
            findings.append(SopsFinding(.failure, "\(rule.field.name) '\(rule.field.value)' is not a valid regular expression", at: at,
                                        fix: "correct it in .sops.yaml and re-encrypt the file"))
        }
        if case .undecidable? = metadata.rule.decide([]) {
            findings.append(SopsFinding(.warning, "values are chosen by comments (\(metadata.rule.field.name)); drbook does not read comments, so it checks only that encrypted values are well-formed", at: at))
        }
        if metadata.masterKeys.isEmpty {
            findings.append(SopsFinding(.failure, "the metadata lists no master key (age, pgp, kms, …): no one can decrypt the file", at: at, fix: restore))
        }
        for key in metadata.masterKeys {
            if key.kind == "age", !key.identifier.hasPrefix("age1") {
                findings.append(SopsFinding(.failure, "age recipient '\(key.identifier)' is not an age public key (age1…)", at: key.position, fix: restore))
            }
            if !key.hasWrappedKey {
                findings.append(SopsFinding(.failure, "\(key.kind) key \(key.identifier) has no wrapped data key (enc)", at: key.position, fix: restore))
            }
        }
        if let threshold = metadata.shamirThreshold, threshold > metadata.keyGroups.count {
            findings.append(SopsFinding(.failure, "shamir_threshold \(threshold) exceeds the \(metadata.keyGroups.count) key groups", at: at, fix: restore))
        }
        switch metadata.mac.map(EncryptedValue.parse) {
        case nil:
            findings.append(SopsFinding(.failure, "the metadata has no mac: sops refuses the file (MAC mismatch) and Flux treats it as not encrypted", at: at, fix: restore))
        case let .failure(problem)?:
            findings.append(SopsFinding(.failure, "the mac looks encrypted but \(problem.reason)", at: at, fix: restore))
        case let .success(mac)?:
            if mac.type != "str" || mac.plaintextLength != 128 {
                findings.append(SopsFinding(.failure, "the mac holds \(mac.plaintextLength) bytes of type \(mac.type); sops writes a 128-character SHA-512 (str)", at: at, fix: restore))
            }
        }
        if let text = metadata.lastModified {
            if metadata.lastModifiedDate == nil {
                findings.append(SopsFinding(.failure, "lastmodified '\(text)' is not an RFC 3339 time; sops cannot load the file", at: at, fix: restore))
            }
        } else {
            findings.append(SopsFinding(.failure, "the metadata has no lastmodified; sops cannot check the MAC", at: at, fix: restore))
        }
        if (metadata.version ?? "").isEmpty {
            findings.append(SopsFinding(.failure, "the metadata has no version; sops filestatus reports the file as not encrypted", at: at, fix: restore))
        }
        return findings
    }
}
