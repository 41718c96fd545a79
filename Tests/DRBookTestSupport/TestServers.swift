import DRBookHTTP
import DRBookObjectStore
import Foundation

/// The loopback servers tests share: started on first use, once per test process.
public actor TestServers {
    public static let shared = TestServers()

    private var motoServer: ServerProcess?
    private var fixtureServer: ServerProcess?
    private var signedEndpoints: [String: SignedS3] = [:]

    /// moto's S3 server (it does not verify signatures: use `signedS3()` to prove signing).
    public func moto() throws -> ServerProcess {
        if let motoServer { return motoServer }
        let server = try ServerProcess.python("run_moto.py", [], name: "moto")
        motoServer = server
        return server
    }

    /// The scripted HTTP fixture (`Tests/Servers/http_fixture.py`), plain HTTP.
    public func fixture() throws -> ServerProcess {
        if let fixtureServer { return fixtureServer }
        let server = try ServerProcess.python("http_fixture.py", ["--port", "0"], name: "http-fixture")
        fixtureServer = server
        return server
    }

    /// A strict SigV4-verifying proxy in front of moto, one per region. The proxy
    /// rejects anything real S3 would reject, so a passing request proves libcurl's signature.
    public func signedS3(region: String = "auto") throws -> SignedS3 {
        if let endpoint = signedEndpoints[region] { return endpoint }
        let moto = try moto()
        let credentials = S3Credentials(accessKeyID: "AKDRBOOK" + String(UUID().uuidString.prefix(8)),
                                        secretAccessKey: UUID().uuidString + UUID().uuidString)
        let proxy = try ServerProcess.python("sigv4_proxy.py", [
            "--upstream", moto.baseURL.absoluteString, "--access-key", credentials.accessKeyID,
            "--secret-key", credentials.secretAccessKey, "--region", region, "--port", "0",
        ], name: "sigv4-proxy")
        let endpoint = SignedS3(proxy: proxy, moto: moto, credentials: credentials, region: region)
        signedEndpoints[region] = endpoint
        return endpoint
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
