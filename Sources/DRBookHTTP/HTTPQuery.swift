import Foundation

/// A query string with every value percent-encoded except RFC 3986's unreserved
/// characters: Go servers (the Kubernetes API, Alertmanager, Prometheus) read `+` as a
/// space and split on `&` and `=`, so label selectors, matchers and regexes must be
/// escaped in full.
public enum HTTPQuery {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// `name=value&…` (no leading `?`), in the order given.
    public static func string(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}
