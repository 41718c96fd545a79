import Foundation

/// A `/ping/...` path parsed as healthchecks' URL patterns do (reference §9).
enum HeartbeatPingRoute: Equatable {
    case uuid(String, HeartbeatPingKind, exitStatus: Int?)
    case slug(pingKey: String, slug: String, HeartbeatPingKind, exitStatus: Int?)
    /// Matched a pattern but is refused: 400 with this text.
    case invalid(String)
    case notFound

    init(path: String) {
        guard path.hasPrefix("/ping/") else { self = .notFound; return }
        var segments = path.dropFirst("/ping/".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // `<uuid>/` is accepted like `<uuid>`.
        if segments.count == 2, segments[1].isEmpty { segments.removeLast() }
        guard !segments.isEmpty, !segments.contains(where: \.isEmpty) else { self = .notFound; return }
        if Self.isCanonicalUUID(segments[0]), segments.count <= 2 {
            if segments.count == 1 { self = .uuid(segments[0], .success, exitStatus: nil); return }
            if let (kind, code) = Self.suffix(segments[1]) { self = .uuid(segments[0], kind, exitStatus: code); return }
            if Self.isExitCode(segments[1]) { self = .invalid("invalid url format"); return }
        }
        guard segments.count == 2 || segments.count == 3, Self.isSlugShaped(segments[1]) else { self = .notFound; return }
        var kind = HeartbeatPingKind.success
        var code: Int?
        if segments.count == 3 {
            guard let parsed = Self.suffix(segments[2]) else {
                self = Self.isExitCode(segments[2]) ? .invalid("invalid url format") : .notFound
                return
            }
            (kind, code) = parsed
        }
        // healthchecks routes any Django slug, then refuses upper case.
        guard segments[1] == segments[1].lowercased() else { self = .invalid("invalid url format"); return }
        self = .slug(pingKey: segments[0], slug: segments[1], kind, exitStatus: code)
    }

    /// `start`, `fail`, `log`, or an exit status 0–255 (0 success, else fail).
    private static func suffix(_ text: String) -> (HeartbeatPingKind, Int?)? {
        switch text {
        case "start": return (.start, nil)
        case "fail": return (.fail, nil)
        case "log": return (.log, nil)
        default:
            guard isExitCode(text), let code = Int(text), code <= 255 else { return nil }
            return (code == 0 ? .success : .fail, code)
        }
    }

    private static func isExitCode(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    private static func isSlugShaped(_ text: String) -> Bool {
        text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// Django's `<uuid:>` converter: lower-case hex with dashes, 8-4-4-4-12.
    static func isCanonicalUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12]
            && groups.allSatisfy { $0.allSatisfy { "0123456789abcdef".contains($0) } }
    }
}
