import DRBookHTTP
import Foundation

/// Access keys for an S3-compatible store. Never printed.
public struct S3Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "S3Credentials(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["credentials": "redacted"]) }
}

/// Where the bucket is: `https://ENDPOINT/BUCKET/KEY` (path style, R2 and most
/// S3-compatible servers) or `https://BUCKET.ENDPOINT/KEY` (virtual-hosted, AWS).
public enum S3Addressing: Sendable { case path, virtualHost }

public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var eTag: String?
    public var lastModified: Date?
}

public struct S3ListPage: Sendable {
    public var objects: [S3Object]
    public var commonPrefixes: [String]
    public var nextContinuationToken: String?
    public var isTruncated: Bool
}

public struct S3ObjectHead: Sendable {
    public var size: Int64
    public var eTag: String?
    public var lastModified: Date?
    public var contentType: String?
}

/// An S3 API client on drbook's libcurl transport, signed with SigV4 by libcurl.
public struct S3Client: Sendable {
    public var endpoint: URL
    public var region: String
    public var bucket: String
    public var addressing: S3Addressing
    public var timeouts: HTTPTimeouts
    public var retry: RetryPolicy
    public var tls: TLSOptions
    private let credentials: S3Credentials
    private let http: HTTPClient

    public init(endpoint: URL, region: String, bucket: String, credentials: S3Credentials,
                addressing: S3Addressing = .path, timeouts: HTTPTimeouts = .standard, retry: RetryPolicy = .standard,
                tls: TLSOptions = TLSOptions(), http: HTTPClient = .shared) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.credentials = credentials
        self.addressing = addressing
        self.timeouts = timeouts
        self.retry = retry
        self.tls = tls
        self.http = http
    }

    // MARK: operations

    /// One page of ListObjectsV2.
    public func listObjects(prefix: String = "", delimiter: String? = nil, continuationToken: String? = nil,
                            maxKeys: Int? = nil) async throws -> S3ListPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix)]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let response = try await send(.get, key: nil, query: query, operation: "ListObjectsV2")
        guard let document = XMLElementTree.parse(response.body), document.name == "ListBucketResult" else {
            throw S3Error(status: response.status, code: "MalformedResponse", message: "the answer to ListObjectsV2 is not a ListBucketResult",
                          bucket: bucket, key: prefix, requestID: nil, operation: "ListObjectsV2")
        }
        let objects = document.all("Contents").map { item in
            S3Object(key: item.text("Key") ?? "", size: Int64(item.text("Size") ?? "") ?? 0,
                     eTag: item.text("ETag"), lastModified: item.text("LastModified").flatMap(Self.parseISODate))
        }
        let prefixes = document.all("CommonPrefixes").compactMap { $0.text("Prefix") }
        let truncated = document.text("IsTruncated") == "true"
        // A truncated page without a token would end the listing early and hide objects
        // (the newest backups among them): refuse it rather than stop short.
        if truncated && (document.text("NextContinuationToken") ?? "").isEmpty {
            throw S3Error(status: response.status, code: "MalformedResponse",
                          message: "ListObjectsV2 said the listing is truncated but gave no NextContinuationToken",
                          bucket: bucket, key: prefix, requestID: nil, operation: "ListObjectsV2")
        }
        return S3ListPage(objects: objects, commonPrefixes: prefixes,
                          nextContinuationToken: truncated ? document.text("NextContinuationToken") : nil,
                          isTruncated: truncated)
    }

    /// Every page of ListObjectsV2, following continuation tokens.
    public func listAllObjects(prefix: String = "", delimiter: String? = nil) async throws -> (objects: [S3Object], commonPrefixes: [String]) {
        var objects: [S3Object] = []
        var prefixes: [String] = []
        var token: String?
        repeat {
            let page = try await listObjects(prefix: prefix, delimiter: delimiter, continuationToken: token)
            objects += page.objects
            prefixes += page.commonPrefixes
            token = page.nextContinuationToken
        } while token != nil
        return (objects, prefixes)
    }

    /// HeadObject; nil when the object does not exist.
    public func head(_ key: String) async throws -> S3ObjectHead? {
        let response = try await send(.head, key: key, operation: "HeadObject", allowNotFound: true)
        guard response.status != 404 else { return nil }
        return S3ObjectHead(size: Int64(response.headers["Content-Length"] ?? "") ?? 0, eTag: response.headers["ETag"],
                            lastModified: response.headers["Last-Modified"].flatMap(Self.parseHTTPDate),
                            contentType: response.headers["Content-Type"])
    }

    /// GetObject into memory (small objects: metadata, JSON).
    public func get(_ key: String, range: ClosedRange<Int64>? = nil) async throws -> Data {
        try await send(.get, key: key, range: range, operation: "GetObject").body
    }

    /// GetObject as a stream, for objects of any size (backup tarballs).
    public func stream(_ key: String, range: ClosedRange<Int64>? = nil) async throws -> HTTPBody {
        try await streamResponse(key, rangeHeader: range.map { "bytes=\($0.lowerBound)-\($0.upperBound)" }).body
    }

    /// GetObject as a stream with the response head: `from` skips the first bytes, and
    /// `ifMatch` refuses (412 PreconditionFailed) an object whose ETag changed.
    public func streamResponse(_ key: String, from offset: Int64, ifMatch eTag: String?) async throws -> HTTPStreamingResponse {
        try await streamResponse(key, rangeHeader: offset > 0 ? "bytes=\(offset)-" : nil, ifMatch: eTag)
    }

    private func streamResponse(_ key: String, rangeHeader: String?, ifMatch eTag: String? = nil) async throws -> HTTPStreamingResponse {
        var request = makeRequest(.get, key: key, query: [])
        request.timeouts.total = nil
        if let rangeHeader { request.headers.set("Range", rangeHeader) }
        if let eTag { request.headers.set("If-Match", eTag) }
        let response = try await http.stream(request)
        guard response.isSuccess else {
            // An oversized error body must not hide the S3 status behind a size error.
            let body = (try? await response.body.collect(upTo: 64 << 10)) ?? Data()
            throw S3Error.from(HTTPResponse(status: response.status, headers: response.headers, body: body,
                                            attempts: response.attempts, newConnections: 0),
                               bucket: bucket, key: key, operation: "GetObject")
        }
        return response
    }

    public func put(_ key: String, body: HTTPRequestBody, contentType: String = "application/octet-stream") async throws {
        _ = try await send(.put, key: key, body: body, headers: ["Content-Type": contentType], operation: "PutObject")
    }

    /// Creates the bucket; outside us-east-1 S3 wants the region named in the body.
    public func createBucket() async throws {
        var body: HTTPRequestBody?
        if region != "us-east-1" {
            body = .bytes(Data("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(region)</LocationConstraint></CreateBucketConfiguration>".utf8))
        }
        _ = try await send(.put, key: nil, body: body, operation: "CreateBucket")
    }

    // MARK: requests

    /// The object's URL; the key is percent-encoded here (libcurl 7.88 signs the path as written).
    public func url(for key: String?, query: [(name: String, value: String)] = []) -> URL {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        if addressing == .virtualHost, var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false) {
            components.host = "\(bucket).\(components.host ?? "")"
            base = components.string ?? base
            while base.hasSuffix("/") { base.removeLast() }
        } else {
            base += "/" + AWSCanonicalURL.encode(bucket, keepSlash: false)
        }
        var text = base
        if let key { text += "/" + AWSCanonicalURL.encode(key, keepSlash: true) } else if addressing == .virtualHost { text += "/" }
        if !query.isEmpty { text += "?" + AWSCanonicalURL.query(query) }
        return URL(string: text)!
    }

    private func makeRequest(_ method: HTTPMethod, key: String?, query: [(name: String, value: String)],
                             body: HTTPRequestBody? = nil, headers: HTTPHeaders = [:]) -> HTTPRequest {
        let signer = AWSSigV4(region: region, service: "s3", accessKeyID: credentials.accessKeyID,
                              secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken)
        return HTTPRequest(method, url(for: key, query: query), headers: headers, body: body, timeouts: timeouts,
                           retry: retry, tls: tls, authentication: .awsSigV4(signer))
    }

    private func send(_ method: HTTPMethod, key: String?, query: [(name: String, value: String)] = [],
                      body: HTTPRequestBody? = nil, headers: HTTPHeaders = [:], range: ClosedRange<Int64>? = nil,
                      operation: String, allowNotFound: Bool = false) async throws -> HTTPResponse {
        var request = makeRequest(method, key: key, query: query, body: body, headers: headers)
        if let range { request.headers.set("Range", "bytes=\(range.lowerBound)-\(range.upperBound)") }
        let response = try await http.send(request)
        if response.isSuccess || (allowNotFound && response.status == 404) { return response }
        throw S3Error.from(response, bucket: bucket, key: key, operation: operation)
    }

    static func parseISODate(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return withFraction.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    static func parseHTTPDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
