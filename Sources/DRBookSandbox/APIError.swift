import DRBookKube
import Foundation

/// A failure as the Kubernetes API server reports it: a `Status` object with a reason,
/// an HTTP code and a message worded as the real server words it
/// (apimachinery `pkg/api/errors/errors.go`), so clients and kubectl print what they
/// would print against a real cluster.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: Reason
    public var message: String
    public var details: Details?

    public enum Reason: String, Sendable {
        case unauthorized = "Unauthorized"
        case forbidden = "Forbidden"
        case notFound = "NotFound"
        case alreadyExists = "AlreadyExists"
        case conflict = "Conflict"
        case expired = "Expired"
        case invalid = "Invalid"
        case badRequest = "BadRequest"
        case methodNotAllowed = "MethodNotAllowed"
        case unsupportedMediaType = "UnsupportedMediaType"
        case internalError = "InternalError"
        case serviceUnavailable = "ServiceUnavailable"

        public var code: Int {
            switch self {
            case .unauthorized: 401
            case .forbidden: 403
            case .notFound: 404
            case .alreadyExists, .conflict: 409
            case .expired: 410
            case .invalid: 422
            case .badRequest: 400
            case .methodNotAllowed: 405
            case .unsupportedMediaType: 415
            case .internalError: 500
            case .serviceUnavailable: 503
            }
        }
    }

    public struct Details: Sendable, Equatable {
        public var name: String?
        public var group: String?
        /// The resource (`secrets`) for NotFound, Forbidden, Conflict and AlreadyExists; the Kind for Invalid.
        public var kind: String?
        public var causes: [Cause] = []

        public init(name: String? = nil, group: String? = nil, kind: String? = nil, causes: [Cause] = []) {
            self.name = name
            self.group = group
            self.kind = kind
            self.causes = causes
        }
    }

    public struct Cause: Sendable, Equatable {
        public var reason: String
        public var message: String
        public var field: String
        public init(reason: String, message: String, field: String) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    public init(_ reason: Reason, _ message: String, details: Details? = nil) {
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var code: Int { reason.code }
    public var description: String { "\(code) \(reason.rawValue): \(message)" }

    /// The `Status` object the API server sends.
    public var status: JSONValue {
        var status: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason.rawValue), "code": .int(code),
        ]
        if let details {
            var fields: [String: JSONValue] = [:]
            if let name = details.name, !name.isEmpty { fields["name"] = .string(name) }
            if let group = details.group, !group.isEmpty { fields["group"] = .string(group) }
            if let kind = details.kind { fields["kind"] = .string(kind) }
            if !details.causes.isEmpty {
                fields["causes"] = .array(details.causes.map {
                    ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)]
                })
            }
            status["details"] = .object(fields)
        }
        return status
    }
}

// The constructors mirror apimachinery's `NewNotFound`, `NewAlreadyExists`, ... so the
// wording stays the server's.
extension APIError {
    public static func notFound(_ resource: GroupResource, _ name: String) -> APIError {
        APIError(.notFound, "\(resource) \"\(name)\" not found", details: Details(name: name, group: resource.group, kind: resource.resource))
    }

    public static func alreadyExists(_ resource: GroupResource, _ name: String) -> APIError {
        APIError(.alreadyExists, "\(resource) \"\(name)\" already exists",
                 details: Details(name: name, group: resource.group, kind: resource.resource))
    }

    public static func conflict(_ resource: GroupResource, _ name: String, _ why: String) -> APIError {
        APIError(.conflict, "Operation cannot be fulfilled on \(resource) \"\(name)\": \(why)",
                 details: Details(name: name, group: resource.group, kind: resource.resource))
    }

    /// The optimistic-concurrency conflict: the body carried a resourceVersion that is not the current one.
    public static func staleResourceVersion(_ resource: GroupResource, _ name: String) -> APIError {
        conflict(resource, name, "the object has been modified; please apply your changes to the latest version and try again")
    }

    public static func forbidden(_ resource: GroupResource, _ name: String, _ why: String) -> APIError {
        let subject = name.isEmpty ? "\(resource)" : "\(resource) \"\(name)\""
        return APIError(.forbidden, "\(subject) is forbidden: \(why)",
                        details: Details(name: name, group: resource.group, kind: resource.resource))
    }

    /// `Backup.velero.io "x" is invalid: [field: reason, ...]`.
    public static func invalid(kind: String, group: String, name: String, causes: [Cause]) -> APIError {
        let qualified = group.isEmpty ? kind : "\(kind).\(group)"
        let list = causes.map { "\($0.field): \($0.message)" }
        let joined = list.count == 1 ? list[0] : "[\(list.joined(separator: ", "))]"
        return APIError(.invalid, "\(qualified) \"\(name)\" is invalid: \(joined)",
                        details: Details(name: name, group: group, kind: kind, causes: causes))
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }

    /// What a real server answers for a path it does not serve.
    public static let pathNotFound = APIError(.notFound, "the server could not find the requested resource", details: Details())

    public static func methodNotSupported(_ resource: GroupResource, _ action: String) -> APIError {
        APIError(.methodNotAllowed, "\(action) is not supported on resources of kind \"\(resource)\"",
                 details: Details(group: resource.group, kind: resource.resource))
    }

    public static func expired(_ message: String) -> APIError { APIError(.expired, message) }

    public static let unauthorized = APIError(.unauthorized, "Unauthorized")
}
