import DRBookTestSupport
import Foundation
import Testing

/// A working tree laid out as one platform profile expects: drbook.yaml naming the profile, and
/// the alerting secrets encrypted by the real sops for a fresh age key where the profile keeps them.
private struct ProfiledTree {
    static let webhook = "https://hooks.slack.com/services/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"
    static let heartbeat = "https://hc-ping.com/0b7e6c1a-2d3f-4a5b-8c9d-0e1f2a3b4c5d"

    let directory: TemporaryDirectory
    let key: AgeTestKey

    /// `platform` is drbook.yaml's `platform:` value (nil: no drbook.yaml); the secret goes to `file`.
    init(platform: String?, file: String, webhook: String = Self.webhook) async throws {
        directory = try TemporaryDirectory()
        key = try await AgeTestKey.generate(in: directory)
        let encrypted = try await sopsEncrypt(variablesSecretYAML(["alertmanager_webhook_url": webhook, "alertmanager_heartbeat_url": Self.heartbeat]),
                                              name: "secret.enc.yaml", recipients: [key.recipient], in: directory)
        let target = directory.path(file)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: encrypted, toPath: target)
        if let platform {
            try Data("platform: \(platform)\n".utf8).write(to: URL(fileURLWithPath: directory.path("drbook.yaml")))
        }
        try FileManager.default.createDirectory(atPath: directory.path("home"), withIntermediateDirectories: true)
    }

    var environment: [String: String] {
        ["HOME": directory.path("home"), "SOPS_AGE_KEY": "", "SOPS_AGE_KEY_CMD": "", "XDG_CONFIG_HOME": "",
         "SOPS_AGE_KEY_FILE": key.path, "SOPS_AGE_SSH_PRIVATE_KEY_FILE": ""]
    }

    func check(_ arguments: [String] = []) async throws -> CLIResult {
        try await drbook(["secrets", "check"] + arguments, environment: environment, directory: directory.url.path)
    }
}

private func expectNoSecrets(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) {
    for secret in [ProfiledTree.webhook, ProfiledTree.heartbeat] {
        #expect(!result.all.contains(secret) && !result.all.contains(URLComponents(string: secret)!.path),
                "a secret value appears in drbook's output", sourceLocation: sourceLocation)
    }
}

@Suite("drbook secrets check serves the platform profile drbook.yaml names", .offPoolOneAtATime)
struct PlatformProfileCLITests {
    static let headFile = "k8s/clusters/prod/bootstrap/secret.enc.yaml"
    static let defaultFile = "k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml"

    @Test("platform: head: with no --file or --key, the head layout's file and key names are checked, each by its format")
    func headLayout() async throws {
        let tree = try await ProfiledTree(platform: "head", file: Self.headFile)
        let result = try await tree.check(["-o", "json"])
        #expect(result.status == 0, "\(result.all)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["file"] as? String == Self.headFile)
        let keys = (report["keys"] as? [[String: Any]] ?? []).map { "\($0["path"] ?? "")=\($0["format"] ?? "")" }
        #expect(keys == ["stringData.alertmanager_webhook_url=slack-webhook", "stringData.alertmanager_heartbeat_url=heartbeat-url"])
        expectNoSecrets(result)
    }

    @Test("platform: head knows head's Slack placeholder; the default layout, which has none, only sees a .invalid URL")
    func headPlaceholder() async throws {
        let tree = try await ProfiledTree(platform: "head", file: Self.headFile, webhook: "https://example.invalid/no-slack-configured")
        let head = try await tree.check()
        #expect(head.status == 1, "\(head.all)")
        #expect(head.stdout.contains("is the placeholder default the manifests substitute when the secret is unset"), "\(head.stdout)")
        let other = try await tree.check(["--platform", "default", "--file", Self.headFile])
        #expect(other.status == 1, "\(other.all)")
        #expect(other.stdout.contains("a URL on the reserved .invalid domain"), "\(other.stdout)")
    }

    @Test("without drbook.yaml the default layout is served: its file name, not head's")
    func defaultLayout() async throws {
        let tree = try await ProfiledTree(platform: nil, file: Self.headFile)
        let result = try await tree.check()
        #expect(result.status == 2, "\(result.all)")
        #expect(result.stderr.contains(Self.defaultFile), "\(result.all)")
        let moved = try await ProfiledTree(platform: nil, file: Self.defaultFile)
        #expect(try await moved.check().status == 0)
    }

    @Test("a platform drbook.yaml does not know is bad input pointing at drbook.yaml:line:column, with the built-in names")
    func unknownPlatform() async throws {
        let tree = try await ProfiledTree(platform: "haed", file: Self.headFile)
        let result = try await tree.check()
        #expect(result.status == 2, "\(result.all)")
        #expect(result.stderr.contains("drbook.yaml:1:11: error: there is no built-in platform profile 'haed'"), "\(result.stderr)")
        #expect(result.stderr.contains("default, head"), "\(result.stderr)")
    }
}
