import DRBookPlatform
import DRBookSecrets
import DRBookTestSupport
import Foundation
import Testing

/// The platform's real SOPS files (from devantler-tech/platform, no keys), read in place.
@Suite("The platform's own SOPS files, without a key")
struct PlatformFixtureTests {
    @Test("the local cluster's file: the webhook is present and encrypted, the heartbeat URL is absent")
    func localClusterSecret() throws {
        let path = try PlatformFixtures.path("sops/local-variables-cluster-secret.enc.yaml")
        let file = try SopsFile.load(path: path)
        let inspection = SopsInspector().inspect(file, keys: [
            SopsKeyPath(parsing: "stringData.alertmanager_webhook_url")!,
            SopsKeyPath(parsing: "stringData.alertmanager_heartbeat_url")!,
        ])
        #expect(inspection.findings.isEmpty, "\(inspection.findings)")
        #expect(inspection.keys.map(\.state) == [.encrypted, .missing])
        #expect(inspection.keys[0].encrypted?.type == "str")
        #expect(inspection.keys[0].encrypted?.plaintextLength == 42)
        #expect(inspection.keys[0].position?.description == "\(path):13:31")
        #expect(inspection.keys[1].message == "missing: stringData has no key 'alertmanager_heartbeat_url'")
        #expect(file.metadata.ageRecipients == ["age14skmde00w0ps6u8asm4rdqwpktr5m5pq84070yzwvjjmcyfnl4ushfn5uq"])
        #expect(file.metadata.version == "3.12.2")
        #expect(file.metadata.lastModified == "2026-05-03T09:27:48Z")
        #expect(file.metadata.rule == .encryptedRegex("^(data|stringData)$"))
        // Every one of the 13 values under stringData is encrypted.
        let all = SopsInspector().inspect(file)
        #expect(all.keys.count == 13)
        #expect(all.passed)
    }

    @Test("without a key, the checker flags the local webhook as too short to be a Slack webhook and says it did not decrypt")
    func localClusterCheck() async throws {
        let path = try PlatformFixtures.path("sops/local-variables-cluster-secret.enc.yaml")
        let directory = try TemporaryDirectory()
        let report = try await SecretsChecker(environment: SopsTools.environment(home: directory.path("home"))).judging(by: .default).check(file: path, keys: [
            SecretKeyRequest(path: SopsKeyPath(parsing: "stringData.alertmanager_webhook_url")!, formats: PlatformProfile.default.valueFormats),
            SecretKeyRequest(path: SopsKeyPath(parsing: "stringData.alertmanager_heartbeat_url")!, formats: PlatformProfile.default.valueFormats),
        ])
        #expect(report.keys.map(\.verdict) == [.passed, .failed])
        #expect(report.keys[0].format == "slack-webhook")
        #expect(report.keys[0].warnings == ["its length (42 bytes) is short for a Slack incoming-webhook URL (usually 70+)"])
        #expect(report.decryption.attempted == false)
        #expect(report.decryption.note?.hasPrefix("no age key in reach") == true)
        #expect(!report.passed)
    }

    @Test("the base variables file: the R2 keys are encrypted for both the local and the prod recipient")
    func baseSecret() throws {
        let file = try SopsFile.load(path: try PlatformFixtures.path("sops/variables-base-secret.enc.yaml"))
        let inspection = SopsInspector().inspect(file, keys: ["stringData.r2_access_key_id", "stringData.r2_secret_access_key"].map { SopsKeyPath(parsing: $0)! })
        #expect(inspection.passed, "\(inspection.findings)")
        #expect(file.metadata.ageRecipients == ["age14skmde00w0ps6u8asm4rdqwpktr5m5pq84070yzwvjjmcyfnl4ushfn5uq",
                                                "age1rk6fs67kly3h4zux5za429z3grjtvs8vcunav4sa28pxk738najsk8wgs6"])
        #expect(SopsInspector().inspect(file).keys.map(\.path) == ["stringData.cloudflare_api_token", "stringData.r2_access_key_id", "stringData.r2_secret_access_key"])
    }

    @Test(".sops.yaml is a configuration, not an encrypted file, and is reported as such")
    func sopsConfig() throws {
        #expect {
            try SopsFile.load(path: try PlatformFixtures.path("sops/sops-config.yaml"))
        } throws: { error in
            (error as? SopsFileError)?.kind == .notSops
        }
    }

    @Test("the placeholder defaults come from the platform's manifests")
    func placeholdersFromManifests() throws {
        let text = try String(contentsOfFile: try PlatformFixtures.path("manifests/kube-prometheus-stack-helm-release.yaml"), encoding: .utf8)
        let placeholders = Placeholders.fromManifests([text])
        #expect(placeholders.byVariable["alertmanager_heartbeat_url"] == ["https://example.invalid/no-heartbeat-configured"])
        #expect(placeholders.byVariable["alertmanager_replicas"] == ["2"])
        #expect(placeholders.values(for: "alertmanager_heartbeat_url") == Placeholders(platform: .default).values(for: "alertmanager_heartbeat_url"))
        #expect(placeholders.values(for: "alertmanager_webhook_url").isEmpty)
    }
}
