import DRBookTestSupport
import Foundation
import Testing

/// A platform Secret encrypted by the real sops for a fresh age key, and what `drbook` needs to find (or not find) that key.
private struct CLISecretFixture {
    static let webhook = "https://hooks.slack.com/services/T0CLITEST/B0CLITEST/Hq2wE4rT6yU8iO0pA1sD3fG5"
    static let heartbeat = "https://hc-ping.com/0b7e6c1a-2d3f-4a5b-8c9d-0e1f2a3b4c5d"

    let directory: TemporaryDirectory
    let key: AgeTestKey
    let file: String

    init(heartbeat: String? = Self.heartbeat) async throws {
        directory = try TemporaryDirectory()
        key = try await AgeTestKey.generate(in: directory)
        let heartbeatLine = heartbeat.map { "  alertmanager_heartbeat_url: \($0)\n" } ?? ""
        file = try await sopsEncrypt("apiVersion: v1\nkind: Secret\nmetadata:\n  name: variables-cluster\nstringData:\n  alertmanager_webhook_url: \(Self.webhook)\n\(heartbeatLine)",
                               name: "variables-cluster-secret.enc.yaml", recipients: [key.recipient], in: directory)
        try FileManager.default.createDirectory(atPath: directory.path("home"), withIntermediateDirectories: true)
    }

    /// drbook's environment: this fixture's key (or none), and a home without sops keys.
    func environment(withKey: Bool = true) -> [String: String] {
        var environment = ["HOME": directory.path("home"), "SOPS_AGE_KEY": "", "SOPS_AGE_KEY_CMD": "", "XDG_CONFIG_HOME": "",
                           "SOPS_AGE_KEY_FILE": withKey ? key.path : ""]
        environment["SOPS_AGE_SSH_PRIVATE_KEY_FILE"] = ""
        return environment
    }

    static let keys = ["--key", "stringData.alertmanager_webhook_url", "--key", "stringData.alertmanager_heartbeat_url"]
}

private func expectNoSecretsInOutput(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) {
    for secret in [CLISecretFixture.webhook, CLISecretFixture.heartbeat] {
        let path = URLComponents(string: secret)!.path
        for form in [secret, path, Data(secret.utf8).base64EncodedString(), secret.replacingOccurrences(of: "/", with: "\\/")] {
            #expect(!result.all.contains(form), "a secret value appears in drbook's output", sourceLocation: sourceLocation)
        }
    }
}

/// The checklist line of `subject` (columns are padded to the longest key, so lines are matched by parts).
private func checklistLine(_ output: String, _ tag: String, _ subject: String) -> String? {
    output.split(separator: "\n").map(String.init).first { $0.hasPrefix(tag) && $0.dropFirst(tag.count).trimmingCharacters(in: .whitespaces).hasPrefix(subject + " ") }
}

@Suite("drbook secrets check: the checklist and its exit status", .offPoolOneAtATime)
struct SecretsCLITests {
    @Test("with the key: every line decrypted and valid, exit 0, no value printed")
    func passesWithKey() async throws {
        let fixture = try await CLISecretFixture()
        let result = try await drbook(["secrets", "check", "--file", fixture.file] + CLISecretFixture.keys, environment: fixture.environment())
        #expect(result.status == 0, "\(result.all)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("[ok]") && $0.contains("stringData.alertmanager_webhook_url") && $0.contains("decrypted: valid slack-webhook https://hooks.slack.com/… (77 characters)") })
        #expect(lines.contains { $0.hasPrefix("[ok]") && $0.contains("stringData.alertmanager_heartbeat_url") && $0.contains("decrypted: valid heartbeat-url https://hc-ping.com/…") })
        #expect(result.stdout.contains("recipients: age \(fixture.key.recipient)"))
        #expect(result.stdout.contains("Verdict: PASSED (2 keys: 2 passed, 0 failed)"))
        expectNoSecretsInOutput(result)
    }

    @Test("without a key: encrypted keys pass, a missing key fails with its fix, exit 1")
    func missingKeyWithoutAgeKey() async throws {
        let fixture = try await CLISecretFixture(heartbeat: nil)
        let result = try await drbook(["secrets", "check", "--file", fixture.file] + CLISecretFixture.keys, environment: fixture.environment(withKey: false))
        #expect(result.status == 1, "\(result.all)")
        #expect(checklistLine(result.stdout, "[ok]", "stringData.alertmanager_webhook_url")?.hasSuffix("encrypted (str, 77 bytes)") == true)
        #expect(checklistLine(result.stdout, "[FAIL]", "stringData.alertmanager_heartbeat_url")?.hasSuffix("missing: stringData has no key 'alertmanager_heartbeat_url'") == true)
        #expect(result.stdout.contains("fix: set it with drbook secrets set stringData.alertmanager_heartbeat_url --file \(fixture.file)"))
        #expect(checklistLine(result.stdout, "[warn]", "decryption") != nil)
        #expect(result.stdout.contains("Verdict: FAILED (2 keys: 1 passed, 1 failed)"))
    }

    @Test("a placeholder and a wrong key each exit 1 with the reason, never the value")
    func failures() async throws {
        let placeholder = try await CLISecretFixture(heartbeat: "https://example.invalid/no-heartbeat-configured")
        let result = try await drbook(["secrets", "check", "--file", placeholder.file] + CLISecretFixture.keys, environment: placeholder.environment())
        #expect(result.status == 1, "\(result.all)")
        #expect(result.stdout.contains("decrypted: https://example.invalid/… (47 characters) is the placeholder default"))
        expectNoSecretsInOutput(result)

        let other = try await AgeTestKey.generate(in: placeholder.directory, name: "other.txt")
        var environment = placeholder.environment()
        environment["SOPS_AGE_KEY_FILE"] = other.path
        let auto = try await drbook(["secrets", "check", "--file", placeholder.file] + CLISecretFixture.keys, environment: environment)
        #expect(auto.stdout.contains("the age key found is for \(other.recipient), not for this file's recipients"))
        let wrong = try await drbook(["secrets", "check", "--file", placeholder.file, "--decrypt", "required"] + CLISecretFixture.keys, environment: environment)
        #expect(wrong.status == 1)
        #expect(checklistLine(wrong.stdout, "[FAIL]", "decryption") != nil)
        #expect(wrong.stdout.contains("no age identity in reach can decrypt the file (it is encrypted for \(placeholder.key.recipient))"))
        expectNoSecretsInOutput(wrong)
    }

    @Test("-o json prints the report with verdicts and redacted forms only")
    func json() async throws {
        let fixture = try await CLISecretFixture()
        let result = try await drbook(["secrets", "check", "--file", fixture.file, "-o", "json"] + CLISecretFixture.keys, environment: fixture.environment())
        #expect(result.status == 0, "\(result.all)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let keys = try #require(object["keys"] as? [[String: Any]])
        #expect(keys.map { $0["verdict"] as? String } == ["passed", "passed"])
        #expect((keys[0]["value"] as? [String: Any])?["redacted"] as? String == "https://hooks.slack.com/… (77 characters)")
        expectNoSecretsInOutput(result)
    }

    @Test("a file that is not SOPS-encrypted fails (exit 1) and says so; bad arguments exit 2")
    func notSopsAndBadInput() async throws {
        let fixture = try await CLISecretFixture()
        let plain = fixture.directory.path("plain.yaml")
        try Data("stringData:\n  alertmanager_webhook_url: x\n".utf8).write(to: URL(fileURLWithPath: plain))
        let notSops = try await drbook(["secrets", "check", "--file", plain], environment: fixture.environment())
        #expect(notSops.status == 1, "\(notSops.all)")
        #expect(notSops.stdout.contains("the file is not SOPS-encrypted"))
        #expect(notSops.stdout.contains("fix: encrypt it with sops encrypt --in-place"))

        let missing = try await drbook(["secrets", "check", "--file", fixture.directory.path("nope.enc.yaml")], environment: fixture.environment())
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("does not exist"))
        let badKey = try await drbook(["secrets", "check", "--file", fixture.file, "--key", "stringData.x=email"], environment: fixture.environment())
        #expect(badKey.status == 2)
        #expect(badKey.stderr.contains("'email' is not a value format"))
    }

    @Test("the platform's local file without a key: webhook encrypted (but short), heartbeat missing")
    func platformFixture() async throws {
        let path = try PlatformFixtures.path("sops/local-variables-cluster-secret.enc.yaml")
        let directory = try TemporaryDirectory()
        let result = try await drbook(["secrets", "check", "--file", path] + CLISecretFixture.keys,
                                      environment: ["HOME": directory.path("home"), "SOPS_AGE_KEY_FILE": "", "SOPS_AGE_KEY": "", "XDG_CONFIG_HOME": ""])
        #expect(result.status == 1, "\(result.all)")
        #expect(checklistLine(result.stdout, "[warn]", "stringData.alertmanager_webhook_url")?.hasSuffix("encrypted (str, 42 bytes)") == true)
        #expect(result.stdout.contains("note: its length (42 bytes) is short for a Slack incoming-webhook URL (usually 70+)"))
        #expect(checklistLine(result.stdout, "[FAIL]", "stringData.alertmanager_heartbeat_url")?.contains("missing") == true)
        #expect(result.stdout.contains("written by sops 3.12.2"))
    }
}

@Suite("drbook secrets set: the value from standard input, validated, confirmed, verified", .offPoolOneAtATime)
struct SecretsSetCLITests {
    static let newHeartbeat = "https://hc-ping.com/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

    @Test("piped value with --yes: written, verified, then the check passes; the value is never printed")
    func writes() async throws {
        let fixture = try await CLISecretFixture(heartbeat: nil)
        let result = try await drbook(["secrets", "set", "stringData.alertmanager_heartbeat_url", "--file", fixture.file, "--yes"], input: Self.newHeartbeat + "\n", environment: fixture.environment())
        #expect(result.status == 0, "\(result.all)")
        #expect(result.stdout.contains("Added stringData.alertmanager_heartbeat_url in \(fixture.file): https://hc-ping.com/… (56 characters), encrypted by sops"))
        #expect(!result.all.contains(Self.newHeartbeat) && !result.all.contains("1a2b3c4d-5e6f"))
        let check = try await drbook(["secrets", "check", "--file", fixture.file] + CLISecretFixture.keys, environment: fixture.environment())
        #expect(check.status == 0, "\(check.all)")
    }

    @Test("on a terminal: the value is asked twice with echo off and the write confirmed; the transcript never shows it")
    func onTerminal() async throws {
        let fixture = try await CLISecretFixture(heartbeat: nil)
        let terminal = try PseudoTerminal()
        let running = try await RunningDrbook.start(["secrets", "set", "stringData.alertmanager_heartbeat_url", "--file", fixture.file],
                                                    terminal: terminal, environment: fixture.environment(), in: fixture.directory.url)
        for (prompt, answer) in [("input hidden): ", Self.newHeartbeat), ("Again, to confirm: ", Self.newHeartbeat), ("[y/N] ", "y")] {
            try await waitUntil("'\(prompt)' on the terminal:\n\(terminal.transcript)", seconds: 60) { terminal.transcript.contains(prompt) }
            terminal.type(answer + "\n")
        }
        let status = try await running.waitForExit()
        #expect(status == 0, "\(terminal.transcript)")
        #expect(terminal.transcript.contains("Write stringData.alertmanager_heartbeat_url = https://hc-ping.com/… (56 characters) into \(fixture.file)? [y/N]"))
        #expect(terminal.transcript.contains("Added stringData.alertmanager_heartbeat_url"))
        #expect(!terminal.transcript.contains("1a2b3c4d-5e6f"), "the terminal echoed the value")
    }

    @Test("without a terminal and without --yes nothing is written (exit 2); an invalid value exits 2; the file is unchanged")
    func refuses() async throws {
        let fixture = try await CLISecretFixture()
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.file))
        let unconfirmed = try await drbook(["secrets", "set", "stringData.alertmanager_heartbeat_url", "--file", fixture.file], input: Self.newHeartbeat, environment: fixture.environment())
        #expect(unconfirmed.status == 2)
        #expect(unconfirmed.stderr.contains("needs a confirmation and there is no terminal to ask; pass --yes"))
        let invalid = try await drbook(["secrets", "set", "stringData.alertmanager_webhook_url", "--file", fixture.file, "--yes"], input: "https://hooks.slack.com/triggers/T0CLITEST/123/abcdef0123456789", environment: fixture.environment())
        #expect(invalid.status == 2, "\(invalid.all)")
        #expect(invalid.stderr.contains("Workflow Builder webhook"))
        #expect(!invalid.stderr.contains("abcdef0123456789"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.file)) == before)
    }
}

@Suite("SOPS steps in a run: decrypted values never reach the console, the journal or a report", .offPoolOneAtATime)
struct SecretsRunRedactionTests {
    @Test("sops.set from the environment, sops.keysSet, then a step that prints the plaintext: every output redacted")
    func runRedacted() async throws {
        let fixture = try await CLISecretFixture(heartbeat: nil)
        let newHeartbeat = "https://hc-ping.com/9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
        try """
        apiVersion: drbook/v1
        metadata: {name: secrets, title: Set and check the alerting secrets}
        steps:
          - id: set-heartbeat
            title: Set the heartbeat URL
            uses: sops.set
            destructive: true
            with:
              file: \(fixture.file)
              key: stringData.alertmanager_heartbeat_url
              value: ${{ env.NEW_HEARTBEAT_URL }}
          - id: check
            title: Both secrets set and valid
            uses: sops.keysSet
            with:
              file: \(fixture.file)
              keys: [stringData.alertmanager_webhook_url, stringData.alertmanager_heartbeat_url]
              decrypt: required
          - id: leak
            title: A careless step prints the plaintext
            uses: exec
            destructive: true
            with:
              argv: [sops, decrypt, \(fixture.file)]
        """.write(toFile: fixture.directory.path("secrets.yaml"), atomically: true, encoding: .utf8)
        let runs = fixture.directory.path("runs")
        // Only real values: the exec step's sops 3.11 panics on an empty SOPS_AGE_SSH_PRIVATE_KEY_FILE.
        let environment = ["HOME": fixture.directory.path("home"), "SOPS_AGE_KEY_FILE": fixture.key.path,
                           "NEW_HEARTBEAT_URL": newHeartbeat, "SOPS_DISABLE_VERSION_CHECK": "1"]
        let result = try await drbook(["run", "secrets", "--runbooks", fixture.directory.url.path, "--runs-dir", runs, "--yes"], environment: environment)
        #expect(result.status == 0, "\(result.all)")
        let journals = try FileManager.default.subpathsOfDirectory(atPath: runs).filter { $0.hasSuffix("journal.jsonl") }
        let journal = try String(contentsOfFile: "\(runs)/\(try #require(journals.first))", encoding: .utf8)
        let id = try #require(journals.first?.split(separator: "/").first.map(String.init))
        let report = try await drbook(["report", id, "--runs-dir", runs], environment: environment)
        // The exec step's output holds the plaintext file; the values learned earlier are masked in it.
        #expect(journal.contains("[redacted]"))
        for text in [result.all, journal, report.all] {
            for secret in [CLISecretFixture.webhook, newHeartbeat] {
                let path = URLComponents(string: secret)!.path
                for form in [secret, path, Data(secret.utf8).base64EncodedString()] {
                    #expect(!text.contains(form), "a secret value leaked")
                }
            }
        }
    }
}

@Suite("The alerting-secrets runbook", .offPoolOneAtATime)
struct AlertingSecretsRunbookTests {
    var workspace: [String] {
        ["--runbooks", repositoryRoot.appendingPathComponent("runbooks").path, "--docs", repositoryRoot.appendingPathComponent("docs").path]
    }

    @Test("without a key: the secrets are proved encrypted and the live probe is skipped; the platform's local file fails on the missing heartbeat")
    func runs() async throws {
        let fixture = try await CLISecretFixture()
        let runs = fixture.directory.path("runs")
        let environment = ["HOME": fixture.directory.path("home"), "SOPS_AGE_KEY_FILE": "", "SOPS_AGE_KEY": "", "XDG_CONFIG_HOME": ""]
        let passed = try await drbook(["run", "alerting-secrets", "--param", "file=\(fixture.file)", "--runs-dir", runs] + workspace, environment: environment)
        #expect(passed.status == 0, "\(passed.all)")
        #expect(passed.stdout.contains("[ok] stringData.alertmanager_webhook_url: encrypted (str, 77 bytes)"))

        let local = try PlatformFixtures.path("sops/local-variables-cluster-secret.enc.yaml")
        let failed = try await drbook(["run", "alerting-secrets", "--param", "file=\(local)", "--runs-dir", runs] + workspace, environment: environment)
        #expect(failed.status == 1, "\(failed.all)")
        #expect(failed.all.contains("stringData.alertmanager_heartbeat_url missing: stringData has no key 'alertmanager_heartbeat_url'"))
    }
}
