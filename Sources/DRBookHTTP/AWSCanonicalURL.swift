import Foundation

/// Rewrites a URL into the form SigV4 servers canonicalise to, because Debian's
/// libcurl 7.88 signs the path and query exactly as written: it neither encodes the
/// path (fixed in curl 8.9) nor sorts and re-encodes the query (fixed in 8.3).
/// The rewritten URL names the same resource, so sending it is always safe.
public enum AWSCanonicalURL {
    /// RFC 3986 unreserved characters; everything else is `%XX` with uppercase hex.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// `a=1&b=` with keys sorted (then values), each part encoded; `key=` for empty values.
    public static func query(_ items: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = items.map {
            (encode($0.name, keepSlash: false), encode($0.value, keepSlash: false))
        }
        let sorted = encoded.sorted { (a, b) -> Bool in
            a.name == b.name ? a.value < b.value : a.name < b.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    public static func canonicalize(_ url: URL) -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
        let path = components.percentEncodedPath
        components.percentEncodedPath = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { encode(decode(String($0)), keepSlash: false) }
            .joined(separator: "/")
        if let raw = components.percentEncodedQuery {
            let items = raw.split(separator: "&", omittingEmptySubsequences: true).map { pair -> (name: String, value: String) in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (decode(String(parts[0])), parts.count > 1 ? decode(String(parts[1])) : "")
            }
            components.percentEncodedQuery = items.isEmpty ? nil : query(items)
        }
        return components.url ?? url
    }

    /// Percent-decoding that leaves `+` alone (it is a literal plus in S3 keys).
    static func decode(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }
}
