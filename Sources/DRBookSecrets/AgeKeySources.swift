import Foundation

/// Where sops will look for age identities (reference/secrets-gitops.md §1.9), found without
/// reading any private key: drbook only says which sources exist and, when a key file carries
/// age-keygen's `# public key:` comment, which recipient it is for.
public struct AgeKeySource: Sendable, Codable, Equatable, CustomStringConvertible {
    /// `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_FILE` or `default file`.
    public var name: String
    /// The file's path, when the source is a file.
    public var path: String?
    /// Recipients named by `# public key:` comments in the file.
    public var publicKeys: [String]
    /// Why the source cannot be used (a file that is not there), if so.
    public var problem: String?

    public var isUsable: Bool { problem == nil }

    public var description: String {
        var text = path.map { "\(name) (\($0))" } ?? name
        if !publicKeys.isEmpty { text += " for \(publicKeys.joined(separator: ", "))" }
        if let problem { text += ": \(problem)" }
        return text
    }
}

public enum AgeKeySources {
    /// The sources present in `environment`, in the order sops consults them; an empty list means
    /// no key is in reach and values cannot be decrypted.
    public static func detect(environment: [String: String]) -> [AgeKeySource] {
        var sources: [AgeKeySource] = []
        if let inline = environment["SOPS_AGE_KEY"], !inline.isEmpty {
            sources.append(AgeKeySource(name: "SOPS_AGE_KEY", publicKeys: publicKeys(in: inline)))
        }
        if let file = environment["SOPS_AGE_KEY_FILE"], !file.isEmpty {
            sources.append(fileSource("SOPS_AGE_KEY_FILE", file))
        }
        if let command = environment["SOPS_AGE_KEY_CMD"], !command.isEmpty {
            sources.append(AgeKeySource(name: "SOPS_AGE_KEY_CMD", publicKeys: []))
        }
        if let file = environment["SOPS_AGE_SSH_PRIVATE_KEY_FILE"], !file.isEmpty {
            sources.append(fileSource("SOPS_AGE_SSH_PRIVATE_KEY_FILE", file))
        }
        if let file = defaultKeyFile(environment: environment), FileManager.default.fileExists(atPath: file) {
            sources.append(fileSource("default file", file))
        }
        return sources
    }

    /// `<UserConfigDir>/sops/age/keys.txt`: `$XDG_CONFIG_HOME` or `~/.config` on Linux;
    /// on macOS `$XDG_CONFIG_HOME` or `~/Library/Application Support`.
    public static func defaultKeyFile(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return "\(xdg)/sops/age/keys.txt" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        #if os(macOS)
        return "\(home)/Library/Application Support/sops/age/keys.txt"
        #else
        return "\(home)/.config/sops/age/keys.txt"
        #endif
    }

    private static func fileSource(_ name: String, _ path: String) -> AgeKeySource {
        guard FileManager.default.isReadableFile(atPath: path) else {
            let problem = FileManager.default.fileExists(atPath: path) ? "the file cannot be read" : "the file does not exist"
            return AgeKeySource(name: name, path: path, publicKeys: [], problem: problem)
        }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return AgeKeySource(name: name, path: path, publicKeys: publicKeys(in: text))
    }

    /// Only age-keygen's comment lines are looked at; identity lines are skipped unread.
    private static func publicKeys(in text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("# public key:") else { return nil }
            return trimmed.dropFirst("# public key:".count).trimmingCharacters(in: .whitespaces)
        }
    }
}
