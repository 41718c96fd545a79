import DRBookHTTP
import DRBookObjectStore
import DRBookTestSupport
import Foundation
import Testing

@Suite("S3 failures a real store has: dropped downloads, SlowDown, AccessDenied", .timeLimit(.minutes(3)))
struct StoreFaultTests {
    /// Reads the whole object through the resuming reader on a thread that may block.
    func readAll(_ reader: ResumingObjectReader) async throws -> Data {
        try await offPool {
            var data = Data()
            while let chunk = try reader.nextChunkBlocking() { data.append(chunk) }
            return data
        }
    }

    @Test("a download cut off mid-body twice resumes where it stopped and yields the object byte for byte")
    func resumesAfterCut() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        let payload = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ ($0 >> 9)) })
        try await client.put("backups/b/b.tar.gz", body: .bytes(payload))
        try await s3.cutDownloads(bucket: client.bucket, key: "backups/b/b.tar.gz", after: 700_000, times: 2)

        let reader = try await ResumingObjectReader(client: client, key: "backups/b/b.tar.gz")
        let read = try await readAll(reader)
        #expect(read.count == payload.count)
        #expect(read == payload)
        #expect(reader.resumes == 2)
    }

    @Test("a download that keeps breaking fails after its resumes, as the transfer error it is")
    func givesUp() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("backups/c/c.tar.gz", body: .bytes(Data(repeating: 7, count: 1 << 20)))
        try await s3.cutDownloads(bucket: client.bucket, key: "backups/c/c.tar.gz", after: 1_000, times: 10)

        let reader = try await ResumingObjectReader(client: client, key: "backups/c/c.tar.gz", maxResumes: 2)
        let error = await #expect(throws: HTTPError.self) { try await readAll(reader) }
        #expect(error?.isTransient == true)
        #expect(reader.resumes == 3)
    }

    @Test("SlowDown answers are retried with backoff until the object comes")
    func slowDownRetried() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("backups/d/velero-backup.json", body: .bytes(Data("{}".utf8)))
        try await s3.failRequests(bucket: client.bucket, key: "backups/d/velero-backup.json", status: 503, code: "SlowDown", times: 2)
        #expect(try await client.get("backups/d/velero-backup.json") == Data("{}".utf8))
    }

    @Test("AccessDenied is reported with its code, the object and what to check; it is not retried")
    func accessDenied() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("backups/e/velero-backup.json", body: .bytes(Data("{}".utf8)))
        try await s3.failRequests(bucket: client.bucket, key: "backups/e/velero-backup.json", status: 403, code: "AccessDenied", times: 1)
        let error = await #expect(throws: S3Error.self) { try await client.get("backups/e/velero-backup.json") }
        #expect(error?.code == "AccessDenied")
        #expect(error?.status == 403)
        #expect(error?.description.contains("s3://\(client.bucket)/backups/e/velero-backup.json") == true)
        #expect(error?.description.contains("check the token's bucket scope and permissions") == true)
        // One refusal only was injected: the next request goes through, so none was retried.
        #expect(try await client.get("backups/e/velero-backup.json") == Data("{}".utf8))
    }

    @Test("SlowDown on every attempt ends in the SlowDown error with its hint")
    func slowDownExhausted() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("backups/f/velero-backup.json", body: .bytes(Data("{}".utf8)))
        try await s3.failRequests(bucket: client.bucket, key: "backups/f/velero-backup.json", status: 503, code: "SlowDown", times: 20)
        let error = await #expect(throws: (any Error).self) { try await client.get("backups/f/velero-backup.json") }
        #expect(String(describing: error).contains("SlowDown"))
        #expect(String(describing: error).contains("retry later"))
    }
}
