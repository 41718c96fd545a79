import DRBookHTTP
import Foundation

/// The API server's `Status` object: what a failed request returns.
public struct KubeStatus: Codable, Sendable, Equatable {
    public var kind: String?
    public var apiVersion: String?
    public var status: String?
    public var message: String?
    public var reason: String?
    public var code: Int?
    public var details: Details?

    public struct Details: Codable, Sendable, Equatable {
        public var name: String?
        public var group: String?
        /// The resource (for NotFound, Forbidden, Conflict, AlreadyExists) or the kind (Invalid).
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int?
    }

    public struct Cause: Codable, Sendable, Equatable {
        public var reason: String?
        public var message: String?
        public var field: String?
    }

    public init(status: String = "Failure", message: String, reason: String, code: Int, details: Details? = nil) {
        kind = "Status"
        apiVersion = "v1"
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
        self.details = details
    }
}

/// A request the API server refused or failed: the HTTP code, the `Status` reason and
/// message, what was asked (verb and object), and what a person can do about it.
public struct KubeAPIError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case unauthorized = "Unauthorized", forbidden = "Forbidden", notFound = "NotFound"
        case alreadyExists = "AlreadyExists", conflict = "Conflict", gone = "Gone", expired = "Expired"
        case invalid = "Invalid", badRequest = "BadRequest", methodNotAllowed = "MethodNotAllowed"
        case unsupportedMediaType = "UnsupportedMediaType", tooManyRequests = "TooManyRequests"
        case internalError = "InternalError", serviceUnavailable = "ServiceUnavailable", timeout = "Timeout"
        case unknown = "Unknown"
    }

    public var code: Int
    public var reason: Reason
    /// The reason as the server wrote it (it may be one drbook does not know).
    public var serverReason: String?
    public var message: String
    /// What was asked: `get`, `list`, `patch`…
    public var verb: String
    /// The object or collection: `secrets "variables-cluster" in namespace "flux-system"`.
    public var target: String
    public var server: String
    public var causes: [KubeStatus.Cause]

    init(status: KubeStatus?, httpStatus: Int, body: Data, verb: String, target: String, server: String) {
        code = status?.code ?? httpStatus
        serverReason = status?.reason
        reason = status?.reason.flatMap(Reason.init(rawValue:)) ?? Self.reason(forCode: code)
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        message = status?.message ?? (text.isEmpty ? "HTTP \(httpStatus)" : text)
        causes = status?.details?.causes ?? []
        self.verb = verb
        self.target = target
        self.server = server
    }

    static func reason(forCode code: Int) -> Reason {
        switch code {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 405: return .methodNotAllowed
        case 409: return .conflict
        case 410: return .gone
        case 415: return .unsupportedMediaType
        case 422: return .invalid
        case 429: return .tooManyRequests
        case 503: return .serviceUnavailable
        case 504: return .timeout
        case 500...599: return .internalError
        default: return .unknown
        }
    }

    public var hint: String {
        switch reason {
        case .unauthorized:
            return "the credential was refused: check the kubeconfig's user (an expired token or certificate, or an exec plugin that needs a fresh login)"
        case .forbidden:
            return "the identity lacks the permission named above: use a context whose user may \(verb) it (the break-glass admin kubeconfig for writes), or ask for the RBAC rule"
        case .notFound:
            return "check the name and namespace; `kubectl get` with the same context shows what exists"
        case .alreadyExists:
            return "an object of that name exists already: delete it first or pick another name"
        case .conflict:
            return "the object changed since it was read: read it again and retry"
        case .gone, .expired:
            return "the list or watch position is too old: list again from the start"
        case .invalid:
            return causes.isEmpty ? "the object was rejected as invalid" : "fix the fields named above"
        case .unsupportedMediaType:
            return "the server does not accept this patch type for this resource (custom resources take merge patches only)"
        case .tooManyRequests, .serviceUnavailable, .internalError, .timeout:
            return "the API server is overloaded or failing: try again shortly"
        case .badRequest, .methodNotAllowed, .unknown:
            return "the request was not understood by this API server; it may be older than drbook expects"
        }
    }

    public var description: String {
        var text = "\(verb) \(target) on \(server) failed: \(code) \(serverReason ?? reason.rawValue): \(message)"
        for cause in causes {
            let field = cause.field.map { "\($0): " } ?? ""
            text += "\n  - \(field)\(cause.message ?? cause.reason ?? "invalid")"
        }
        return text + "\n  fix: \(hint)"
    }
}
