import DRBookSecrets
import DRBookTestSupport
import Foundation
import Testing

/// Values the tests encrypt; every one must stay out of every output.
enum TestSecrets {
    static let webhook = "https://hooks.slack.com/services/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"
    static let heartbeat = "https://hc-ping.com/5f0c9a8e-3b1d-4c2e-9f7a-1d2e3f4a5b6c"
    static let password = "correct-horse-battery-staple-42"

    static let platformSecret = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: variables-cluster
          namespace: flux-system
        stringData:
          alertmanager_webhook_url: \(webhook)
          alertmanager_heartbeat_url: \(heartbeat)
          dex_client_secret: \(password)
          empty_value: ""

        """
}

/// A temporary directory with a fresh age key and a sops-encrypted platform Secret in it.
struct EncryptedFixture {
    let directory: TemporaryDirectory
    let key: AgeTestKey
    let file: String

    init(_ plaintext: String = TestSecrets.platformSecret, name: String = "variables-cluster-secret.enc.yaml",
         rule: [String] = ["--encrypted-regex", "^(data|stringData)$"]) async throws {
        directory = try TemporaryDirectory()
        key = try await AgeTestKey.generate(in: directory)
        file = try await sopsEncrypt(plaintext, name: name, recipients: [key.recipient], in: directory, rule: rule)
    }

    var text: String { get throws { try String(contentsOfFile: file, encoding: .utf8) } }

    /// A copy of the file with `edit` applied to its text (a hand edit made without sops).
    func edited(_ name: String, _ edit: (String) -> String) throws -> String {
        let path = directory.path(name)
        try Data(edit(try text).utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// An environment whose only age key is this fixture's (or `keyFile`), and a home without sops keys.
    func environment(keyFile: String? = nil) throws -> [String: String] {
        let home = directory.path("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return SopsTools.environment(keyFile: keyFile ?? key.path, home: home)
    }

    func environmentWithoutKey() throws -> [String: String] {
        let home = directory.path("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return SopsTools.environment(home: home)
    }
}

/// The ENC value on the line of `key` in a sops-written YAML file.
func encryptedValue(of key: String, in text: String) -> String? {
    text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") }
        .map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) }
}

/// Every common encoding of a secret, for scans proving that none reached an output.
func encodings(of secret: String) -> [String] {
    var forms = [secret, Data(secret.utf8).base64EncodedString()]
    if let percent = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.append(percent) }
    forms.append(secret.replacingOccurrences(of: "/", with: "\\/"))
    // The secret part of a URL on its own (the path after the host).
    if let url = URLComponents(string: secret), url.host != nil, url.path.count > 8 { forms.append(url.path) }
    return forms
}

func expectNoSecrets(_ text: String, _ secrets: [String] = [TestSecrets.webhook, TestSecrets.heartbeat, TestSecrets.password],
                     sourceLocation: SourceLocation = #_sourceLocation) {
    for secret in secrets {
        for form in encodings(of: secret) {
            #expect(!text.contains(form), "a form of a secret value appears in the output", sourceLocation: sourceLocation)
        }
    }
}

/// A secret-shaped test value (a webhook, a ping URL): parameterized tests show their
/// arguments in the test output, where a secret may only ever appear redacted.
struct SecretText: Sendable, CustomTestStringConvertible, ExpressibleByStringLiteral {
    let value: String
    init(_ value: String) { self.value = value }
    init(stringLiteral value: String) { self.value = value }
    var testDescription: String { RedactedValue.describe(value) }
}
