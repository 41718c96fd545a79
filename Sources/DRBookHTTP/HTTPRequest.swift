import Foundation

/// An HTTP method. Idempotent methods may be retried after a failure that happened
/// once the request was on the wire; others only when the caller says it is safe.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.uppercased() }

    public static let get = HTTPMethod(rawValue: "GET")
    public static let head = HTTPMethod(rawValue: "HEAD")
    public static let put = HTTPMethod(rawValue: "PUT")
    public static let post = HTTPMethod(rawValue: "POST")
    public static let patch = HTTPMethod(rawValue: "PATCH")
    public static let delete = HTTPMethod(rawValue: "DELETE")
    public static let options = HTTPMethod(rawValue: "OPTIONS")

    public var isIdempotent: Bool { ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(rawValue) }
    public var description: String { rawValue }
}

/// Header fields in the order they were given or received; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field of that name with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// Names only: values may be credentials.
    public var description: String { fields.map(\.name).joined(separator: ", ") }
}

/// What a request sends as its body.
public enum HTTPRequestBody: Sendable {
    case bytes(Data)
    /// Streamed from a file, read as libcurl asks for it.
    case file(path: String)

    func length() throws -> Int64 {
        switch self {
        case .bytes(let data): return Int64(data.count)
        case .file(let path):
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }
    }
}

/// Time limits of one attempt. `nil` means no limit of that kind.
public struct HTTPTimeouts: Sendable, Equatable {
    /// From the start until the connection (TLS included) is up.
    public var connect: Duration
    /// The whole attempt, body included. Streams of unbounded size should use `nil` and rely on `stall`.
    public var total: Duration?
    /// Fails the attempt when fewer than `stall.minimumBytesPerSecond` arrive for `stall.window`.
    public var stall: StallTimeout?

    public init(connect: Duration = .seconds(10), total: Duration? = .seconds(120), stall: StallTimeout? = StallTimeout()) {
        self.connect = connect
        self.total = total
        self.stall = stall
    }

    public static let standard = HTTPTimeouts()
    /// For bodies of any size: no total limit, only connect and stall limits.
    public static let streaming = HTTPTimeouts(total: nil)
}

public struct StallTimeout: Sendable, Equatable {
    public var minimumBytesPerSecond: Int
    public var window: Duration
    public init(minimumBytesPerSecond: Int = 1, window: Duration = .seconds(30)) {
        self.minimumBytesPerSecond = minimumBytesPerSecond
        self.window = window
    }
}

/// Where a PEM document comes from: a file on disk, or bytes held in memory
/// (kubeconfig `*-data` fields), which libcurl takes directly without a temp file.
public enum PEMSource: Sendable, Equatable {
    case file(String)
    case pem(Data)
}

public struct TLSOptions: Sendable, Equatable {
    /// Verify the server's certificate chain and host name. Off only on explicit request.
    public var verifyPeer: Bool = true
    /// Trust only this CA bundle instead of the system's.
    public var certificateAuthority: PEMSource?
    public var clientCertificate: PEMSource?
    public var clientKey: PEMSource?
    /// The name to send as SNI and to verify the server's certificate against, when it
    /// differs from the URL's host (kubeconfig `tls-server-name`). The Host header and
    /// the address connected to stay those of the URL.
    public var serverName: String?

    public init(verifyPeer: Bool = true, certificateAuthority: PEMSource? = nil,
                clientCertificate: PEMSource? = nil, clientKey: PEMSource? = nil, serverName: String? = nil) {
        self.verifyPeer = verifyPeer
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.serverName = serverName
    }
}

/// Credentials a request carries. They go to libcurl's options, never into headers we
/// log, errors or descriptions.
public enum HTTPAuthentication: Sendable {
    case bearer(token: String)
    case basic(username: String, password: String)
    /// AWS Signature Version 4, computed by libcurl (`CURLOPT_AWS_SIGV4`).
    case awsSigV4(AWSSigV4)
}

public struct AWSSigV4: Sendable, Equatable {
    /// libcurl's provider string, `aws:amz:<region>:<service>`, e.g. `aws:amz:auto:s3` for R2.
    public var provider: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(provider: String, accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.provider = provider
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public init(region: String, service: String = "s3", accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.init(provider: "aws:amz:\(region):\(service)", accessKeyID: accessKeyID,
                  secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }
}

public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var url: URL
    public var headers: HTTPHeaders
    public var body: HTTPRequestBody?
    public var timeouts: HTTPTimeouts
    public var retry: RetryPolicy
    public var tls: TLSOptions
    public var authentication: HTTPAuthentication?
    /// An explicit proxy (`http://host:port`); otherwise libcurl's environment rules apply.
    public var proxy: String?
    public var followRedirects: Bool
    /// Which parts of the URL are secret and must not appear in errors or logs.
    public var urlSecrecy: URLSecrecy
    /// The largest body `send` will hold in memory; larger bodies need `stream`.
    public var maximumBufferedBodyBytes: Int

    public init(_ method: HTTPMethod = .get, _ url: URL, headers: HTTPHeaders = [:], body: HTTPRequestBody? = nil,
                timeouts: HTTPTimeouts = .standard, retry: RetryPolicy = .standard, tls: TLSOptions = TLSOptions(),
                authentication: HTTPAuthentication? = nil, proxy: String? = nil, followRedirects: Bool = false,
                urlSecrecy: URLSecrecy = .queryValues, maximumBufferedBodyBytes: Int = 64 << 20) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.retry = retry
        self.tls = tls
        self.authentication = authentication
        self.proxy = proxy
        self.followRedirects = followRedirects
        self.urlSecrecy = urlSecrecy
        self.maximumBufferedBodyBytes = maximumBufferedBodyBytes
    }

    /// The URL as it may be shown to a person.
    public var redactedURL: String { RedactedURL.string(url, secrecy: urlSecrecy) }
}

// Credentials never print: not through `description`, `debugDescription`, string
// interpolation of a request that holds them, nor `dump` or `Mirror`.

extension AWSSigV4: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AWSSigV4(provider: \(provider), credentials: redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["provider": provider, "credentials": "redacted"]) }
}

extension HTTPAuthentication: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        switch self {
        case .bearer: return "bearer(redacted)"
        case .basic: return "basic(redacted)"
        case .awsSigV4(let signer): return "awsSigV4(\(signer))"
        }
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["authentication": description]) }
}

extension HTTPRequest: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "\(method) \(redactedURL) headers: [\(headers)] authentication: \(authentication.map(String.init(describing:)) ?? "none")"
    }
    public var debugDescription: String { description }
}
