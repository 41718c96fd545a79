import DRBookHTTP
import DRBookObjectStore
import DRBookTestSupport
import Foundation
import Testing

/// Puts `count` small objects named `<prefix><index>` with bounded concurrency.
func putMany(_ client: S3Client, prefix: String, count: Int) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        func addNext() {
            let index = next
            next += 1
            group.addTask { try await client.put(String(format: "%@%05d.json", prefix, index), body: .bytes(Data("{\"i\":\(index)}".utf8))) }
        }
        for _ in 0..<min(8, count) { addNext() }
        while try await group.next() != nil {
            if next < count { addNext() }
        }
    }
}

@Suite("S3 through libcurl's SigV4, checked by a strict verifying proxy in front of moto", .timeLimit(.minutes(3)))
struct SignedS3Tests {
    @Test("ListObjectsV2 pages through more than 1,000 keys with continuation tokens")
    func listingPaginates() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await putMany(client, prefix: "velero/backups/daily-full-1/", count: 1_205)
        try await client.put("velero/backups/daily-full-2/velero-backup.json", body: .bytes(Data("{}".utf8)))
        try await client.put("velero/kopia/monitoring/kopia.repository", body: .bytes(Data("x".utf8)))

        let first = try await client.listObjects(prefix: "velero/backups/daily-full-1/")
        #expect(first.objects.count == 1_000)
        #expect(first.isTruncated)
        let token = try #require(first.nextContinuationToken)
        let second = try await client.listObjects(prefix: "velero/backups/daily-full-1/", continuationToken: token)
        #expect(second.objects.count == 205)
        #expect(!second.isTruncated)
        #expect(second.nextContinuationToken == nil)

        let all = try await client.listAllObjects(prefix: "velero/backups/daily-full-1/")
        #expect(all.objects.count == 1_205)
        #expect(Set(all.objects.map(\.key)).count == 1_205)
        #expect(all.objects.allSatisfy { $0.size > 0 && $0.lastModified != nil })
    }

    @Test("a delimiter groups keys into common prefixes, as Velero lists its backups")
    func delimiterGroups() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        for key in ["velero/backups/a/velero-backup.json", "velero/backups/b/velero-backup.json", "velero/kopia/monitoring/x", "velero/stray.txt"] {
            try await client.put(key, body: .bytes(Data("{}".utf8)))
        }
        let top = try await client.listObjects(prefix: "velero/", delimiter: "/")
        #expect(top.commonPrefixes.sorted() == ["velero/backups/", "velero/kopia/"])
        #expect(top.objects.map(\.key) == ["velero/stray.txt"])
        let backups = try await client.listAllObjects(prefix: "velero/backups/", delimiter: "/")
        #expect(backups.commonPrefixes.sorted() == ["velero/backups/a/", "velero/backups/b/"])
    }

    @Test("small pages (max-keys) with prefix and delimiter sign correctly")
    func smallPages() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await putMany(client, prefix: "p/", count: 7)
        var keys: [String] = []
        var token: String?
        repeat {
            let page = try await client.listObjects(prefix: "p/", delimiter: "/", continuationToken: token, maxKeys: 3)
            keys += page.objects.map(\.key)
            token = page.nextContinuationToken
        } while token != nil
        #expect(keys.count == 7)
    }

    @Test("GetObject streams a large object; HeadObject and byte ranges agree with it")
    func getHeadRange() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        let size = 5 << 20
        let payload = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 11)) })
        try await client.put("backups/x/x.tar.gz", body: .bytes(payload))

        let head = try #require(try await client.head("backups/x/x.tar.gz"))
        #expect(head.size == Int64(size))
        #expect(head.eTag != nil)
        #expect(try await client.head("backups/x/missing.json") == nil)

        var streamed = Data()
        var chunks = 0
        for try await chunk in try await client.stream("backups/x/x.tar.gz") {
            streamed.append(chunk)
            chunks += 1
        }
        #expect(streamed == payload)
        #expect(chunks > 1)

        let range = try await client.get("backups/x/x.tar.gz", range: 1000...1999)
        #expect(range == payload[1000...1999])
    }

    @Test("keys with spaces, plus signs, percent signs and non-ASCII are signed and addressed correctly")
    func awkwardKeys() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        let keys = ["a b/c d.json", "plus+sign.json", "100%/done.json", "métriques/é.json", "x=y&z?.json"]
        for (index, key) in keys.enumerated() {
            try await client.put(key, body: .bytes(Data("\(index)".utf8)))
        }
        for (index, key) in keys.enumerated() {
            #expect(String(decoding: try await client.get(key), as: UTF8.self) == "\(index)")
        }
        let listed = try await client.listAllObjects().objects.map(\.key)
        #expect(Set(listed) == Set(keys))
        let prefixed = try await client.listAllObjects(prefix: "a b/").objects.map(\.key)
        #expect(prefixed == ["a b/c d.json"])
    }

    @Test("a wrong secret key is refused with SignatureDoesNotMatch and a hint")
    func wrongSecret() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let good = try await s3.client()
        let bad = S3Client(endpoint: s3.proxy.baseURL, region: s3.region, bucket: good.bucket,
                           credentials: S3Credentials(accessKeyID: s3.credentials.accessKeyID, secretAccessKey: "not-the-secret"))
        let error = try await #require(throws: S3Error.self) { try await bad.listObjects(prefix: "velero/") }
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.status == 403)
        #expect(error.description.contains("secret access key is wrong"))
        #expect(!error.description.contains("not-the-secret"))
    }

    @Test("an unknown access key is refused with InvalidAccessKeyId")
    func unknownAccessKey() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let good = try await s3.client()
        let bad = S3Client(endpoint: s3.proxy.baseURL, region: s3.region, bucket: good.bucket,
                           credentials: S3Credentials(accessKeyID: "AKUNKNOWN", secretAccessKey: s3.credentials.secretAccessKey))
        let error = try await #require(throws: S3Error.self) { try await bad.get("k") }
        #expect(error.code == "InvalidAccessKeyId")
    }

    @Test("the wrong region in the signature is refused")
    func wrongRegion() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let good = try await s3.client()
        let bad = S3Client(endpoint: s3.proxy.baseURL, region: "eu-west-1", bucket: good.bucket, credentials: s3.credentials)
        await #expect(throws: S3Error.self) { try await bad.listObjects() }
    }

    @Test("a missing bucket and a missing key are reported by their S3 codes")
    func missingThings() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let missingBucket = try await s3.client(bucket: "no-such-bucket-drbook", create: false)
        let bucketError = try await #require(throws: S3Error.self) { try await missingBucket.listObjects() }
        #expect(bucketError.code == "NoSuchBucket")
        #expect(bucketError.description.contains("Check the bucket name"))
        let client = try await s3.client()
        let keyError = try await #require(throws: S3Error.self) { try await client.get("velero/backups/nope/velero-backup.json") }
        #expect(keyError.code == "NoSuchKey")
        let streamError = try await #require(throws: S3Error.self) { try await client.stream("velero/backups/nope/nope.tar.gz") }
        #expect(streamError.code == "NoSuchKey")
    }
}

@Suite("The verifying proxy is strict, so a passing S3 test proves the signature")
struct VerifyingProxyStrictnessTests {
    /// Runs the curl CLI (the same libcurl 7.88) signing exactly what it is given.
    func curlStatus(_ s3: SignedS3, secret: String? = nil, path: String, payloadHeader: Bool = true) throws -> String {
        let curl = try Tools.require("curl", install: "apt-get install -y curl")
        var arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4", "aws:amz:\(s3.region):s3",
                         "--user", "\(s3.credentials.accessKeyID):\(secret ?? s3.credentials.secretAccessKey)"]
        if payloadHeader { arguments += ["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"] }
        return try Tools.run(curl, arguments + ["\(s3.proxy.baseURL.absoluteString)\(path)"])
    }

    @Test("canonical requests pass; unsorted queries, lowercase escapes, a wrong secret and a missing payload hash are refused")
    func strictness() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let bucket = try await s3.client().bucket
        #expect(try curlStatus(s3, path: "/\(bucket)?list-type=2&max-keys=3") == "200")
        #expect(try curlStatus(s3, path: "/\(bucket)?max-keys=3&list-type=2") == "403")
        #expect(try curlStatus(s3, path: "/\(bucket)?list-type=2&prefix=logs%2F") == "200")
        #expect(try curlStatus(s3, path: "/\(bucket)?list-type=2&prefix=logs%2f") == "403")
        #expect(try curlStatus(s3, secret: "wrong", path: "/\(bucket)?list-type=2") == "403")
        #expect(try curlStatus(s3, path: "/\(bucket)?list-type=2", payloadHeader: false) == "403")
    }
}
