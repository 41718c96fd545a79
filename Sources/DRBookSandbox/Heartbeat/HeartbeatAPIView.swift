import FlyingFox
import Foundation

/// The Management API subset drbook reads (reference §8): checks, one check, its pings
/// and its flips, with healthchecks' key rules and error bodies (§8.2, §8.3).
struct HeartbeatAPIView {
    let store: HeartbeatStore
    let keys: HeartbeatKeys
    let baseURL: String

    private enum Access { case readWrite, readOnly }

    func respond(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        // FlyingFox hands over the path without its trailing slash, so `checks/` arrives as
        // `checks`; the routes are matched on segments with any trailing slash dropped.
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "api", let version = ["v1": 1, "v2": 2, "v3": 3][parts[1]] else { return Self.djangoNotFound }
        let rest = Array(parts.dropFirst(2))
        if rest == ["status"] { return HeartbeatPingView.text(200, "OK") }
        // The CORS wrapper: OPTIONS is 204, other methods than the simulated GETs are 405.
        if request.method == .OPTIONS { return Self.empty(204) }
        guard request.method == .GET || request.method == .HEAD else { return Self.empty(405) }

        switch rest.count {
        case 1 where rest == ["checks"]:
            guard case .success(let access) = authorize(request, readOnlyAllowed: true) else { return authError(request, true) }
            let tags = request.query.filter { $0.name == "tag" }.map(\.value)
            let slug = request.query.first { $0.name == "slug" }?.value
            let now = await store.now
            let checks = await store.all().filter { state in
                let checkTags = Set(state.config.tags.split(separator: " ").map(String.init))
                return tags.allSatisfy(checkTags.contains) && (slug == nil || state.config.effectiveSlug == slug)
            }
            return try Self.json(HeartbeatChecksJSON(checks: checks.map { object($0, access: access, version: version, now: now) }))
        case 2 where rest[0] == "checks":
            guard HeartbeatPingRoute.isCanonicalUUID(rest[1]) || Self.isSHA1(rest[1]) else { return Self.djangoNotFound }
            guard case .success(let access) = authorize(request, readOnlyAllowed: true) else { return authError(request, true) }
            guard let found = await find(rest[1]) else { return notFound(rest[1]) }
            return try Self.json(object(found, access: access, version: version, now: await store.now))
        case 3 where rest[0] == "checks" && rest[2] == "pings":
            guard HeartbeatPingRoute.isCanonicalUUID(rest[1]) else { return Self.djangoNotFound }
            guard case .success = authorize(request, readOnlyAllowed: false) else { return authError(request, false) }
            guard let found = await store.check(uuid: rest[1]) else { return Self.djangoNotFound }
            let pings = found.pings.suffix(100).reversed().map { ping in
                HeartbeatPingJSON(type: ping.kind.rawValue, date: HeartbeatTime.format(ping.date, microseconds: true), n: ping.n,
                                  scheme: "http", remoteAddr: "127.0.0.1", method: ping.method, ua: ping.userAgent, rid: ping.rid,
                                  duration: ping.duration, bodyURL: nil)
            }
            return try Self.json(HeartbeatPingsJSON(pings: pings))
        case 3 where rest[0] == "checks" && rest[2] == "flips":
            guard HeartbeatPingRoute.isCanonicalUUID(rest[1]) || Self.isSHA1(rest[1]) else { return Self.djangoNotFound }
            guard case .success = authorize(request, readOnlyAllowed: true) else { return authError(request, true) }
            guard let found = await find(rest[1]) else { return notFound(rest[1]) }
            guard let window = flipWindow(request, now: await store.now) else { return Self.empty(400) }
            let flips = found.flips.filter { window.contains($0.timestamp) }.reversed()
                .map { HeartbeatFlipJSON(timestamp: HeartbeatTime.format($0.timestamp), up: $0.up ? 1 : 0) }
            return try Self.json(HeartbeatFlipsJSON(flips: Array(flips)))
        default:
            return Self.djangoNotFound
        }
    }

    // MARK: authentication (healthchecks' `authorize` and `authorize_read`)

    private enum AuthFailure: Error { case missing, wrong }

    private func authorize(_ request: FlyingFox.HTTPRequest, readOnlyAllowed: Bool) -> Result<Access, AuthFailure> {
        // Read endpoints look only at the header; so do the read-write GETs simulated here.
        guard let key = request.headers[HTTPHeader("X-Api-Key")], key.count == 32 else { return .failure(.missing) }
        if key == keys.readWrite { return .success(.readWrite) }
        if readOnlyAllowed, key == keys.readOnly { return .success(.readOnly) }
        return .failure(.wrong)
    }

    private func authError(_ request: FlyingFox.HTTPRequest, _ readOnlyAllowed: Bool) -> FlyingFox.HTTPResponse {
        guard case .failure(let failure) = authorize(request, readOnlyAllowed: readOnlyAllowed) else { return Self.empty(500) }
        let message = failure == .missing ? "missing api key" : "wrong api key"
        return (try? Self.json(HeartbeatErrorJSON(error: message), status: 401)) ?? Self.empty(401)
    }

    // MARK: lookups

    private func find(_ code: String) async -> HeartbeatCheckState? {
        HeartbeatPingRoute.isCanonicalUUID(code) ? await store.check(uuid: code) : await store.check(uniqueKey: code)
    }

    /// A missing UUID is Django's HTML 404; a missing unique_key an empty 404; neither is JSON.
    private func notFound(_ code: String) -> FlyingFox.HTTPResponse {
        HeartbeatPingRoute.isCanonicalUUID(code) || !Self.isSHA1(code) ? Self.djangoNotFound : Self.empty(404)
    }

    private static func isSHA1(_ text: String) -> Bool {
        text.count == 40 && text.allSatisfy { "0123456789abcdef".contains($0) }
    }

    /// `seconds`, `start`, `end` as healthchecks' FlipsFiltersForm validates them; nil is a 400.
    private func flipWindow(_ request: FlyingFox.HTTPRequest, now: Date) -> Range<Date>? {
        func value(_ name: String, max: Int) -> Int?? {
            guard let text = request.query.first(where: { $0.name == name })?.value else { return .some(nil) }
            guard let number = Int(text), number >= 0, number <= max else { return nil }
            return .some(number)
        }
        guard let seconds = value("seconds", max: 31_536_000), let start = value("start", max: 10_000_000_000),
              let end = value("end", max: 10_000_000_000) else { return nil }
        var lower = Date.distantPast
        var upper = Date.distantFuture
        if let seconds { lower = now.addingTimeInterval(-TimeInterval(seconds)) }
        if let start { lower = max(lower, Date(timeIntervalSince1970: TimeInterval(start))) }
        if let end { upper = Date(timeIntervalSince1970: TimeInterval(end)) }
        return lower < upper ? lower..<upper : lower..<lower
    }

    // MARK: the check object (Check.to_dict)

    private func object(_ state: HeartbeatCheckState, access: Access, version: Int, now: Date) -> HeartbeatCheckJSON {
        let uniqueKey = HeartbeatUniqueKey.of(uuid: state.uuid)
        let update = "\(baseURL)/api/v\(version)/checks/\(state.uuid)"
        let readWrite = access == .readWrite
        return HeartbeatCheckJSON(
            name: state.config.name, slug: state.config.effectiveSlug, tags: state.config.tags, desc: state.config.desc,
            grace: state.config.grace, nPings: state.pings.count, status: state.status(at: now, withStarted: version == 1),
            started: state.lastStart != nil, lastPing: state.lastPing.map { HeartbeatTime.format($0) },
            nextPing: state.graceStart().map { HeartbeatTime.format($0) }, manualResume: state.config.manualResume,
            methods: state.config.methods,
            // The sandbox has no badge keys; the unique key stands in for one.
            badgeURL: "\(baseURL)/b/2/\(uniqueKey).svg", lastDuration: state.lastDuration, timeout: state.config.timeout,
            uuid: readWrite ? state.uuid : nil, pingURL: readWrite ? "\(baseURL)/ping/\(state.uuid)" : nil,
            updateURL: readWrite ? update : nil, pauseURL: readWrite ? update + "/pause" : nil,
            resumeURL: readWrite ? update + "/resume" : nil, channels: readWrite ? "" : nil,
            uniqueKey: readWrite ? nil : uniqueKey)
    }

    // MARK: responses

    static func json(_ value: some Encodable, status: Int = 200) throws -> FlyingFox.HTTPResponse {
        FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(status, phrase: APIHandler.phrase(status)),
                               headers: [.contentType: "application/json", HTTPHeader("Access-Control-Allow-Origin"): "*"],
                               body: try Self.encoder.encode(value))
    }

    /// Django's JSON does not escape `/`, and URLs in the check object should read as URLs.
    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    static func empty(_ status: Int) -> FlyingFox.HTTPResponse {
        FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(status, phrase: APIHandler.phrase(status)), headers: [:], body: Data())
    }

    /// Django's default (DEBUG off) 404 page, which healthchecks returns for unknown UUIDs and paths.
    static let djangoNotFound = FlyingFox.HTTPResponse(
        statusCode: HTTPStatusCode(404, phrase: "Not Found"), headers: [.contentType: "text/html; charset=utf-8"],
        body: Data("<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n".utf8))
}
