import CCurl
import Foundation

/// How a finished attempt ended, as seen from libcurl's thread.
struct TransferOutcome: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var newConnections: Int
}

/// One attempt of one request on one libcurl easy handle. Created on any thread,
/// then touched only on the loop's thread (callbacks included) until it completes.
final class CurlTransfer: @unchecked Sendable {
    enum Sink {
        /// Collect into memory, failing past the limit.
        case buffer(limit: Int)
        /// Hand chunks to a reader through a bounded channel.
        case channel(BodyChannel)
    }

    let easy: UnsafeMutableRawPointer
    let request: HTTPRequest
    let sink: Sink
    /// Called exactly once, on the loop's thread.
    var completion: ((Result<TransferOutcome, HTTPError>) -> Void)?
    /// For streams: called once when the head is known (first body byte or completion).
    var onHead: ((Int, HTTPHeaders) -> Void)?

    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var connectTo: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var statusCode = 0
    private var responseHeaders = HTTPHeaders()
    private var collected = Data()
    private var bodyTooLarge = false
    private var uploadData: Data?
    private var uploadOffset = 0
    private var uploadFile: FileHandle?
    private var bodyReadError: String?
    private(set) var paused = false
    /// Guarded by the loop's lock.
    var cancelRequested = false

    init(request: HTTPRequest, sink: Sink) throws(HTTPError) {
        guard let easy = curl_easy_init() else {
            throw HTTPError(phase: .request, method: request.method, url: request.redactedURL, curlCode: nil,
                            detail: "libcurl could not create a handle", status: nil, attempts: 1, mayHaveBeenSent: false)
        }
        self.easy = easy
        self.request = request
        self.sink = sink
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        do {
            try configure()
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    private var released = false
    func release() {
        guard !released else { return }
        released = true
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        headerList = nil
        curl_slist_free_all(connectTo)
        connectTo = nil
        try? uploadFile?.close()
        errorBuffer.deallocate()
    }

    // MARK: configuration

    private func configure() throws(HTTPError) {
        let request = self.request
        var url = request.url
        var headers = request.headers
        if case .awsSigV4(let sig) = request.authentication {
            url = AWSCanonicalURL.canonicalize(url)
            // curl 7.88 neither sends nor signs a payload hash; S3 and R2 require one.
            if !headers.contains("x-amz-content-sha256") { headers.add("x-amz-content-sha256", "UNSIGNED-PAYLOAD") }
            if let token = sig.sessionToken { headers.set("x-amz-security-token", token) }
        }
        if case .bearer(let token) = request.authentication { headers.set("Authorization", "Bearer \(token)") }
        // A body should not wait a second for a 100-continue that some servers never send.
        // Not for SigV4: curl 7.88 would sign the removed header and the signature would fail.
        let isSigned = if case .awsSigV4 = request.authentication { true } else { false }
        if request.body != nil && !isSigned && !headers.contains("Expect") { headers.add("Expect", "") }

        if let serverName = request.tls.serverName, url.scheme?.lowercased() == "https",
           var components = URLComponents(url: url, resolvingAgainstBaseURL: false), let host = components.host {
            // libcurl takes SNI and the verified name from the URL: put the server name
            // there and connect to the real host, keeping the real Host header.
            let port = components.port ?? 443
            let realHost = host.contains(":") ? "[\(host)]" : host
            connectTo = curl_slist_append(nil, "\(serverName):\(port):\(realHost):\(port)")
            if !headers.contains("Host") { headers.add("Host", components.port.map { "\(realHost):\($0)" } ?? realHost) }
            components.host = serverName
            url = components.url ?? url
            if let connectTo { try setSlist(CURLOPT_CONNECT_TO, connectTo) }
        }
        try set(CURLOPT_URL, string: url.absoluteString)
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_USERAGENT, string: HTTPClient.userAgent)
        try set(CURLOPT_BUFFERSIZE, 256 << 10)
        try set(CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
        try set(CURLOPT_EXPECT_100_TIMEOUT_MS, 200)
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect.milliseconds))
        if let total = request.timeouts.total { try set(CURLOPT_TIMEOUT_MS, Int(total.milliseconds)) }
        if let stall = request.timeouts.stall {
            try set(CURLOPT_LOW_SPEED_LIMIT, stall.minimumBytesPerSecond)
            try set(CURLOPT_LOW_SPEED_TIME, max(1, Int(stall.window.seconds.rounded(.up))))
        }
        if let proxy = request.proxy { try set(CURLOPT_PROXY, string: proxy) }
        // Pause/unpause of HTTP/2 streams can stall in curl 7.88 (fixed in 8.1): streams
        // with back-pressure stay on HTTP/1.1.
        if case .channel = sink { try set(CURLOPT_HTTP_VERSION, drbook_http_version_1_1()) }
        // On a pooled connection the server may have closed, libcurl silently re-sends the
        // request once. A POST or PATCH must never be sent twice unless the caller said
        // it is safe, so those take a fresh connection.
        if !request.method.isIdempotent && !request.retry.retryNonIdempotent { try set(CURLOPT_FRESH_CONNECT, 1) }

        try configureTLS(request.tls)
        try configureAuthentication(request.authentication)
        try configureMethodAndBody()

        for (name, value) in headers {
            // curl 7.88 signs an empty "Name;" line literally, breaking the signature.
            if isSigned && value.isEmpty { continue }
            // "Name;" sends an empty header; "Name:" would remove it.
            let line = value.isEmpty && name.caseInsensitiveCompare("Expect") != .orderedSame ? "\(name);" : "\(name): \(value)"
            headerList = curl_slist_append(headerList, line)
        }
        if let headerList { try setSlist(CURLOPT_HTTPHEADER, headerList) }

        let context = Unmanaged.passUnretained(self).toOpaque()
        try set(CURLOPT_HEADERFUNCTION, callback: { data, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().receiveHeader(data!, size * count)
        })
        try set(CURLOPT_HEADERDATA, pointer: context)
        try set(CURLOPT_WRITEFUNCTION, callback: { data, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().receiveBody(data!, size * count)
        })
        try set(CURLOPT_WRITEDATA, pointer: context)
        try set(CURLOPT_PRIVATE, pointer: context)
    }

    private func configureTLS(_ tls: TLSOptions) throws(HTTPError) {
        try set(CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
        try set(CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0)
        switch tls.certificateAuthority {
        case .file(let path)?: try set(CURLOPT_CAINFO, string: path)
        case .pem(let data)?: try setBlob(CURLOPT_CAINFO_BLOB, data)
        case nil: break
        }
        switch tls.clientCertificate {
        case .file(let path)?: try set(CURLOPT_SSLCERT, string: path)
        case .pem(let data)?: try setBlob(CURLOPT_SSLCERT_BLOB, data)
        case nil: break
        }
        if tls.clientCertificate != nil { try set(CURLOPT_SSLCERTTYPE, string: "PEM") }
        switch tls.clientKey {
        case .file(let path)?: try set(CURLOPT_SSLKEY, string: path)
        case .pem(let data)?: try setBlob(CURLOPT_SSLKEY_BLOB, data)
        case nil: break
        }
        if tls.clientKey != nil { try set(CURLOPT_SSLKEYTYPE, string: "PEM") }
    }

    private func configureAuthentication(_ authentication: HTTPAuthentication?) throws(HTTPError) {
        switch authentication {
        case .basic(let username, let password)?:
            try set(CURLOPT_HTTPAUTH, drbook_curlauth_basic())
            try set(CURLOPT_USERNAME, string: username)
            try set(CURLOPT_PASSWORD, string: password)
        case .awsSigV4(let sig)?:
            try set(CURLOPT_AWS_SIGV4, string: sig.provider)
            try set(CURLOPT_USERNAME, string: sig.accessKeyID)
            try set(CURLOPT_PASSWORD, string: sig.secretAccessKey)
        case .bearer?, nil:
            break
        }
    }

    private func configureMethodAndBody() throws(HTTPError) {
        let method = request.method
        var length: Int64 = 0
        if let body = request.body {
            do {
                length = try body.length()
                switch body {
                case .bytes(let data): uploadData = data
                case .file(let path): uploadFile = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
                }
            } catch {
                throw failure(.request, detail: "cannot read the request body: \(error.localizedDescription)")
            }
            let context = Unmanaged.passUnretained(self).toOpaque()
            try set(CURLOPT_READFUNCTION, callback: { buffer, size, count, context in
                Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().sendBody(buffer!, size * count)
            })
            try set(CURLOPT_READDATA, pointer: context)
        }
        if request.body != nil {
            let context = Unmanaged.passUnretained(self).toOpaque()
            try check(drbook_easy_setopt_seek_cb(easy) { context, offset, origin in
                Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().rewindBody(to: Int64(offset), origin: origin)
            }, CURLOPT_SEEKFUNCTION)
            try set(CURLOPT_SEEKDATA, pointer: context)
        }
        switch method {
        case .head:
            try set(CURLOPT_NOBODY, 1)
        case .get where request.body == nil:
            try set(CURLOPT_HTTPGET, 1)
        case .put:
            try set(CURLOPT_UPLOAD, 1)
            try setOff(CURLOPT_INFILESIZE_LARGE, length)
        default:
            if request.body != nil {
                try set(CURLOPT_POST, 1)
                try setOff(CURLOPT_POSTFIELDSIZE_LARGE, length)
            } else if method == .post {
                // Without this a bodiless POST would go out as a GET.
                try set(CURLOPT_POST, 1)
                try setOff(CURLOPT_POSTFIELDSIZE_LARGE, 0)
                try set(CURLOPT_COPYPOSTFIELDS, string: "")
            }
            if method != .post { try set(CURLOPT_CUSTOMREQUEST, string: method.rawValue) }
        }
    }

    // MARK: callbacks (loop thread)

    private func receiveHeader(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after 100 Continue or a redirect): start over.
            responseHeaders = HTTPHeaders()
            let parts = line.split(separator: " ", maxSplits: 2)
            statusCode = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        } else if line.isEmpty {
            // The end of a header block: a final answer's head is known now, even if no
            // body byte ever follows. Interim (1xx) and followed redirects are not final.
            let followed = request.followRedirects && (300..<400).contains(statusCode) && responseHeaders.contains("Location")
            if statusCode >= 200 && !followed { deliverHead() }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            responseHeaders.add(name, value)
        }
        return length
    }

    private func receiveBody(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
        deliverHead()
        switch sink {
        case .buffer(let limit):
            guard collected.count + length <= limit else {
                bodyTooLarge = true
                return 0
            }
            collected.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
            return length
        case .channel(let channel):
            let chunk = Data(bytes: data, count: length)
            if channel.offer(chunk) { return length }
            paused = true
            return drbook_curl_writefunc_pause()
        }
    }

    private func sendBody(_ buffer: UnsafeMutablePointer<CChar>, _ capacity: Int) -> Int {
        if let data = uploadData {
            let count = min(capacity, data.count - uploadOffset)
            guard count > 0 else { return 0 }
            data.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + uploadOffset, byteCount: count)
            }
            uploadOffset += count
            return count
        }
        if let file = uploadFile {
            let chunk: Data
            do {
                chunk = try file.read(upToCount: capacity) ?? Data()
            } catch {
                bodyReadError = error.localizedDescription
                return drbook_curl_readfunc_abort()
            }
            chunk.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: chunk.count) }
            }
            return chunk.count
        }
        return 0
    }

    /// libcurl rewinds the body when it must send it again (a stale pooled connection).
    private func rewindBody(to offset: Int64, origin: Int32) -> Int32 {
        guard origin == SEEK_SET else { return drbook_seekfunc_cantseek() }
        if uploadData != nil {
            uploadOffset = Int(offset)
            return drbook_seekfunc_ok()
        }
        if let uploadFile, (try? uploadFile.seek(toOffset: UInt64(offset))) != nil { return drbook_seekfunc_ok() }
        return drbook_seekfunc_cantseek()
    }

    private func deliverHead() {
        guard let onHead else { return }
        self.onHead = nil
        onHead(statusCode, responseHeaders)
    }

    /// Called by the loop when libcurl reports the transfer done.
    func finish(code: CURLcode) {
        if code == CURLE_OK { deliverHead() }
        var newConnections = 0
        var connectCount = 0
        drbook_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connectCount)
        newConnections = connectCount
        let result: Result<TransferOutcome, HTTPError>
        if code == CURLE_OK {
            result = .success(TransferOutcome(status: statusCode, headers: responseHeaders, body: collected, newConnections: newConnections))
        } else if code == CURLE_WRITE_ERROR && bodyTooLarge {
            var error = failure(.responseTooLarge, detail: "the body is larger than \(request.maximumBufferedBodyBytes) bytes; read it as a stream")
            error.mayHaveBeenSent = true
            result = .failure(error)
        } else if code == CURLE_ABORTED_BY_CALLBACK, let bodyReadError {
            result = .failure(failure(.request, detail: "cannot read the request body: \(bodyReadError)"))
        } else {
            result = .failure(error(for: code))
        }
        if case .channel(let channel) = sink {
            switch result {
            case .success: channel.finish(nil)
            case .failure(let error): channel.finish(error)
            }
        }
        complete(result)
    }

    /// Called by the loop when the transfer is removed before it finished.
    func cancel() {
        let error = failure(.cancelled, detail: "")
        if case .channel(let channel) = sink { channel.finish(error) }
        complete(.failure(error))
    }

    /// Called by the loop when libcurl would not take the transfer at all.
    func fail(detail: String) {
        let error = failure(.request, detail: detail)
        if case .channel(let channel) = sink { channel.finish(error) }
        complete(.failure(error))
    }

    private func complete(_ result: Result<TransferOutcome, HTTPError>) {
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }

    private func error(for code: CURLcode) -> HTTPError {
        var message = String(cString: errorBuffer)
        if message.isEmpty { message = String(cString: curl_easy_strerror(code)) }
        // A reused connection reports no connect time, so "connected" is read from the
        // pre-transfer time: set once the connection (TLS included) was ready to send.
        var connectTime: curl_off_t = 0
        drbook_easy_getinfo_off(easy, CURLINFO_CONNECT_TIME_T, &connectTime)
        var preTransferTime: curl_off_t = 0
        drbook_easy_getinfo_off(easy, CURLINFO_PRETRANSFER_TIME_T, &preTransferTime)
        let isHTTPS = request.url.scheme?.lowercased() == "https"
        let connected = preTransferTime > 0 || statusCode > 0
        var phase = HTTPError.Phase(curlCode: code, connected: connected, stallTimeoutSet: request.timeouts.stall != nil, message: message)
        // TCP connected but the connection never became ready: the TLS handshake failed.
        if isHTTPS && connectTime > 0 && !connected && phase == .connect { phase = .tls }
        var error = failure(phase, detail: message)
        error.curlCode = Int(code.rawValue)
        error.mayHaveBeenSent = connected
        return error
    }

    private func failure(_ phase: HTTPError.Phase, detail: String) -> HTTPError {
        HTTPError(phase: phase, method: request.method, url: request.redactedURL, curlCode: nil, detail: detail,
                  status: nil, attempts: 1, mayHaveBeenSent: false)
    }

    // MARK: typed setopt

    private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPError) {
        guard code == CURLE_OK else {
            throw failure(.request, detail: "libcurl refused option \(option.rawValue): \(String(cString: curl_easy_strerror(code)))")
        }
    }
    private func set(_ option: CURLoption, _ value: Int) throws(HTTPError) {
        try check(drbook_easy_setopt_long(easy, option, value), option)
    }
    private func setOff(_ option: CURLoption, _ value: Int64) throws(HTTPError) {
        try check(drbook_easy_setopt_off(easy, option, curl_off_t(value)), option)
    }
    private func set(_ option: CURLoption, string: String) throws(HTTPError) {
        // libcurl copies strings it is given (since 7.17).
        try check(drbook_easy_setopt_string(easy, option, string), option)
    }
    private func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer) throws(HTTPError) {
        try check(drbook_easy_setopt_pointer(easy, option, pointer), option)
    }
    private func setSlist(_ option: CURLoption, _ list: UnsafeMutablePointer<curl_slist>) throws(HTTPError) {
        try check(drbook_easy_setopt_slist(easy, option, list), option)
    }
    private func setBlob(_ option: CURLoption, _ data: Data) throws(HTTPError) {
        let code = data.withUnsafeBytes { raw in drbook_easy_setopt_blob(easy, option, raw.baseAddress, raw.count) }
        try check(code, option)
    }
    private func set(_ option: CURLoption, callback: drbook_curl_data_cb) throws(HTTPError) {
        try check(drbook_easy_setopt_data_cb(easy, option, callback), option)
    }

    /// Asks libcurl to take data again after a pause (loop thread).
    func unpause() {
        guard paused else { return }
        paused = false
        drbook_easy_unpause(easy)
    }
}
