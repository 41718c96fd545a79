/// The final params of a run, each with where its value came from.
public struct ResolvedParams: Sendable, Equatable {
    public var values: [String: Value]
    public var sources: [String: ParamSource]

    public subscript(name: String) -> Value? { values[name] }
}

public enum ParamSource: Sendable, Equatable {
    case flag
    case profile(environment: String)
    case defaultValue
    /// An optional param nobody set; its value is null.
    case unset
}

/// Works out each param's value: `--param` beats the profile's environment, which beats the runbook's default.
///
/// Every value is converted to the param's declared type here, so the run
/// starts only with params that fit, and every problem is reported at once.
public enum ParamResolver {
    /// - Parameters:
    ///   - flags: the `--param` arguments as typed, `name=value`.
    ///   - environment: the `--env` name, if given; it needs a profile that defines it.
    ///   - platform: what `${{ platform.… }}` defaults read: the platform profile as data.
    public static func resolve(
        _ runbook: Runbook,
        flags: [String] = [],
        profile: Profile? = nil,
        environment: String? = nil,
        platform: Value = .map([:])
    ) throws(RunbookError) -> ResolvedParams {
        var diagnostics: [Diagnostic] = []
        let flagValues = parseFlags(flags, for: runbook, into: &diagnostics)
        let profileValues = selectEnvironment(environment, in: profile, into: &diagnostics)?.params ?? [:]
        let profileFile = profile?.file ?? Profile.fileName

        var resolved = ResolvedParams(values: [:], sources: [:])
        for param in runbook.params {
            if flagValues[param.name] == malformedFlag {
                continue
            } else if let raw = flagValues[param.name] {
                switch param.convert(.string(raw)) {
                case let .success(value): resolved.set(param.name, value, from: .flag)
                case let .failure(failure):
                    diagnostics.append(.error(at: nil, "--param \(param.name)=\(raw): \(param.name) is \(param.kind.valueType.withArticle) param, found \(failure.message)"))
                }
            } else if let raw = profileValues[param.name], let environment {
                switch param.convert(raw.value) {
                case let .success(value): resolved.set(param.name, value, from: .profile(environment: environment))
                case let .failure(failure):
                    diagnostics.append(.error(at: raw.location, "environments.\(environment).params.\(param.name) is \(failure.message) (\(param.name) is \(param.kind.valueType.withArticle) param of runbook \(runbook.metadata.name))"))
                }
            } else if let value = param.defaultValue {
                resolved.set(param.name, value.value, from: .defaultValue)
            } else if let path = param.platformDefault {
                switch platformValue(path.value, in: platform).flatMap({ param.convert($0).mapError { PlatformLookupFailure(message: $0.message) } }) {
                case let .success(value): resolved.set(param.name, value, from: .defaultValue)
                case let .failure(failure):
                    diagnostics.append(.error(at: path.location, "the default of param '\(param.name)', ${{ platform.\(path.value.joined(separator: ".")) }}: \(failure.message)",
                                              fix: "give it with --param \(param.name)=VALUE, or choose a platform profile that has it (drbook.yaml's platform:)"))
                }
            } else if !param.required {
                resolved.set(param.name, .null, from: .unset)
            } else {
                let envName = environment ?? "<env>"
                diagnostics.append(.error(
                    at: param.location,
                    "param '\(param.name)' has no value and no default",
                    fix: "set it with --param \(param.name)=VALUE or in \(profileFile) under environments.\(envName).params.\(param.name)"))
            }
        }
        if diagnostics.hasErrors { throw RunbookError(diagnostics) }
        return resolved
    }

    /// Stands for a `--param name` given without `=VALUE`, already reported.
    private static let malformedFlag = "\u{0}--param without a value"

    public struct PlatformLookupFailure: Error, Sendable, Equatable {
        public var message: String
    }

    /// The value at `path` below the platform's data, or what is missing there.
    public static func platformValue(_ path: [String], in platform: Value) -> Result<Value, PlatformLookupFailure> {
        var current = platform
        for (depth, key) in path.enumerated() {
            guard case let .map(entries) = current else {
                return .failure(PlatformLookupFailure(message: "platform.\(path[..<depth].joined(separator: ".")) holds no keys"))
            }
            guard let next = entries[key] else {
                let here = (["platform"] + path[..<depth]).joined(separator: ".")
                let known = entries.keys.sorted()
                return .failure(PlatformLookupFailure(message: "the platform profile has no '\(key)' under \(here)\(NameSuggestion.hint(for: key, among: known)); it has: \(known.joined(separator: ", "))"))
            }
            current = next
        }
        return .success(current)
    }

    /// The params environment `name` of the profile sets, selected with the same rules and
    /// errors as a run's `--env`, for commands that take settings from drbook.yaml without a
    /// runbook (`drbook backups --env`), so both read the same keys.
    public static func environmentParams(_ name: String, in profile: Profile?) throws(RunbookError) -> [String: Located<Value>] {
        var diagnostics: [Diagnostic] = []
        let environment = selectEnvironment(name, in: profile, into: &diagnostics)
        if diagnostics.hasErrors { throw RunbookError(diagnostics) }
        return environment?.params ?? [:]
    }

    /// `name=value` pairs; the last one wins when a name is repeated, as with most CLIs.
    private static func parseFlags(_ flags: [String], for runbook: Runbook, into diagnostics: inout [Diagnostic]) -> [String: String] {
        var values: [String: String] = [:]
        for flag in flags {
            guard let equals = flag.firstIndex(of: "="), equals != flag.startIndex else {
                if runbook.param(named: flag) != nil {
                    diagnostics.append(.error(at: nil, "--param \(flag) has no value; expected --param \(flag)=VALUE"))
                    // Told here; not again as "has no value and no default" below.
                    values[flag] = values[flag] ?? malformedFlag
                } else {
                    diagnostics.append(.error(at: nil, "--param \(flag) has no name=value form; expected --param name=VALUE"))
                }
                continue
            }
            let name = String(flag[..<equals])
            guard runbook.param(named: name) != nil else {
                let declared = runbook.params.map(\.name)
                let expected = declared.isEmpty ? "it declares no params" : "expected one of: \(declared.joined(separator: ", "))"
                diagnostics.append(.error(at: nil, "--param \(name): runbook \(runbook.metadata.name) has no param '\(name)'\(NameSuggestion.hint(for: name, among: declared)); \(expected)"))
                continue
            }
            values[name] = String(flag[flag.index(after: equals)...])
        }
        return values
    }

    private static func selectEnvironment(_ name: String?, in profile: Profile?, into diagnostics: inout [Diagnostic]) -> Profile.Environment? {
        guard let name else { return nil }
        guard let profile else {
            diagnostics.append(.error(at: nil, "--env \(name) was given but there is no \(Profile.fileName)", fix: "create \(Profile.fileName) with environments.\(name).params, or drop --env"))
            return nil
        }
        guard let environment = profile.environment(named: name) else {
            let known = profile.environments.map(\.name)
            let listed = known.isEmpty ? "it defines no environments" : "known environments: \(known.joined(separator: ", "))"
            diagnostics.append(.error(at: profile.location, "\(profile.file) has no environment '\(name)'\(NameSuggestion.hint(for: name, among: known)); \(listed)"))
            return nil
        }
        return environment
    }
}

extension ResolvedParams {
    fileprivate mutating func set(_ name: String, _ value: Value, from source: ParamSource) {
        values[name] = value
        sources[name] = source
    }
}
