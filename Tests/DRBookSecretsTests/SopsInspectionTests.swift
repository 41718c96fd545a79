import DRBookSecrets
import DRBookTestSupport
import Foundation
import Testing

@Suite("SOPS files without a key: metadata, encrypted, plaintext and missing keys")
struct SopsInspectionTests {
    let webhook = SopsKeyPath(parsing: "stringData.alertmanager_webhook_url")!
    let heartbeat = SopsKeyPath(parsing: "stringData.alertmanager_heartbeat_url")!

    @Test("a file sops encrypted: metadata read, requested keys present and encrypted with their plaintext length")
    func encryptedFile() async throws {
        let fixture = try await EncryptedFixture()
        let file = try SopsFile.load(path: fixture.file)
        let inspection = SopsInspector().inspect(file, keys: [webhook, heartbeat])
        #expect(inspection.findings.isEmpty, "\(inspection.findings)")
        #expect(inspection.passed)
        #expect(file.format == .yaml)
        #expect(file.metadata.ageRecipients == [fixture.key.recipient])
        #expect(file.metadata.rule == .encryptedRegex("^(data|stringData)$"))
        #expect(file.metadata.version?.hasPrefix("3.") == true)
        #expect(file.metadata.lastModifiedDate != nil)
        #expect(inspection.keys.map(\.state) == [.encrypted, .encrypted])
        #expect(inspection.keys[0].encrypted?.type == "str")
        #expect(inspection.keys[0].encrypted?.plaintextLength == TestSecrets.webhook.utf8.count)
        #expect(inspection.keys[0].position?.line == 7)
    }

    @Test("a missing key names the mapping it is missing from and that mapping's position")
    func missingKey() async throws {
        let fixture = try await EncryptedFixture()
        let inspection = SopsInspector().inspect(try SopsFile.load(path: fixture.file),
                                                 keys: [SopsKeyPath(parsing: "stringData.alertmanager_url")!, SopsKeyPath(parsing: "data.x")!])
        #expect(inspection.keys.map(\.state) == [.missing, .missing])
        #expect(inspection.keys[0].message == "missing: stringData has no key 'alertmanager_url'")
        #expect(inspection.keys[0].fix?.contains("drbook secrets set stringData.alertmanager_url --file") == true)
        #expect(inspection.keys[1].message == "missing: the top level of the file has no key 'data'")
        #expect(!inspection.passed)
    }

    @Test("a plaintext value where the rule requires encryption is a security failure at its position, without the value")
    func plaintextValue() async throws {
        let fixture = try await EncryptedFixture()
        let path = try fixture.edited("plain.enc.yaml") { text in
            text.replacingOccurrences(of: encryptedValue(of: "dex_client_secret", in: text)!, with: "leaked-\(TestSecrets.password)")
        }
        let inspection = SopsInspector().inspect(try SopsFile.load(path: path), keys: [SopsKeyPath(parsing: "stringData.dex_client_secret")!])
        let key = try #require(inspection.keys.first)
        #expect(key.state == .plaintext)
        #expect(key.message.contains("PLAINTEXT although the file's rule (encrypted_regex ^(data|stringData)$) says it must be encrypted"))
        #expect(key.fix?.contains("rotate the secret") == true)
        let finding = try #require(inspection.failures.first)
        #expect(finding.position.description == "\(path):9:24")
        #expect(finding.message.hasPrefix("stringData.dex_client_secret is in PLAINTEXT"))
        expectNoSecrets(String(describing: inspection) + key.message + finding.description, ["leaked-\(TestSecrets.password)"])
    }

    @Test("an empty value is reported as never set (sops leaves empty values unencrypted), not as plaintext")
    func emptyValue() async throws {
        let fixture = try await EncryptedFixture()
        let inspection = SopsInspector().inspect(try SopsFile.load(path: fixture.file), keys: [SopsKeyPath(parsing: "stringData.empty_value")!])
        #expect(inspection.keys[0].state == .empty)
        #expect(inspection.keys[0].message.contains("never set"))
        #expect(inspection.findings.isEmpty)
    }

    @Test("malformed ENC values say which part is wrong", arguments: [
        ("iv:[^,]+", "iv:AAAA", "has an IV of 3 bytes; sops writes 32"),
        ("type:str", "type:secret", "has type 'secret'"),
        (",tag:", ",tog:", "has no tag: field"),
        ("data:", "data:!!!", "has a data: field that is not base64"),
    ])
    func malformedValue(find: String, replace: String, expected: String) async throws {
        let fixture = try await EncryptedFixture()
        let path = try fixture.edited("malformed.enc.yaml") { text in
            let value = encryptedValue(of: "alertmanager_webhook_url", in: text)!
            return text.replacingOccurrences(of: value, with: value.replacingOccurrences(of: find, with: replace, options: .regularExpression))
        }
        let inspection = SopsInspector().inspect(try SopsFile.load(path: path), keys: [webhook])
        #expect(inspection.keys[0].state == .malformed)
        #expect(inspection.keys[0].message.contains(expected), "\(inspection.keys[0].message)")
        #expect(inspection.failures.contains { $0.message.contains(expected) })
    }

    @Test("a value that is a mapping is not a value")
    func notAValue() async throws {
        let fixture = try await EncryptedFixture()
        let inspection = SopsInspector().inspect(try SopsFile.load(path: fixture.file), keys: [SopsKeyPath(parsing: "metadata")!])
        #expect(inspection.keys[0].state == .notAValue)
    }

    @Test("with no keys requested, every value the rule encrypts is checked")
    func allSelectedKeys() async throws {
        let fixture = try await EncryptedFixture()
        let inspection = SopsInspector().inspect(try SopsFile.load(path: fixture.file))
        #expect(inspection.keys.map(\.path) == ["stringData.alertmanager_webhook_url", "stringData.alertmanager_heartbeat_url", "stringData.dex_client_secret"])
    }

    @Test("JSON files are read like YAML ones, with positions")
    func jsonFile() async throws {
        let fixture = try await EncryptedFixture(#"{"kind": "Secret", "data": {"token": "\#(TestSecrets.password)", "nested": {"x": "y"}}}"#,
                                           name: "secret.enc.json")
        let file = try SopsFile.load(path: fixture.file)
        #expect(file.format == .json)
        let inspection = SopsInspector().inspect(file, keys: [SopsKeyPath(parsing: "data.token")!, SopsKeyPath(parsing: "data.nested.x")!, SopsKeyPath(parsing: "kind")!])
        #expect(inspection.keys.map(\.state) == [.encrypted, .encrypted, .plaintext])
        #expect(inspection.keys[2].message.contains("does not select it"))
        #expect(inspection.findings.isEmpty)
        #expect(inspection.keys[0].position?.line != nil)
    }

    @Test("multi-document YAML: the metadata of the first document, every document's values checked")
    func multiDocument() async throws {
        let fixture = try await EncryptedFixture("stringData:\n  a: one-secret-value\n---\nstringData:\n  b: two-secret-value\n", name: "multi.enc.yaml")
        let file = try SopsFile.load(path: fixture.file)
        #expect(file.documents.count == 2)
        let inspection = SopsInspector().inspect(file, keys: [SopsKeyPath(parsing: "stringData.a")!])
        #expect(inspection.passed, "\(inspection.findings)")
    }

    @Test("a file that is not SOPS-encrypted says so, with the fix")
    func notSops() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("plain.yaml")
        try Data("apiVersion: v1\nkind: Secret\nstringData:\n  a: b\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try SopsFile.load(path: path)
        } throws: { error in
            let error = error as! SopsFileError
            return error.kind == .notSops && error.what.contains("is not SOPS-encrypted") && error.fix.contains("sops encrypt --in-place")
                && error.position.description == "\(path):1:1"
        }
        let empty = directory.path("empty.yaml")
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(throws: SopsFileError.self) { try SopsFile.load(path: empty) }
    }

    @Test("malformed YAML and JSON fail with file:line:column", arguments: [
        ("bad.yaml", "stringData:\n  a: [1, 2\nsops: {}\n", ":3:"),
        ("bad.json", "{\"stringData\": {\"a\": \"b\",\n \"c\" \"d\"}}", ":2:"),
        ("tabs.yaml", "stringData:\n\ta: b\n", ":2:"),
    ])
    func malformedSyntax(name: String, text: String, position: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try SopsFile.load(path: path)
            Issue.record("no error for \(name)")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.description.hasPrefix(path + position), "\(error)")
            #expect(error.fix.contains("git checkout -- \(path)"))
        }
    }

    @Test("a missing file says it does not exist")
    func missingFile() {
        #expect {
            try SopsFile.load(path: "/nonexistent/secret.enc.yaml")
        } throws: { error in
            (error as? SopsFileError)?.kind == .unreadable && "\(error)".contains("does not exist")
        }
    }

    @Test("broken metadata: each problem is a failure with the restore fix", arguments: [
        ("    mac: ", "    macx: ", "has no mac"),
        ("    lastmodified: ", "    lastmodified: \"yesterday\"\n    lastmodifiedx: ", "is not an RFC 3339 time"),
        ("    version: ", "    versionx: ", "has no version"),
        ("    encrypted_regex: ", "    unencrypted_suffix: _plain\n    encrypted_regex: ", "names 2 selection rules"),
        ("recipient: age1", "recipient: xge1", "is not an age public key"),
    ])
    func brokenMetadata(find: String, replace: String, expected: String) async throws {
        let fixture = try await EncryptedFixture()
        let path = try fixture.edited("meta.enc.yaml") { $0.replacingOccurrences(of: find, with: replace) }
        let inspection = SopsInspector().inspect(try SopsFile.load(path: path), keys: [webhook])
        let finding = try #require(inspection.failures.first { $0.message.contains(expected) }, "\(inspection.findings)")
        #expect(finding.fix?.contains("restore the file from git") == true || finding.fix?.contains("keep one rule") == true)
        #expect(!inspection.passed)
    }
}

@Suite("Which values sops encrypts: drbook's rule agrees with the real sops")
struct EncryptionRuleTests {
    static let document = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: demo
          annotations:
            note_unencrypted: visible
        data:
          token: dG9rZW4tdmFsdWU=
        stringData:
          password_secret: hunter2-hunter2
          user: admin-user
          nested:
            data: inner-value
        spec:
          template:
            data: deep-value
          items:
            - first-item
            - second-item

        """

    @Test("every leaf is encrypted exactly when the rule says so", arguments: [
        ["--encrypted-regex", "^(data|stringData)$"],
        ["--unencrypted-regex", "^(apiVersion|kind|metadata)$"],
        ["--encrypted-suffix", "_secret"],
        ["--unencrypted-suffix", "_unencrypted"],
        [],
    ])
    func agreesWithSops(rule: [String]) async throws {
        let fixture = try await EncryptedFixture(Self.document, name: "rules.enc.yaml", rule: rule)
        let file = try SopsFile.load(path: fixture.file)
        if rule.isEmpty { #expect(file.metadata.rule == .unencryptedSuffix("_unencrypted")) }
        let leaves = try #require(file.documents.first).leaves()
        #expect(leaves.count == 11)
        for leaf in leaves {
            let sopsEncrypted = EncryptedValue.looksEncrypted(leaf.leaf.text ?? "")
            #expect((file.metadata.rule.decide(leaf.names) == .encrypted) == sopsEncrypted, "\(leaf.path) under \(file.metadata.rule)")
        }
        #expect(SopsInspector().inspect(file).findings.isEmpty)
    }

    @Test("encrypted_regex is tested against each key name, so a nested 'data' key is selected too")
    func nestedMatch() {
        let rule = EncryptionRule.encryptedRegex("^(data|stringData)$")
        #expect(rule.decide(["spec", "template", "data"]) == .encrypted)
        #expect(rule.decide(["metadata", "name"]) == .plaintext)
        #expect(EncryptionRule.encryptedRegex("data").decide(["metadata"]) == .encrypted)
        #expect(EncryptionRule.encryptedCommentRegex("sops:enc").decide(["a"]) == .undecidable)
        #expect(EncryptionRule.encryptedRegex("(").decide(["a"]) == nil)
    }
}

@Suite("Key paths: as people write them and as sops takes them")
struct SopsKeyPathTests {
    @Test("dotted and bracket forms parse to the same path", arguments: [
        ("stringData.alertmanager_webhook_url", #"["stringData"]["alertmanager_webhook_url"]"#),
        (#"["stringData"]["alertmanager_webhook_url"]"#, #"["stringData"]["alertmanager_webhook_url"]"#),
        ("['data']['k']", #"["data"]["k"]"#),
        ("items[0].name", #"["items"][0]["name"]"#),
        (#"["a.b"]["c"]"#, #"["a.b"]["c"]"#),
    ])
    func parses(text: String, sops: String) throws {
        let path = try #require(SopsKeyPath(parsing: text))
        #expect(path.sopsIndex == sops)
    }

    @Test("malformed paths are rejected", arguments: ["", "a..b", ".a", "a[x]", "[\"a\"", "[a]", "a[-1]"])
    func rejects(text: String) {
        #expect(SopsKeyPath(parsing: text) == nil)
    }
}

@Suite("Metadata of other key kinds: key groups, PGP, KMS")
struct KeyGroupTests {
    static let mac = "ENC[AES256_GCM,data:" + Data(count: 128).base64EncodedString() + ",iv:" + Data(count: 32).base64EncodedString()
        + ",tag:" + Data(count: 16).base64EncodedString() + ",type:str]"
    static let value = "ENC[AES256_GCM,data:" + Data(count: 12).base64EncodedString() + ",iv:" + Data(count: 32).base64EncodedString()
        + ",tag:" + Data(count: 16).base64EncodedString() + ",type:str]"

    @Test("key groups with Shamir sharing list every master key, and the file is read without any of them")
    func keyGroups() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("groups.enc.json")
        let json = """
            {"data": {"token": "\(Self.value)"},
             "sops": {"key_groups": [
                {"age": [{"recipient": "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "enc": "-----BEGIN AGE ENCRYPTED FILE-----\\nx\\n-----END AGE ENCRYPTED FILE-----"}]},
                {"pgp": [{"fp": "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", "created_at": "2025-01-01T00:00:00Z", "enc": "-----BEGIN PGP MESSAGE-----"}],
                 "kms": [{"arn": "arn:aws:kms:eu-west-1:123456789012:key/abc", "created_at": "2025-01-01T00:00:00Z", "enc": "AQICAH"}]}],
              "shamir_threshold": 2, "lastmodified": "2025-08-06T18:55:05Z", "mac": "\(Self.mac)",
              "encrypted_regex": "^data$", "version": "3.10.2"}}
            """
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let file = try SopsFile.load(path: path)
        #expect(file.format == .json)
        #expect(file.metadata.keyGroups.map { $0.map(\.kind) } == [["age"], ["pgp", "kms"]])
        #expect(file.metadata.masterKeys.map(\.identifier) == ["age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
                                                               "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", "arn:aws:kms:eu-west-1:123456789012:key/abc"])
        #expect(file.metadata.shamirThreshold == 2)
        let inspection = SopsInspector().inspect(file, keys: [SopsKeyPath(parsing: "data.token")!])
        #expect(inspection.passed, "\(inspection.findings)")
        #expect(inspection.keys[0].encrypted?.plaintextLength == 12)
    }
}
