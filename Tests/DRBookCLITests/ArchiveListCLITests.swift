import DRBookArchive
import DRBookTestSupport
import Foundation
import Testing

func writeSampleTarball(_ path: String) throws {
    let writer = try TarGzWriter(path: path)
    try writer.addFile("metadata/version", contents: Data("1\n".utf8))
    for name in ["prometheus-db-0", "alertmanager-db-0", "storage-loki-0"] {
        try writer.addFile("resources/persistentvolumeclaims/namespaces/monitoring/\(name).json", contents: Data("{}".utf8))
        try writer.addFile("resources/pods/namespaces/monitoring/\(name)-pod.json", contents: Data("{}".utf8))
    }
    try writer.finish()
}

@Suite("drbook command line: version, help, exit codes, archive list", .offPoolOneAtATime)
struct ArchiveListCLITests {
    @Test("--version prints the version and --help lists only working commands")
    func versionAndHelp() async throws {
        let version = try await drbook(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try await drbook(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("archive"))
    }

    @Test("archive list reads a local tarball and filters entries")
    func listLocalFile() async throws {
        let directory = try TemporaryDirectory()
        try writeSampleTarball(directory.path("b.tar.gz"))
        let result = try await drbook(["archive", "list", directory.path("b.tar.gz"), "--match", "persistentvolumeclaims"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("resources/persistentvolumeclaims/namespaces/monitoring/prometheus-db-0.json"))
        #expect(!result.stdout.contains("resources/pods/"))
        #expect(result.stdout.contains("3 of 7 entries shown"))
    }

    @Test("archive list streams a tarball from an S3 bucket, signed with SigV4")
    func listFromS3() async throws {
        let directory = try TemporaryDirectory()
        try writeSampleTarball(directory.path("b.tar.gz"))
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        try await client.put("velero/backups/b/b.tar.gz", body: .file(path: directory.path("b.tar.gz")))
        let credentials = ["AWS_ACCESS_KEY_ID": s3.credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": s3.credentials.secretAccessKey]
        let result = try await drbook(["archive", "list", "s3://\(client.bucket)/velero/backups/b/b.tar.gz", "--endpoint", s3.proxy.baseURL.absoluteString],
                                      environment: credentials)
        #expect(result.status == 0)
        #expect(result.stdout.contains("7 of 7 entries shown"))
        #expect(!result.all.contains(s3.credentials.secretAccessKey))
    }

    @Test("a refused signature fails with exit 1 and the S3 code, never the secret")
    func wrongSecret() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        let secret = "WRONG-\(UUID().uuidString)"
        let result = try await drbook(["archive", "list", "s3://\(client.bucket)/x.tar.gz", "--endpoint", s3.proxy.baseURL.absoluteString],
                                      environment: ["AWS_ACCESS_KEY_ID": s3.credentials.accessKeyID, "AWS_SECRET_ACCESS_KEY": secret])
        #expect(result.status == 1)
        #expect(result.stderr.contains("SignatureDoesNotMatch"))
        #expect(!result.all.contains(secret))
    }

    @Test("bad input exits 2 with a message that says how to fix it", arguments: [
        (["archive", "list"], "Missing expected argument"),
        (["archive", "list", "http://x/y"], "use s3://BUCKET/KEY, file:///PATH or a plain path"),
        (["archive", "list", "/nonexistent/b.tar.gz"], "check the path"),
        (["archive", "list", "s3://bucket"], "write it as s3://BUCKET/KEY"),
        (["archive", "list", "s3://b/k"], "needs the endpoint of the S3 API. Fix: give --endpoint"),
        (["archive", "list", "s3://b/k", "--endpoint", "ftp://x"], "is not an http(s) URL"),
        (["archive", "list", "s3://b/k", "--endpoint", "http://127.0.0.1:1"], "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
    ])
    func badInput(arguments: [String], message: String) async throws {
        let result = try await drbook(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message))
    }

    @Test("a corrupt tarball fails with exit 1 naming the archive")
    func corruptTarball() async throws {
        let directory = try TemporaryDirectory()
        try writeSampleTarball(directory.path("b.tar.gz"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.path("b.tar.gz")))
        try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: directory.path("cut.tar.gz")))
        let result = try await drbook(["archive", "list", directory.path("cut.tar.gz")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cut.tar.gz: corrupt or truncated archive"))
    }
}
