import DRBookHTTP
import DRBookObjectStore
import Foundation

/// The loopback servers tests share: started on first use, once per test process.
/// Each is started by one task that later callers await, so concurrent first uses
/// (the actor is re-entered across the await) never start a second copy.
public actor TestServers {
    public static let shared = TestServers()

    private var motoServer: Task<ServerProcess, Error>?
    private var fixtureServer: Task<ServerProcess, Error>?
    private var slackServer: Task<ServerProcess, Error>?
    private var signedEndpoints: [String: Task<SignedS3, Error>] = [:]

    /// moto's S3 server (it does not verify signatures: use `signedS3()` to prove signing).
    public func moto() async throws -> ServerProcess {
        if motoServer == nil {
            motoServer = Task { try await ServerProcess.start { try ServerProcess.python("run_moto.py", [], name: "moto") } }
        }
        return try await motoServer!.value
    }

    /// The scripted HTTP fixture (`Tests/Servers/http_fixture.py`), plain HTTP.
    public func fixture() async throws -> ServerProcess {
        if fixtureServer == nil {
            fixtureServer = Task {
                try await ServerProcess.start { try ServerProcess.python("http_fixture.py", ["--port", "0"], name: "http-fixture") }
            }
        }
        return try await fixtureServer!.value
    }

    /// A stand-in for Slack's incoming webhooks (`Tests/Servers/slack_fixture.py`): the path's
    /// workspace part picks the answer (live, revoked, rate limited, …); `GET /posted` counts visible posts.
    public func slack() async throws -> ServerProcess {
        if slackServer == nil {
            slackServer = Task { try await ServerProcess.start { try ServerProcess.python("slack_fixture.py", ["--port", "0"], name: "slack-fixture") } }
        }
        return try await slackServer!.value
    }

    /// A strict SigV4-verifying proxy in front of moto, one per region. The proxy
    /// rejects anything real S3 would reject, so a passing request proves libcurl's signature.
    public func signedS3(region: String = "auto") async throws -> SignedS3 {
        if let endpoint = signedEndpoints[region] { return try await endpoint.value }
        let task = Task {
            let moto = try await self.moto()
            let credentials = S3Credentials(accessKeyID: "AKDRBOOK" + String(UUID().uuidString.prefix(8)),
                                            secretAccessKey: UUID().uuidString + UUID().uuidString)
            let proxy = try await ServerProcess.start {
                try ServerProcess.python("sigv4_proxy.py", [
                    "--upstream", moto.baseURL.absoluteString, "--access-key", credentials.accessKeyID,
                    "--secret-key", credentials.secretAccessKey, "--region", region, "--port", "0",
                ], name: "sigv4-proxy")
            }
            return SignedS3(proxy: proxy, moto: moto, credentials: credentials, region: region)
        }
        signedEndpoints[region] = task
        return try await task.value
    }
}

public struct SignedS3: Sendable {
    public let proxy: ServerProcess
    public let moto: ServerProcess
    public let credentials: S3Credentials
    public let region: String

    /// A client for a new bucket, created for the calling test.
    public func client(bucket: String = "drbook-\(UUID().uuidString.prefix(8).lowercased())", create: Bool = true) async throws -> S3Client {
        let client = S3Client(endpoint: proxy.baseURL, region: region, bucket: bucket, credentials: credentials)
        if create { try await client.createBucket() }
        return client
    }
}
