import DRBookActions
import DRBookRunbook
import DRBookTestSupport
import Foundation
import Testing

@Suite("sops.keysSet: the secrets check as a runbook step")
struct SopsKeysSetActionTests {
    static let webhook = "https://hooks.slack.com/services/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"

    struct Fixture {
        let directory: TemporaryDirectory
        let key: AgeTestKey
        let file: String

        init() async throws {
            directory = try TemporaryDirectory()
            key = try await AgeTestKey.generate(in: directory)
            file = try await sopsEncrypt("kind: Secret\nstringData:\n  alertmanager_webhook_url: \(SopsKeysSetActionTests.webhook)\n",
                                   name: "secret.enc.yaml", recipients: [key.recipient], in: directory)
        }

        func run(withKey: Bool = true) throws -> ActionRun {
            let home = directory.path("home")
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            return ActionRun(environment: ActionEnvironment(processEnvironment: SopsTools.environment(keyFile: withKey ? key.path : nil, home: home)))
        }
    }

    @Test("with the key: passes, hands the value to the redactor, logs only its redacted form")
    func passes() async throws {
        let fixture = try await Fixture()
        let run = try fixture.run()
        let outputs = try await run("sops.keysSet", ["file": .string(fixture.file), "keys": strings("stringData.alertmanager_webhook_url")])
        #expect(outputs["keysChecked"] == .int(1))
        #expect(outputs["decrypted"] == .bool(true))
        #expect(outputs["recipients"] == strings(fixture.key.recipient))
        #expect(run.reports.secrets == [Self.webhook])
        #expect(run.reports.lines.contains { $0.hasPrefix("[ok] stringData.alertmanager_webhook_url: encrypted (str, 77 bytes); decrypted: valid slack-webhook https://hooks.slack.com/…") })
        #expect(!run.reports.lines.joined().contains("Kd8fG2hJ4kL6zX8cV0bN1mQ3"))
    }

    @Test("a missing key fails the step with the key, its position and the fix")
    func missingKey() async throws {
        let fixture = try await Fixture()
        let run = try fixture.run(withKey: false)
        let error = await actionError {
            try await run("sops.keysSet", ["file": .string(fixture.file), "keys": strings("stringData.alertmanager_heartbeat_url")])
        }
        #expect(error?.message.hasPrefix("stringData.alertmanager_heartbeat_url missing: stringData has no key 'alertmanager_heartbeat_url'") == true)
        #expect(error?.subject == "\(fixture.file):3:5")
        #expect(error?.fix?.contains("drbook secrets set stringData.alertmanager_heartbeat_url") == true)
    }

    @Test("a file that is not SOPS and bad inputs fail with what to do")
    func badInputs() async throws {
        let fixture = try await Fixture()
        let plain = fixture.directory.path("plain.yaml")
        try Data("a: b\n".utf8).write(to: URL(fileURLWithPath: plain))
        let run = try fixture.run()
        let notSops = await actionError { try await run("sops.keysSet", ["file": .string(plain)]) }
        #expect(notSops?.message.contains("not SOPS-encrypted") == true)
        let badMode = await actionError { try await run("sops.keysSet", ["file": .string(fixture.file), "decrypt": .string("maybe")]) }
        #expect(badMode?.fix == "write auto, required or never")
        let badKey = await actionError { try await run("sops.keysSet", ["file": .string(fixture.file), "keys": strings("a=email")]) }
        #expect(badKey?.message.contains("'email' is not a value format") == true)
    }
}

@Suite("sops.set: one secret written into a SOPS file from a runbook")
struct SopsSetActionTests {
    static let heartbeat = "https://hc-ping.com/2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"

    @Test("writes the value, registers it as a secret, logs only its redacted form")
    func writes() async throws {
        let fixture = try await SopsKeysSetActionTests.Fixture()
        let run = try fixture.run()
        let outputs = try await run("sops.set", ["file": .string(fixture.file), "key": .string("stringData.alertmanager_heartbeat_url"),
                                                 "value": .string(Self.heartbeat)])
        #expect(outputs["added"] == .bool(true))
        #expect(outputs["redacted"] == .string("https://hc-ping.com/… (56 characters)"))
        #expect(run.reports.secrets.contains(Self.heartbeat))
        #expect(run.reports.lines == ["added stringData.alertmanager_heartbeat_url in \(fixture.file): https://hc-ping.com/… (56 characters), verified by decrypting it again"])
        let check = try await run("sops.keysSet", ["file": .string(fixture.file)])
        #expect(check["keysChecked"] == .int(2))
        #expect(run.registry.descriptor(of: "sops.set")?.inputs.first { $0.name == "value" }?.secret == true)
    }

    @Test("an invalid value fails the step and leaves the file as it was")
    func refuses() async throws {
        let fixture = try await SopsKeysSetActionTests.Fixture()
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.file))
        let run = try fixture.run()
        let error = await actionError {
            try await run("sops.set", ["file": .string(fixture.file), "key": .string("stringData.alertmanager_heartbeat_url"),
                                       "value": .string("https://example.invalid/no-heartbeat-configured")])
        }
        #expect(error?.message.contains("placeholder") == true)
        #expect(error?.message.hasSuffix("(the file is unchanged)") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.file)) == before)
    }
}

@Suite("slack.probeWebhook: a live webhook proved without a post")
struct SlackProbeWebhookActionTests {
    @Test("live passes; revoked fails with the fix; the URL is registered as a secret and never logged")
    func probes() async throws {
        let slack = try await TestServers.shared.slack()
        let run = ActionRun()
        let live = slack.baseURL.absoluteString + "/services/TLIVE0009/B0ACTION9/Pq1wE2rT3yU4iO5pA6sD7fG8"
        let outputs = try await run("slack.probeWebhook", ["url": .string(live)])
        #expect(outputs["verdict"] == .string("live"))
        #expect(outputs["status"] == .int(400))
        #expect(run.reports.secrets == [live])
        let revoked = slack.baseURL.absoluteString + "/services/TREVOKED9/B0ACTION9/Pq1wE2rT3yU4iO5pA6sD7fG8"
        let error = await actionError { try await run("slack.probeWebhook", ["url": .string(revoked)]) }
        #expect(error?.message.contains("revoked or unknown: Slack answered 404 no_service") == true)
        #expect(!run.reports.lines.joined().contains("Pq1wE2rT3yU4iO5pA6sD7fG8"))
    }

    @Test("the webhook can come straight from the SOPS file")
    func fromSopsFile() async throws {
        let slack = try await TestServers.shared.slack()
        let directory = try TemporaryDirectory()
        let key = try await AgeTestKey.generate(in: directory)
        let live = slack.baseURL.absoluteString + "/services/TLIVE0010/B0ACTION9/Pq1wE2rT3yU4iO5pA6sD7fG8"
        let file = try await sopsEncrypt("stringData:\n  alertmanager_webhook_url: \(live)\n", name: "s.enc.yaml", recipients: [key.recipient], in: directory)
        let run = ActionRun(environment: ActionEnvironment(processEnvironment: SopsTools.environment(keyFile: key.path, home: directory.path("home"))))
        let outputs = try await run("slack.probeWebhook", ["file": .string(file)])
        #expect(outputs["verdict"] == .string("live"))
        #expect(run.reports.secrets == [live])
    }
}
