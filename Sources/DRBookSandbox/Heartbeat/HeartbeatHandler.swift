import FlyingFox
import Foundation

/// Routes the monitor's requests: `/ping/...` to the ping view, `/api/...` to the API.
struct HeartbeatHandler: HTTPHandler {
    let ping: HeartbeatPingView
    let api: HeartbeatAPIView

    func handleRequest(_ request: FlyingFox.HTTPRequest) async throws -> FlyingFox.HTTPResponse {
        let response: FlyingFox.HTTPResponse
        if request.path.hasPrefix("/ping/") {
            response = try await ping.respond(request)
        } else if request.path.hasPrefix("/api/") {
            response = try await api.respond(request)
        } else {
            response = HeartbeatAPIView.djangoNotFound
        }
        // FlyingFox writes a body even for HEAD, which would corrupt a kept-alive connection.
        guard request.method == .HEAD else { return response }
        return FlyingFox.HTTPResponse(statusCode: response.statusCode, headers: response.headers, body: Data())
    }
}
