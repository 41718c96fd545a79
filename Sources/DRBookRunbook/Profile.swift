import Foundation
import Yams

/// `drbook.yaml`: per-environment param values, chosen with `--env NAME`.
///
///     environments:
///       prod:
///         params:
///           namespace: monitoring
///
/// One profile serves every runbook, so a value for a param a runbook does not
/// declare is simply not used by that runbook.
///
/// A top-level `platform:` names the platform profile drbook serves (a built-in name such
/// as `head`, or a file's path relative to drbook.yaml); the engine only carries the text,
/// which the actions and the CLI resolve with DRBookPlatform: the engine imports only
/// Foundation, Yams and DRBookDigest.
public struct Profile: Sendable {
    public static let fileName = "drbook.yaml"

    public var file: String
    public var environments: [Environment]
    public var location: SourceLocation
    /// The platform profile chosen, as written, with where; nil means the default layout.
    public var platform: Located<String>?

    public struct Environment: Sendable {
        public var name: String
        public var description: String?
        public var params: [String: Located<Value>]
        public var location: SourceLocation
    }

    public func environment(named name: String) -> Environment? {
        environments.first { $0.name == name }
    }

    public static func load(path: String) throws(RunbookError) -> Profile {
        let yaml: String
        do {
            yaml = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RunbookError([.error(at: nil, "cannot read profile \(path): \(error.localizedDescription)")])
        }
        return try load(yaml: yaml, file: path)
    }

    public static func load(yaml: String, file: String) throws(RunbookError) -> Profile {
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let root = try YAMLReader.compose(yaml, file: file) else {
            return Profile(file: file, environments: [], location: start, platform: nil)
        }
        var reader = YAMLReader(file: file, text: yaml)
        var profile = Profile(file: file, environments: [], location: reader.location(of: root), platform: nil)
        if let entries = reader.mapping(root, file) {
            reader.checkKeys(entries, allowed: ["apiVersion", "platform", "environments"], in: file)
            if let apiVersion = entries.first(where: { $0.key == "apiVersion" }), apiVersion.value.scalar?.string != Runbook.apiVersion {
                reader.error(at: reader.location(of: apiVersion.value), "apiVersion is \(reader.describe(apiVersion.value)); expected \(Runbook.apiVersion)")
            }
            if let platform = entries.first(where: { $0.key == "platform" }),
               let text = reader.string(platform.value, "platform") {
                if text.isEmpty {
                    reader.error(at: reader.location(of: platform.value), "platform is empty; expected a built-in platform profile's name or a profile file's path")
                } else {
                    profile.platform = Located(text, at: reader.location(of: platform.value))
                }
            }
            if let environments = entries.first(where: { $0.key == "environments" }) {
                profile.location = environments.keyLocation
                profile.environments = (reader.mapping(environments.value, "environments") ?? []).compactMap { reader.environment($0) }
            }
        }
        if reader.diagnostics.hasErrors { throw RunbookError(reader.diagnostics) }
        return profile
    }
}

extension YAMLReader {
    fileprivate mutating func environment(_ entry: Entry) -> Profile.Environment? {
        let what = "environments.\(entry.key)"
        guard let fields = mapping(entry.value, what) else { return nil }
        checkKeys(fields, allowed: ["description", "params"], in: what)
        var environment = Profile.Environment(name: entry.key, description: nil, params: [:], location: entry.keyLocation)
        for field in fields {
            switch field.key {
            case "description": environment.description = string(field.value, "\(what).description")
            case "params":
                for param in mapping(field.value, "\(what).params") ?? [] {
                    guard let value = plainValue(param.value) else {
                        error(at: location(of: param.value), "\(what).params.\(param.key) is \(describe(param.value)); expected a single value")
                        continue
                    }
                    environment.params[param.key] = Located(value, at: location(of: param.value))
                }
            default: break
            }
        }
        return environment
    }
}
