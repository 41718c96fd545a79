import Foundation

/// Values that mean "never set": the defaults a manifest substitutes when the secret is absent.
///
/// They come from the platform profile (`Placeholders(platform:)`, each alerting secret's
/// `placeholders`), or from the manifests themselves: `fromManifests` reads their
/// `${var:=default}` / `${var:-default}` defaults, so a platform that changes its placeholder
/// needs no new drbook. Any URL on the reserved `.invalid` top-level domain (RFC 6761) counts
/// as a placeholder too.
public struct Placeholders: Sendable, Equatable, Codable {
    /// Placeholder values by variable name (the key's last name, which Flux substitutes).
    public var byVariable: [String: [String]]
    /// Placeholders for any key.
    public var any: [String]

    public init(byVariable: [String: [String]] = [:], any: [String] = []) {
        self.byVariable = byVariable
        self.any = any
    }

    /// The defaults of every `${name:=default}` and `${name:-default}` in Flux-substituted manifests.
    public static func fromManifests(_ texts: [String]) -> Placeholders {
        var found = Placeholders()
        for text in texts {
            for match in text.matches(of: /\$\{([_A-Za-z][_A-Za-z0-9]*):[=-]([^}]*)\}/) {
                let name = String(match.1), value = String(match.2)
                guard !value.isEmpty, !(found.byVariable[name] ?? []).contains(value) else { continue }
                found.byVariable[name, default: []].append(value)
            }
        }
        return found
    }

    public func merging(_ other: Placeholders) -> Placeholders {
        var merged = self
        for (name, values) in other.byVariable {
            merged.byVariable[name, default: []].append(contentsOf: values.filter { !(merged.byVariable[name] ?? []).contains($0) })
        }
        merged.any.append(contentsOf: other.any.filter { !merged.any.contains($0) })
        return merged
    }

    /// The placeholders a value of key `name` must not equal.
    public func values(for name: String?) -> [String] {
        any + (name.flatMap { byVariable[$0] } ?? [])
    }

    /// Whether `value` is a placeholder for key `name`; says which kind, never the value.
    public func match(_ value: String, key name: String?) -> String? {
        if values(for: name).contains(value) { return "the placeholder default the manifests substitute when the secret is unset" }
        if let host = URLComponents(string: value)?.host?.lowercased(), host == "invalid" || host.hasSuffix(".invalid") {
            return "a URL on the reserved .invalid domain, which never resolves (a placeholder)"
        }
        return nil
    }
}
