import Foundation

/// How much of a URL is secret. Credentials in the user-info part are always dropped.
public enum URLSecrecy: Sendable, Equatable {
    /// Query values are hidden, names kept (`?prefix=…`); the path is shown.
    case queryValues
    /// The path beyond its first segment is hidden too: webhook and ping URLs carry
    /// their secret in the path (`/services/…`, `/ping/…`).
    case pathAndQuery
    /// Only scheme, host and port are shown.
    case everythingButHost
}

public enum RedactedURL {
    public static let mask = "…"

    public static func string(_ url: URL, secrecy: URLSecrecy = .queryValues) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "<unparseable URL>" }
        components.user = nil
        components.password = nil
        components.fragment = nil
        var path = components.percentEncodedPath
        var query = components.percentEncodedQuery
        switch secrecy {
        case .queryValues:
            break
        case .pathAndQuery:
            let segments = path.split(separator: "/", omittingEmptySubsequences: true)
            if segments.count > 1 { path = "/\(segments[0])/\(mask)" } else if segments.count == 1 { path = "/\(mask)" }
        case .everythingButHost:
            path = path.isEmpty || path == "/" ? path : "/\(mask)"
            query = query == nil ? nil : mask
        }
        if let raw = query, secrecy != .everythingButHost {
            query = raw.split(separator: "&", omittingEmptySubsequences: false).map { pair in
                let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                return pair.contains("=") ? "\(name)=\(mask)" : name
            }.joined(separator: "&")
        }
        var result = "\(components.scheme ?? "http")://\(components.percentEncodedHost ?? "")"
        if let port = components.port { result += ":\(port)" }
        result += path
        if let query { result += "?\(query)" }
        return result
    }
}
