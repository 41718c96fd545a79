import DRBookHTTP
import DRBookTestSupport
import Foundation
import Testing

/// What `/echo` of the fixture server reports about the request it received.
struct Echo: Decodable {
    var method: String
    var path: String
    var query: String
    var headers: [String: String]
    var body_base64: String
    var client_cert_cn: String?

    var body: Data { Data(base64Encoded: body_base64) ?? Data() }
}

func fixtureURL(_ path: String) async throws -> URL {
    URL(string: "http://127.0.0.1:\(try await TestServers.shared.fixture().port)\(path)")!
}

@Suite("HTTP requests through libcurl")
struct RequestBasicsTests {
    let client = HTTPClient.shared

    @Test("each method reaches the server with its headers and body", arguments: [
        HTTPMethod.get, .post, .put, .patch, .delete,
    ])
    func methodsHeadersAndBodies(method: HTTPMethod) async throws {
        let payload = Data("{\"drill\":\"\(method)\"}".utf8)
        let hasBody = method != .get && method != .delete
        let request = HTTPRequest(method, try await fixtureURL("/echo?x=1"),
                                  headers: ["X-Drbook-Test": "value 1", "Content-Type": "application/json"],
                                  body: hasBody ? .bytes(payload) : nil)
        let response = try await client.send(request)
        #expect(response.status == 200)
        let echo = try JSONDecoder().decode(Echo.self, from: response.body)
        #expect(echo.method == method.rawValue)
        #expect(echo.query == "x=1")
        #expect(echo.headers["x-drbook-test"] == "value 1")
        #expect(echo.headers["user-agent"]?.hasPrefix("drbook/") == true)
        #expect(echo.headers["expect"] == nil)
        if hasBody { #expect(echo.body == payload) } else { #expect(echo.body.isEmpty) }
    }

    @Test("a POST without a body is sent as a POST with an empty body")
    func bodilessPost() async throws {
        let response = try await client.send(HTTPRequest(.post, try await fixtureURL("/echo")))
        let echo = try JSONDecoder().decode(Echo.self, from: response.body)
        #expect(echo.method == "POST")
        #expect(echo.headers["content-length"] == "0")
    }

    @Test("a response too large to buffer is not retried")
    func tooLargeNotRetried() async throws {
        var request = HTTPRequest(.get, try await fixtureURL("/bytes?n=300000"), retry: RetryPolicy(initialDelay: .milliseconds(10)))
        request.maximumBufferedBodyBytes = 1000
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error.phase == .responseTooLarge)
        #expect(error.attempts == 1)
        #expect(!error.isTransient)
    }

    @Test("a request body streams from a file")
    func fileBody() async throws {
        let directory = try TemporaryDirectory()
        let payload = Data((0..<300_000).map { UInt8($0 % 251) })
        try payload.write(to: URL(fileURLWithPath: directory.path("body.bin")))
        let response = try await client.send(HTTPRequest(.put, try await fixtureURL("/echo"), body: .file(path: directory.path("body.bin"))))
        let echo = try JSONDecoder().decode(Echo.self, from: response.body)
        #expect(echo.body == payload)
    }

    @Test("HEAD returns headers and no body")
    func head() async throws {
        let response = try await client.send(HTTPRequest(.head, try await fixtureURL("/echo")))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.headers["X-Fixture"] == "echo")
    }

    @Test("response headers keep repeated fields and compare names case-insensitively")
    func responseHeaders() async throws {
        let response = try await client.send(HTTPRequest(.get, try await fixtureURL("/echo")))
        #expect(response.headers.values("x-multi") == ["a", "a"])
        #expect(response.headers["CONTENT-TYPE"]?.contains("json") == true)
    }

    @Test("bearer and basic credentials are sent as Authorization headers")
    func credentials() async throws {
        let bearer = try await client.send(HTTPRequest(.get, try await fixtureURL("/echo"), authentication: .bearer(token: "tok-123")))
        #expect(try JSONDecoder().decode(Echo.self, from: bearer.body).headers["authorization"] == "Bearer tok-123")
        let basic = try await client.send(HTTPRequest(.get, try await fixtureURL("/echo"), authentication: .basic(username: "ops", password: "pa:ss")))
        let expected = "Basic " + Data("ops:pa:ss".utf8).base64EncodedString()
        #expect(try JSONDecoder().decode(Echo.self, from: basic.body).headers["authorization"] == expected)
    }

    @Test("a non-2xx status is returned, not thrown, and is not retried when not transient")
    func statusNotThrown() async throws {
        let response = try await client.send(HTTPRequest(.get, try await fixtureURL("/status/404")))
        #expect(response.status == 404)
        #expect(response.attempts == 1)
        #expect(response.bodyText == "status 404")
    }

    @Test("consecutive requests reuse pooled connections; non-idempotent ones open their own")
    func connectionReuse() async throws {
        let url = try await fixtureURL("/echo")
        let client = HTTPClient()
        let first = try await client.send(HTTPRequest(.get, url))
        let second = try await client.send(HTTPRequest(.get, url))
        let third = try await client.send(HTTPRequest(.post, url, body: .bytes(Data("x".utf8))))
        let fourth = try await client.send(HTTPRequest(.get, url))
        #expect(first.newConnections == 1)
        #expect(second.newConnections == 0)
        // A POST takes a fresh connection: libcurl would silently re-send it on a stale one.
        #expect(third.newConnections == 1)
        #expect(fourth.newConnections == 0)
    }

    @Test("a buffered body larger than the request's limit fails and says to stream")
    func bufferedLimit() async throws {
        var request = HTTPRequest(.get, try await fixtureURL("/bytes?n=200000"))
        request.maximumBufferedBodyBytes = 100_000
        let error = try await #require(throws: HTTPError.self) { try await client.send(request) }
        #expect(error.description.contains("larger than 100000 bytes"))
    }

    @Test("redirects are not followed unless asked")
    func redirects() async throws {
        let url = try await fixtureURL("/redirect?to=/echo")
        #expect(try await client.send(HTTPRequest(.get, url)).status == 302)
        #expect(try await client.send(HTTPRequest(.get, url, followRedirects: true)).status == 200)
    }
}
