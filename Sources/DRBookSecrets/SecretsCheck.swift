/// One key to check and the format its value must have.
public struct SecretKeyRequest: Sendable, Equatable {
    public var path: SopsKeyPath
    public var format: ValueFormat

    /// Without a format, the key's is looked up by its last name in `formats` (a platform
    /// profile's `valueFormats`); a name it does not know gets `any`.
    public init(path: SopsKeyPath, format: ValueFormat? = nil, formats: [String: ValueFormat] = [:]) {
        self.path = path
        self.format = format ?? ValueFormat.inferred(forKey: path.leafName, table: formats)
    }

    /// `PATH` or `PATH=FORMAT` (`stringData.some_url=url`).
    public init(parsing text: String, formats: [String: ValueFormat] = [:]) throws(ValueFormatError) {
        let (pathText, formatText): (Substring, Substring?) = if let equals = text.firstIndex(of: "=") {
            (text[..<equals], text[text.index(after: equals)...])
        } else {
            (Substring(text), nil)
        }
        guard let path = SopsKeyPath(parsing: String(pathText)) else {
            throw ValueFormatError("'\(pathText)' is not a key path; write it like stringData.KEY or [\"stringData\"][\"KEY\"]")
        }
        self.init(path: path, format: try formatText.map { text throws(ValueFormatError) in try ValueFormat(parsing: String(text)) }, formats: formats)
    }
}

/// Whether values are decrypted: when a key is in reach (`auto`), always (a missing key fails), or never.
public enum DecryptMode: String, Sendable, Codable, CaseIterable {
    case auto, required, never
}

/// The whole check of one file: key-less inspection, then, with an age key, each value decrypted and validated.
public struct SecretsReport: Sendable, Codable {
    public struct Key: Sendable, Codable {
        public enum Verdict: String, Sendable, Codable { case passed, failed }

        public var path: String
        public var format: String
        public var inspection: KeyInspection
        /// Present when the value was decrypted and validated.
        public var value: ValueVerdict?
        /// Why it was not decrypted, or why decryption failed.
        public var decryptError: SopsError?
        /// Key-less doubts about an encrypted value (its length), not failures.
        public var warnings: [String]
        public var verdict: Verdict
    }

    public struct Decryption: Sendable, Codable {
        public var mode: DecryptMode
        public var attempted: Bool
        public var keySources: [AgeKeySource]
        /// Why values were not decrypted, or the failure every key shares (a wrong key, a MAC mismatch).
        public var note: String?
        public var error: SopsError?
    }

    public var file: String
    public var format: SopsFile.Format
    public var metadata: SopsMetadata
    public var findings: [SopsFinding]
    public var keys: [Key]
    public var decryption: Decryption

    public var passed: Bool {
        !findings.contains { $0.severity == .failure } && keys.allSatisfy { $0.verdict == .passed } && decryption.error == nil
    }
}

/// Runs the checks `drbook secrets check` and the `sops.check` action share.
public struct SecretsChecker: Sendable {
    public var environment: [String: String]
    public var validator: SecretValidator
    public var mode: DecryptMode
    /// A path to the sops program instead of PATH's.
    public var sopsPath: String?
    /// Formats by key name for the keys found in the file when none are requested (a platform profile's `valueFormats`).
    public var formats: [String: ValueFormat]

    public init(environment: [String: String], validator: SecretValidator = SecretValidator(), mode: DecryptMode = .auto, sopsPath: String? = nil,
                formats: [String: ValueFormat] = [:]) {
        self.environment = environment
        self.validator = validator
        self.mode = mode
        self.sopsPath = sopsPath
        self.formats = formats
    }

    /// Checks `file`; each decrypted value is handed to `learnSecret` first (a run's redactor),
    /// and then forgotten: the report holds verdicts, never values.
    public func check(file path: String, keys requests: [SecretKeyRequest],
                      learnSecret: @Sendable (String) -> Void = { _ in }) async throws(SopsFileError) -> SecretsReport {
        let file = try SopsFile.load(path: path)
        let inspector = SopsInspector()
        let paths = requests.isEmpty ? inspector.selectedPaths(file) : requests.map(\.path)
        let inspection = inspector.inspect(file, keys: paths)
        let formats = requests.isEmpty ? paths.map { ValueFormat.inferred(forKey: $0.leafName, table: self.formats) } : requests.map(\.format)
        var keys = zip(inspection.keys, zip(paths, formats)).map { key, pathAndFormat in
            SecretsReport.Key(path: key.path, format: pathAndFormat.1.description, inspection: key, value: nil, decryptError: nil,
                              warnings: lengthWarnings(key, pathAndFormat.0, pathAndFormat.1), verdict: key.state.isFailure ? .failed : .passed)
        }
        var decryption = SecretsReport.Decryption(mode: mode, attempted: false, keySources: AgeKeySources.detect(environment: environment))
        let encrypted = keys.indices.filter { keys[$0].inspection.state == .encrypted }
        switch (mode, decryption.keySources.contains(where: \.isUsable)) {
        case (.never, _):
            decryption.note = "values were not decrypted (decryption turned off)"
            return report(file, inspection, keys, decryption)
        case (.auto, false) where !decryption.keySources.isEmpty, (.required, false):
            // A key source that is named but broken means decryption was intended: say so rather than skip.
            let found = decryption.keySources.isEmpty ? "no age key in reach, and decryption is required"
                : "no usable age key: " + decryption.keySources.map(\.description).joined(separator: "; ")
            decryption.error = SopsError(.noMatchingKey, found, subject: path,
                                         fix: "set SOPS_AGE_KEY_FILE to the private key of one of the file's recipients (\(file.metadata.ageRecipients.joined(separator: ", ")))")
            return report(file, inspection, keys, decryption)
        case (.auto, false):
            decryption.note = "no age key in reach (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, \(AgeKeySources.defaultKeyFile(environment: environment) ?? "~/.config/sops/age/keys.txt")): values were checked without decrypting them"
            return report(file, inspection, keys, decryption)
        default:
            break
        }
        guard !encrypted.isEmpty else {
            decryption.note = "no encrypted value to decrypt"
            return report(file, inspection, keys, decryption)
        }
        // When every key found names its recipient and none is the file's, sops would only fail:
        // in auto mode that means "no key for this file" (e.g. the local key and the prod file).
        if mode == .auto, let mismatch = Self.recipientMismatch(decryption.keySources, file.metadata.ageRecipients) {
            decryption.note = mismatch + ": values were checked without decrypting them"
            return report(file, inspection, keys, decryption)
        }
        let sops: SopsBinary
        do {
            sops = try SopsBinary.locate(environment: environment, explicitPath: sopsPath)
        } catch {
            decryption.error = error
            return report(file, inspection, keys, decryption)
        }
        decryption.attempted = true
        let fileWide: Set<SopsError.Kind> = [.noMatchingKey, .macMismatch, .valueTampered, .plaintextInEncryptedPath, .notSopsFile, .fileMissing, .notInstalled]
        for index in encrypted {
            let keyPath = paths[index]
            do {
                let value = try await sops.decrypt(file: path, key: keyPath, recipients: file.metadata.ageRecipients)
                learnSecret(value.revealed)
                let verdict = validator.validate(value, as: formats[index], key: keyPath.leafName)
                keys[index].value = verdict
                keys[index].verdict = verdict.valid ? .passed : .failed
            } catch {
                keys[index].decryptError = error
                keys[index].verdict = .failed
                if fileWide.contains(error.kind) {
                    decryption.error = error
                    break
                }
            }
        }
        return report(file, inspection, keys, decryption)
    }

    /// "the age keys found are for age1…, not for this file's recipients (age1…)", or nil when one may match.
    static func recipientMismatch(_ sources: [AgeKeySource], _ recipients: [String]) -> String? {
        let usable = sources.filter(\.isUsable)
        guard !usable.isEmpty, !recipients.isEmpty, usable.allSatisfy({ !$0.publicKeys.isEmpty }) else { return nil }
        let known = Set(usable.flatMap(\.publicKeys))
        guard known.isDisjoint(with: recipients) else { return nil }
        return "the age key\(known.count == 1 ? "" : "s") found \(known.count == 1 ? "is" : "are") for \(known.sorted().joined(separator: ", ")), not for this file's recipients (\(recipients.joined(separator: ", ")))"
    }

    private func report(_ file: SopsFile, _ inspection: SopsInspection, _ keys: [SecretsReport.Key], _ decryption: SecretsReport.Decryption) -> SecretsReport {
        var keys = keys
        // A failure shared by the whole file fails every key that was waiting to be decrypted.
        if decryption.error != nil {
            for index in keys.indices where keys[index].inspection.state == .encrypted && keys[index].value == nil {
                keys[index].verdict = .failed
            }
        }
        return SecretsReport(file: file.path, format: file.format, metadata: file.metadata, findings: inspection.findings,
                             keys: keys, decryption: decryption)
    }

    /// Without a key, the ciphertext's length still tells a placeholder or a truncated paste apart.
    private func lengthWarnings(_ key: KeyInspection, _ path: SopsKeyPath, _ format: ValueFormat) -> [String] {
        guard let encrypted = key.encrypted, encrypted.type == "str" else { return [] }
        var warnings: [String] = []
        let name = path.leafName
        if validator.placeholders.values(for: name).contains(where: { $0.utf8.count == encrypted.plaintextLength }) {
            warnings.append("its length (\(encrypted.plaintextLength) bytes) equals the placeholder's: it may still be the placeholder")
        } else if let minimum = format.plausibleMinimumLength, encrypted.plaintextLength < minimum {
            warnings.append("its length (\(encrypted.plaintextLength) bytes) is short for \(format.noun) (usually \(minimum)+)")
        }
        return warnings
    }
}
