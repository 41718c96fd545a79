import DRBookDigest
import DRBookHTTP
import Foundation

/// healthchecks.io's Management API v3, hosted or self-hosted (reference alerting.md §8).
/// It only reads: drbook never pings, pauses or resumes a check, since that would fake
/// or silence the very signal it verifies.
public struct HealthchecksClient: Sendable {
    let transport: APITransport
    public let keyKind: HealthchecksKeyKind

    /// - Parameters:
    ///   - apiBase: `https://healthchecks.io/api/v3/` or `<SITE_ROOT>/api/v3/`.
    ///   - apiKey: a project key (secret: only ever sent as `X-Api-Key`).
    public init(apiBase: URL, apiKey: String, http: HTTPClient = .shared,
                timeouts: HTTPTimeouts = HTTPTimeouts(connect: .seconds(10), total: .seconds(30))) {
        transport = APITransport(system: "healthchecks", endpoint: .url(apiBase), http: http, headers: ["X-Api-Key": apiKey], timeouts: timeouts)
        keyKind = HealthchecksKeyKind(key: apiKey)
    }

    /// The key from an environment variable, with an error naming the variable when unset.
    public static func apiKey(fromEnvironment name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        guard let key = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else {
            throw AlertingAPIError(system: "healthchecks", request: "reading the API key", status: nil,
                                   message: "\(name) is not set",
                                   fix: "export \(name) with a project API key (Project Settings → API Access; read-only hcr_… suffices except for pings, which need hcw_…)")
        }
        return key
    }

    /// `GET checks/` with `?tag=` (all must match) and `?slug=` filters.
    public func checks(tags: [String] = [], slug: String? = nil) async throws -> [HealthchecksCheck] {
        struct Checks: Decodable { var checks: [HealthchecksCheck] }
        var query = tags.map { ("tag", $0) }
        if let slug { query.append(("slug", slug)) }
        return try await get(Checks.self, "checks/", query: query, subject: "the checks").checks
    }

    /// `GET checks/<uuid or unique_key>`.
    public func check(_ id: String) async throws -> HealthchecksCheck {
        try await get(HealthchecksCheck.self, "checks/\(HTTPQuery.encode(id))", subject: "check \(Self.shortID(id))")
    }

    /// The newest pings first (a read-write key only; the check's UUID, not its unique_key).
    public func pings(uuid: String) async throws -> [HealthchecksPing] {
        struct Pings: Decodable { var pings: [HealthchecksPing] }
        guard keyKind != .readOnly else {
            throw AlertingAPIError(system: "healthchecks", request: "GET checks/…/pings/", status: nil,
                                   message: "a read-only key (hcr_…) cannot list pings",
                                   fix: "use the project's read-write key (hcw_…), or judge the check by status and last_ping alone")
        }
        return try await get(Pings.self, "checks/\(HTTPQuery.encode(uuid))/pings/", subject: "the pings of check \(Self.shortID(uuid))").pings
    }

    /// Status changes, newest first; `seconds` limits them to the last N seconds.
    public func flips(_ id: String, seconds: Int? = nil) async throws -> [HealthchecksFlip] {
        struct Flips: Decodable { var flips: [HealthchecksFlip] }
        return try await get(Flips.self, "checks/\(HTTPQuery.encode(id))/flips/", query: seconds.map { [("seconds", String($0))] } ?? [],
                             subject: "the flips of check \(Self.shortID(id))").flips
    }

    /// The check a ping URL pings, found without requesting the URL: by UUID (or its
    /// unique_key with a read-only key), or by slug within the key's project.
    public func check(pingedBy url: HealthchecksPingURL) async throws -> HealthchecksCheck {
        switch url.target {
        case .uuid(let uuid):
            return try await check(keyKind == .readOnly ? HealthchecksPingURL.uniqueKey(uuid: uuid) : uuid)
        case .slug(let slug):
            let found = try await checks(slug: slug)
            guard found.count == 1, let check = found.first else {
                throw AlertingAPIError(system: "healthchecks", request: "GET checks/?slug=\(slug)", status: nil,
                                       message: found.isEmpty ? "no check with slug \"\(slug)\" in the key's project"
                                           : "\(found.count) checks have slug \"\(slug)\" (pings to it answer 409 ambiguous slug)",
                                       fix: found.isEmpty ? "create the check, or use the API key of the project that holds it"
                                           : "give each check a unique slug")
            }
            return check
        }
    }

    private func get<T: Decodable>(_ type: T.Type, _ path: String, query: [(String, String)] = [], subject: String) async throws -> T {
        let response = try await transport.send(.get, path, query: query)
        guard response.isSuccess else { throw failure(response, path: path, subject: subject) }
        return try transport.decode(type, response.body, .get, path)
    }

    /// Errors as healthchecks answers them (§8.3): 401 with `{"error": …}`, 403 and some
    /// 404s empty, other 404s an HTML page that is never quoted.
    private func failure(_ response: HTTPResponse, path: String, subject: String) -> AlertingAPIError {
        struct Message: Decodable { var error: String }
        let serverMessage = (try? JSONDecoder().decode(Message.self, from: response.body))?.error
        let request = "reading \(subject)"
        switch response.status {
        case 401:
            let fix = serverMessage == "wrong api key" && keyKind == .readOnly
                ? "this endpoint needs the read-write key (hcw_…); the read-only key was refused"
                : "check the API key: it must be a key of the project that holds the check (32 characters)"
            return AlertingAPIError(system: "healthchecks", request: request, status: 401, message: serverMessage ?? "unauthorized", fix: fix)
        case 403:
            return AlertingAPIError(system: "healthchecks", request: request, status: 403, message: "the check belongs to another project than the API key",
                                    fix: "use the API key of the project that holds the check")
        case 404:
            return AlertingAPIError(system: "healthchecks", request: request, status: 404, message: "no such check",
                                    fix: "the heartbeat URL points at a check that does not exist (deleted, or a typo): create it or correct the URL")
        default:
            return AlertingAPIError(system: "healthchecks", request: request, status: response.status,
                                    message: "HTTP \(response.status)" + (serverMessage.map { ": \($0)" } ?? ""),
                                    fix: APITransport.fix(forStatus: response.status, system: "healthchecks"))
        }
    }

    /// Enough of an id to tell checks apart in messages without spelling out a UUID that
    /// is also the secret part of the ping URL.
    static func shortID(_ id: String) -> String { "…" + id.suffix(4) }
}

/// `hcw_…` read-write, `hcr_…` read-only, or an older 32-character key of either kind.
public enum HealthchecksKeyKind: Sendable, Equatable {
    case readWrite, readOnly, legacy

    public init(key: String) {
        if key.hasPrefix("hcw_") { self = .readWrite } else if key.hasPrefix("hcr_") { self = .readOnly } else { self = .legacy }
    }
}

/// A ping URL taken apart, never requested (even HEAD counts as a ping).
public struct HealthchecksPingURL: Sendable, Equatable, CustomStringConvertible {
    public enum Target: Sendable, Equatable {
        case uuid(String)
        /// `<ping-key>/<slug>`: the ping key is not exposed by the API, only the slug is checked.
        case slug(String)
    }
    public var target: Target
    /// Everything before the UUID or ping key, e.g. `https://hc-ping.com/`.
    public var endpoint: String

    /// Nil when the URL has neither a UUID nor a `<key>/<slug>` after its endpoint.
    public init?(_ text: String) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = url.host else { return nil }
        var segments = url.path.split(separator: "/").map(String.init)
        // `/start`, `/fail`, `/log` and exit codes choose the kind of ping, not the check.
        if let last = segments.last, segments.count > 1,
           ["start", "fail", "log"].contains(last) || (last.allSatisfy(\.isNumber) && last.count <= 3) {
            segments.removeLast()
        }
        let port = url.port.map { ":\($0)" } ?? ""
        if let index = segments.lastIndex(where: Self.isUUID), index == segments.count - 1 {
            target = .uuid(segments[index].lowercased())
            endpoint = "\(scheme)://\(host)\(port)/" + segments[..<index].map { $0 + "/" }.joined()
        } else if segments.count >= 2 {
            target = .slug(segments[segments.count - 1])
            endpoint = "\(scheme)://\(host)\(port)/" + segments[..<(segments.count - 2)].map { $0 + "/" }.joined()
        } else {
            return nil
        }
    }

    /// The endpoint and a hint of the check, never the UUID or ping key whole.
    public var description: String {
        switch target {
        case .uuid(let uuid): return "\(endpoint)…\(uuid.suffix(4))"
        case .slug(let slug): return "\(endpoint)<ping key>/\(slug)"
        }
    }

    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    /// healthchecks' `unique_key`: SHA-1 of the first 16 hex digits of the UUID without
    /// dashes, which a read-only key can use in place of the UUID.
    public static func uniqueKey(uuid: String) -> String {
        LibcryptoDigest.sha1.hex(of: Data(uuid.lowercased().replacingOccurrences(of: "-", with: "").prefix(16).utf8))
    }
}

public struct HealthchecksCheck: Decodable, Sendable {
    public var name: String
    public var slug: String?
    public var tags: String?
    /// `new`, `up`, `grace`, `down`, `paused` (computed live by the server).
    public var status: String
    public var started: Bool?
    /// Seconds.
    public var grace: Int
    /// Simple checks: the expected period in seconds. Cron checks have `schedule` instead.
    public var timeout: Int?
    public var schedule: String?
    public var tz: String?
    public var nPings: Int
    public var lastPing: Date?
    public var nextPing: Date?
    public var manualResume: Bool?
    /// `""` or `"POST"` (then GET and HEAD pings are ignored).
    public var methods: String?
    /// Read-write keys only.
    public var uuid: String?
    /// Read-only keys only.
    public var uniqueKey: String?

    enum CodingKeys: String, CodingKey {
        case name, slug, tags, status, started, grace, timeout, schedule, tz, methods, uuid
        case nPings = "n_pings", lastPing = "last_ping", nextPing = "next_ping", manualResume = "manual_resume", uniqueKey = "unique_key"
    }

    /// The time after which the server calls the check down: last ping + period + grace
    /// (simple checks; nil for cron checks, whose schedule decides).
    public var downAfter: Date? {
        guard let lastPing, let timeout else { return nil }
        return lastPing.addingTimeInterval(TimeInterval(timeout + grace))
    }
}

public struct HealthchecksPing: Decodable, Sendable {
    /// `success`, `start`, `fail`, `log` or `ign`.
    public var type: String
    public var date: Date
    public var n: Int?
    public var method: String?
    /// The client's User-Agent (Alertmanager sends `Alertmanager/<version>`).
    public var ua: String?
}

public struct HealthchecksFlip: Decodable, Sendable {
    public var timestamp: Date
    /// 1 only when the new status is up; pauses and resumes also show 0.
    public var up: Int
}
