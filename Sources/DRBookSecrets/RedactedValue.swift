import Foundation

/// How a secret is shown: for a URL its scheme and host and the length, otherwise the length
/// alone (`https://hooks.slack.com/… (79 characters)`). The path, query and user info of a URL
/// are where webhook and ping secrets live, so they are never shown.
public enum RedactedValue {
    public static func describe(_ value: String) -> String {
        let length = "\(value.count) character\(value.count == 1 ? "" : "s")"
        if let components = URLComponents(string: value), let scheme = components.scheme?.lowercased(),
           ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty, !host.contains("@") {
            let port = components.port.map { ":\($0)" } ?? ""
            return "\(scheme)://\(host)\(port)/… (\(length))"
        }
        return "(\(length))"
    }
}
