import DRBookKube
import Foundation

/// `SelfSubjectAccessReview`: "may I?" answered from the same rules that decide requests.
enum AccessReview {
    static let resource = GroupResource(group: "authorization.k8s.io", resource: "selfsubjectaccessreviews")

    static func answer(_ review: JSONValue, user: UserInfo, policy: AccessPolicy) throws -> JSONValue {
        var response = review
        if let attributes = review[path: ["spec", "resourceAttributes"]] {
            let request = RequestAttributes(
                verb: attributes["verb"]?.stringValue ?? "", group: attributes["group"]?.stringValue ?? "",
                resource: attributes["resource"]?.stringValue ?? "", subresource: attributes["subresource"]?.stringValue ?? "",
                namespace: attributes["namespace"]?.stringValue ?? "", name: attributes["name"]?.stringValue ?? "")
            let decision = policy.decide(user, request)
            var status: JSONValue = ["allowed": .bool(decision.allowed)]
            if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
            response["status"] = status
        } else if review[path: ["spec", "nonResourceAttributes"]] != nil {
            // Non-resource URLs (/healthz, /version) are open to every authenticated user here.
            response["status"] = ["allowed": true, "reason": "non-resource URLs are readable by every authenticated user in the sandbox"]
        } else {
            throw APIError.invalid(kind: "SelfSubjectAccessReview", group: resource.group, name: "", causes: [
                APIError.Cause(reason: "FieldValueRequired", message: "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
                               field: "spec.resourceAttributes"),
            ])
        }
        response["apiVersion"] = "authorization.k8s.io/v1"
        response["kind"] = "SelfSubjectAccessReview"
        response.set(.null, at: ["metadata", "creationTimestamp"])
        return response
    }
}
