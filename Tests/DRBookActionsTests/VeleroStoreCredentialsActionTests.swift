import DRBookActions
import DRBookObjectStore
import DRBookRunbook
import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

@Suite("velero.verifyStore reads an s3:// store with a shared-credentials profile", .timeLimit(.minutes(3)))
struct VeleroStoreCredentialsActionTests {
    @Test("input 'profile' picks the profile of AWS_SHARED_CREDENTIALS_FILE; the secret never reaches the log")
    func profileInput() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        let generated = try await VeleroStoreGenerator(scenario: .platform(now: Date()))
            .write(to: S3BackupStore(client: client, prefix: "velero/prod"))
        let directory = try TemporaryDirectory()
        try Data("""
            [default]
            aws_access_key_id = WRONG
            aws_secret_access_key = WRONG
            [velero-r2]
            aws_access_key_id = \(s3.credentials.accessKeyID)
            aws_secret_access_key = \(s3.credentials.secretAccessKey)
            """.utf8).write(to: URL(fileURLWithPath: directory.path("credentials")))
        let run = ActionRun(environment: ActionEnvironment(processEnvironment: ["AWS_SHARED_CREDENTIALS_FILE": directory.path("credentials")]))
        let outputs = try await run("velero.verifyStore", [
            "store": .string("s3://\(client.bucket)/velero/prod"), "endpoint": .string(s3.proxy.baseURL.absoluteString),
            "namespace": .string("monitoring"), "profile": .string("velero-r2"),
        ])
        #expect(outputs["backup"] == .string(generated.newest))
        #expect(!run.reports.lines.joined().contains(s3.credentials.secretAccessKey))
    }

    @Test("a malformed credentials file fails the step naming file:line and the fix")
    func malformedFile() async throws {
        let directory = try TemporaryDirectory()
        try Data("[default]\nnot a setting\n".utf8).write(to: URL(fileURLWithPath: directory.path("credentials")))
        let run = ActionRun(environment: ActionEnvironment(processEnvironment: ["AWS_SHARED_CREDENTIALS_FILE": directory.path("credentials")]))
        let error = await actionError {
            try await run("velero.verifyStore", ["store": .string("s3://backups/velero/prod"), "endpoint": .string("http://127.0.0.1:9"),
                                                 "namespace": .string("monitoring")])
        }
        #expect(error?.subject == "\(directory.path("credentials")):2")
        #expect(error?.message.contains("neither [PROFILE], KEY = VALUE nor a comment") == true, "\(String(describing: error))")
        #expect(error?.fix?.contains("KEY = VALUE") == true)
    }
}
