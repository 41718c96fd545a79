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
            // Keep a first segment only when it is a plain word ("services", "ping"): a
            // segment with digits or punctuation may itself be a token ("/bot123:AB/…").
            let segments = path.split(separator: "/", omittingEmptySubsequences: true)
            if let first = segments.first, segments.count > 1, first.count <= 16, first.allSatisfy({ $0.isASCII && $0.isLetter }) {
                path = "/\(first)/\(mask)"
            } else if !segments.isEmpty {
                path = "/\(mask)"
            }
        case .everythingButHost:
            path = path.isEmpty || path == "/" ? path : "/\(mask)"
            query = query == nil ? nil : mask
        }
        if let raw = query, secrecy != .everythingButHost {
            // A pair without '=' (a bare token) or without a name is masked whole.
            query = raw.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { return mask }
                return String(pair[..<equals]) + "=" + mask
            }.joined(separator: "&")
        }
        var result = "\(components.scheme ?? "http")://\(components.percentEncodedHost ?? "")"
        if let port = components.port { result += ":\(port)" }
        result += path
        if let query { result += "?\(query)" }
        return result
    }
}
