import DRBookHTTP
import Foundation

/// An error document from an S3-compatible server (S3, R2, moto), with what to do about it.
public struct S3Error: Error, Sendable, CustomStringConvertible {
    public var status: Int
    /// S3's error code, e.g. `NoSuchBucket`, `AccessDenied`, `SignatureDoesNotMatch`.
    public var code: String
    public var message: String
    public var bucket: String
    public var key: String?
    public var requestID: String?
    public var operation: String

    public var hint: String {
        switch code {
        case "NoSuchBucket": return "Check the bucket name (--store s3://BUCKET/PREFIX) and the endpoint."
        case "NoSuchKey": return "The object does not exist; check the prefix and the backup name."
        case "AccessDenied": return "The credentials lack permission for this operation on this bucket; check the token's bucket scope and permissions."
        case "InvalidAccessKeyId": return "The access key id is unknown to this endpoint; check AWS_ACCESS_KEY_ID or the credentials file and the endpoint."
        case "SignatureDoesNotMatch": return "The secret access key is wrong, or the region does not match the endpoint (R2 uses region auto)."
        case "SlowDown", "ServiceUnavailable", "InternalError": return "The store is overloaded or failing; retry later."
        case "RequestTimeTooSkewed": return "This machine's clock is off; fix the time (NTP) and retry."
        default: return "See the store's message above."
        }
    }

    public var description: String {
        var target = "s3://\(bucket)"
        if let key { target += "/\(key)" }
        var text = "\(operation) \(target): \(code) (HTTP \(status))"
        if !message.isEmpty { text += ": \(message)" }
        if let requestID { text += " [request \(requestID)]" }
        return text + ". " + hint
    }

    /// Reads an S3 error document; falls back to the status when the body is not one.
    static func from(_ response: HTTPResponse, bucket: String, key: String?, operation: String) -> S3Error {
        let document = XMLElementTree.parse(response.body)
        let fallback: String
        switch response.status {
        case 403: fallback = "AccessDenied"
        case 404: fallback = key == nil ? "NoSuchBucket" : "NoSuchKey"
        case 503: fallback = "SlowDown"
        default: fallback = "HTTP\(response.status)"
        }
        return S3Error(status: response.status,
                       code: document?.text("Code") ?? fallback,
                       message: document?.text("Message") ?? "",
                       bucket: bucket, key: key,
                       requestID: document?.text("RequestId") ?? response.headers["x-amz-request-id"],
                       operation: operation)
    }
}
