import FlyingFox
import Foundation

/// Routes the monitor's requests: `/ping/...` to the ping view, `/api/...` to the API.
struct HeartbeatHandler: HTTPHandler {
    let ping: HeartbeatPingView
    let api: HeartbeatAPIView

    func handleRequest(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        if request.path.hasPrefix("/ping/") { return try await ping.respond(request) }
        if request.path.hasPrefix("/api/") { return try await api.respond(request) }
        return HeartbeatAPIView.djangoNotFound
    }
}
