import CCurl
import Foundation

/// A failed HTTP exchange: what went wrong, at which phase, for which (redacted) URL,
/// libcurl's own message, and what a person can do about it.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Phase: String, Sendable {
        case request = "building the request"
        case resolve = "resolving the host"
        case connect = "connecting"
        case tls = "TLS"
        case send = "sending the request"
        case timeout = "timeout"
        case stalled = "stalled transfer"
        case status = "HTTP status"
        case body = "receiving the body"
        case responseTooLarge = "response too large"
        case cancelled = "cancelled"
    }

    public var phase: Phase
    public var method: HTTPMethod
    /// Already redacted: safe to print.
    public var url: String
    /// libcurl's result code, when libcurl reported the failure.
    public var curlCode: Int?
    /// libcurl's message (its error buffer), or the server's answer for `.status`.
    public var detail: String
    public var status: Int?
    public var attempts: Int
    /// Whether the request may have reached the server (decides if a POST may be retried).
    public var mayHaveBeenSent: Bool

    public var isTransient: Bool {
        switch phase {
        case .resolve, .connect, .timeout, .stalled, .send, .body: return true
        case .status: return status.map { $0 == 408 || $0 == 429 || (500...599).contains($0) } ?? false
        case .request, .tls, .cancelled, .responseTooLarge: return false
        }
    }

    public var hint: String {
        switch phase {
        case .request: return "Check the URL and request options."
        case .resolve: return "Check the host name and this machine's DNS."
        case .connect: return "Check that the server is up and reachable from here (address, port, firewall, proxy)."
        case .tls: return "Check the CA bundle (certificate-authority), the client certificate and key, and that the server name matches its certificate."
        case .send: return "The connection broke while the request was being sent; retry."
        case .timeout: return "The server did not answer in time; retry later or raise the timeout."
        case .stalled: return "The transfer stopped moving; check the network path or raise the stall timeout."
        case .status:
            switch status ?? 0 {
            case 401: return "The credentials were refused; check the token, key or certificate."
            case 403: return "The identity lacks permission for this request."
            case 404: return "The object or endpoint does not exist."
            case 429: return "The server is rate limiting; retry later."
            case 500...599: return "The server failed; retry later."
            default: return "See the server's answer above."
            }
        case .body: return "The connection broke while the body was arriving; retry."
        case .responseTooLarge: return "Read this response as a stream, or raise the request's maximumBufferedBodyBytes."
        case .cancelled: return "The request was cancelled."
        }
    }

    public var description: String {
        var text = "\(method) \(url): \(phase.rawValue)"
        if let status { text += " \(status)" }
        if !detail.isEmpty { text += ": \(detail)" }
        if let curlCode { text += " (curl error \(curlCode))" }
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text + ". " + hint
    }
}

extension HTTPError.Phase {
    /// Which phase a libcurl result code belongs to.
    init(curlCode code: CURLcode, connected: Bool, stallTimeoutSet: Bool, message: String) {
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT:
            self = .request
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            self = .resolve
        case CURLE_COULDNT_CONNECT:
            self = .connect
        case CURLE_OPERATION_TIMEDOUT:
            if !connected { self = .connect } else if stallTimeoutSet && message.localizedCaseInsensitiveContains("too slow") { self = .stalled } else { self = .timeout }
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_SSL_CLIENTCERT:
            self = .tls
        case CURLE_SEND_ERROR, CURLE_READ_ERROR:
            self = connected ? .send : .connect
        case CURLE_ABORTED_BY_CALLBACK:
            self = .cancelled
        default:
            // RECV_ERROR after a TLS handshake the server ended because of a missing client
            // certificate looks like a receive error; the message says so.
            if !connected { self = .connect } else if message.localizedCaseInsensitiveContains("ssl") || message.localizedCaseInsensitiveContains("tls") { self = .tls } else { self = .body }
        }
    }
}
