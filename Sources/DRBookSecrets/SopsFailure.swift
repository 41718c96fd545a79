/// Turns sops's exit status and message into a `SopsError` (exit codes: reference/secrets-gitops.md
/// §1.6–1.7, and measured with sops 3.11). sops's text is matched, never passed on, except
/// for an unknown failure, where a sanitised excerpt is all there is to go on.
enum SopsFailure {
    static func classify(exitCode: Int, stderr: String, file: String, key: SopsKeyPath?,
                         recipients: [String], keySources: [AgeKeySource]) -> SopsError {
        let subject = key.map { "\(file) \($0)" } ?? file
        switch exitCode {
        case 128:
            let tried = keySources.isEmpty ? "no age key was found (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD or the default keys.txt)"
                : "sops tried " + keySources.map(\.description).joined(separator: "; ")
            let forWhom = recipients.isEmpty ? "" : " (it is encrypted for \(recipients.joined(separator: ", ")))"
            return SopsError(.noMatchingKey, "no age identity in reach can decrypt the file\(forWhom): \(tried)", subject: subject,
                             fix: "set SOPS_AGE_KEY_FILE to the private key of one of the file's recipients (age-keygen -y KEYFILE prints a key's recipient)",
                             exitCode: exitCode)
        case 51:
            return SopsError(.macMismatch, "the file's MAC does not match its content: it was edited without sops (a value, the order or lastmodified changed)",
                             subject: file,
                             fix: "find the edit with git log -p \(file); restore the file, then make the change with drbook secrets set (Flux does not check the MAC, so the cluster may already run the edited value)",
                             exitCode: exitCode)
        case 25 where stderr.contains("does not match sops' data format"):
            return SopsError(.plaintextInEncryptedPath, "a plaintext value sits where the file's rule says values are encrypted, so sops refuses to decrypt",
                             subject: file, fix: "run drbook secrets check --file \(file) to see which value; encrypt it and rotate the secret",
                             exitCode: exitCode)
        case 25:
            return SopsError(.valueTampered, "an encrypted value fails authentication: its ciphertext was changed, or an encrypted key was renamed or moved",
                             subject: file, fix: "restore the file from git (git log -p \(file)) and make changes only with sops",
                             exitCode: exitCode)
        case 7:
            return SopsError(.invalidValue, "sops rejected the value: it must be JSON", subject: subject,
                             fix: "this is a drbook bug if drbook passed the value; report it", exitCode: exitCode)
        case _ where stderr.contains("non-existent file") || stderr.contains("no such file or directory"):
            return SopsError(.fileMissing, "the file does not exist", subject: file, fix: "give the path of the SOPS file", exitCode: exitCode)
        case 1 where stderr.contains("sops metadata not found"):
            return SopsError(.notSopsFile, "the file is not SOPS-encrypted (no sops metadata)", subject: file,
                             fix: "encrypt it with sops encrypt --in-place \(file)", exitCode: exitCode)
        case 1 where stderr.contains("not found") && stderr.contains("component"):
            return SopsError(.keyNotFound, "the file has no such key", subject: subject,
                             fix: "set it with drbook secrets set \(key.map(\.description) ?? "KEY") --file \(file)", exitCode: exitCode)
        default:
            return SopsError(.failed, "sops failed with exit status \(exitCode): \(sanitised(stderr))", subject: subject,
                             fix: "run drbook secrets check --file \(file) for a key-less diagnosis", exitCode: exitCode)
        }
    }

    /// The first lines of sops's message without anything that could be a value.
    static func sanitised(_ stderr: String) -> String {
        var lines = stderr.split(whereSeparator: \.isNewline).map(String.init).prefix(3).map { line in
            line.replacing(/Input string .* does not match/, with: "Input string [redacted] does not match")
        }
        lines = lines.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
        return lines.joined(separator: " / ")
    }
}
