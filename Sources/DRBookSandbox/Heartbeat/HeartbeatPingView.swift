import FlyingFox
import Foundation

/// healthchecks' `ping` and `ping_by_slug` views: record the ping and answer `OK`.
struct HeartbeatPingView {
    let store: HeartbeatStore
    /// healthchecks' default `PING_BODY_LIMIT`, announced in every successful answer.
    static let bodyLimit = 100_000

    func respond(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        let route = HeartbeatPingRoute(path: request.path)
        if let rid = request.query.first(where: { $0.name == "rid" })?.value, !HeartbeatPingRoute.isCanonicalUUID(rid.lowercased()) {
            return Self.text(400, "invalid uuid format")
        }
        let rid = request.query.first { $0.name == "rid" }?.value.lowercased()
        let lookup: HeartbeatStore.Lookup
        let kind: HeartbeatPingKind
        let code: Int?
        switch route {
        case .notFound: return Self.text(404, "not found")
        case .invalid(let message): return Self.text(400, message)
        case .uuid(let uuid, let k, let c):
            lookup = await store.lookup(uuid: uuid); (kind, code) = (k, c)
        case .slug(let key, let slug, let k, let c):
            lookup = await store.lookup(pingKey: key, slug: slug); (kind, code) = (k, c)
        }
        switch lookup {
        case .notFound: return Self.text(404, "not found")
        case .ambiguous: return Self.text(409, "ambiguous slug")
        case .found(let index):
            // Read the body only to size it, as the ping log keeps its size and not here its bytes.
            let body = try await request.bodyData
            await store.ping(index, kind: kind, method: request.method.rawValue, bodySize: body.count, exitStatus: code,
                             userAgent: request.headers[HTTPHeader("User-Agent")] ?? "", rid: rid)
            var response = Self.text(200, "OK")
            response.headers[HTTPHeader("Ping-Body-Limit")] = String(Self.bodyLimit)
            return response
        }
    }

    static func text(_ status: Int, _ text: String) -> FlyingFox.HTTPResponse {
        FlyingFox.HTTPResponse(statusCode: HTTPStatusCode(status, phrase: APIHandler.phrase(status)),
                               headers: [.contentType: "text/plain; charset=utf-8",
                                         HTTPHeader("Access-Control-Allow-Origin"): "*",
                                         HTTPHeader("Cache-Control"): "max-age=0, no-cache, no-store, must-revalidate, private"],
                               body: Data(text.utf8))
    }
}
