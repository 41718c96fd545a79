import DRBookObjectStore
import DRBookTestSupport
import Foundation
import Testing

/// A credentials file with `text` in a fresh directory (kept alive by the caller).
private func credentialsFile(_ text: String) throws -> (TemporaryDirectory, String) {
    let directory = try TemporaryDirectory()
    let path = directory.path("credentials")
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return (directory, path)
}

private let secretA = "A-SECRET-\(UUID().uuidString)"
private let secretB = "B-SECRET-\(UUID().uuidString)"

@Suite("The AWS shared-credentials file, read as botocore reads it")
struct SharedCredentialsFileTests {
    @Test("profiles are sections; keys are case-insensitive, '=' or ':' separated; comments and blank lines are skipped")
    func parsesProfiles() throws {
        let file = try SharedCredentialsFile.parse("""
            # made by aws configure
            [default]
            aws_access_key_id = AKDEFAULT
            AWS_Secret_Access_Key=\(secretA)

            ; R2 token for Velero
            [r2-prod]
            aws_access_key_id: AKR2
            aws_secret_access_key : \(secretB)
            aws_session_token = TOKEN
            region = auto
            """, path: "/tmp/credentials")
        #expect(file.profiles == ["default", "r2-prod"])
        let fallback = try file.credentials(profile: "default")
        #expect(fallback.accessKeyID == "AKDEFAULT" && fallback.secretAccessKey == secretA && fallback.sessionToken == nil)
        let r2 = try file.credentials(profile: "r2-prod")
        #expect(r2.accessKeyID == "AKR2" && r2.secretAccessKey == secretB && r2.sessionToken == "TOKEN")
        #expect(!String(describing: file).contains(secretA) && !String(describing: r2).contains(secretB))
    }

    @Test("malformed files fail with file:line, what is wrong and the fix, never a value", arguments: [
        ("[default]\naws_access_key_id = AK\n\(secretA)\n", 3, "neither [PROFILE], KEY = VALUE nor a comment"),
        ("aws_secret_access_key = \(secretA)\n[default]\n", 1, "comes before any [PROFILE] header"),
        ("[default\naws_secret_access_key = \(secretA)\n", 1, "section header is not closed"),
        ("[default]\naws_access_key_id = AK\n[default]\naws_secret_access_key = \(secretA)\n", 3, "defined again (first at line 1)"),
        ("[default]\naws_secret_access_key = x\naws_secret_access_key = \(secretA)\n", 3, "set twice in [default] (first at line 2)"),
        ("[default]\n = \(secretA)\n", 2, "a value has no key"),
    ])
    func malformed(text: String, line: Int, message: String) throws {
        let error = #expect(throws: SharedCredentialsError.self) { try SharedCredentialsFile.parse(text, path: "/home/op/.aws/credentials") }
        #expect(error?.line == line)
        #expect(error?.description.hasPrefix("/home/op/.aws/credentials:\(line): ") == true, "\(String(describing: error))")
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.contains("Fix: ") == true)
        #expect(error?.description.contains(secretA) == false)
    }

    @Test("an unknown profile lists the file's profiles; a profile without its secret names the header's line")
    func incompleteProfiles() throws {
        let file = try SharedCredentialsFile.parse("[default]\naws_access_key_id = AK\n\n[ci]\naws_access_key_id = AK2\naws_secret_access_key = \(secretA)\n", path: "/c")
        let unknown = #expect(throws: SharedCredentialsError.self) { try file.credentials(profile: "prod") }
        #expect(unknown?.description.contains("has no profile [prod]; its profiles are [default], [ci]") == true, "\(String(describing: unknown))")
        let missing = #expect(throws: SharedCredentialsError.self) { try file.credentials(profile: "default") }
        #expect(missing?.description.hasPrefix("/c:1: ") == true)
        #expect(missing?.description.contains("has no aws_secret_access_key") == true, "\(String(describing: missing))")
    }
}

@Suite("Credentials for an s3:// store: a named profile, environment keys, then AWS_PROFILE or default")
struct S3CredentialChainTests {
    @Test("as with aws --profile, a named profile wins over environment keys, which win over AWS_PROFILE (reported as not used)")
    func botocorePrecedence() throws {
        let (directory, path) = try credentialsFile("[default]\naws_access_key_id = FILE\naws_secret_access_key = \(secretA)\n")
        _ = directory
        let keys = ["AWS_ACCESS_KEY_ID": "ENV", "AWS_SECRET_ACCESS_KEY": secretB, "AWS_SHARED_CREDENTIALS_FILE": path]
        let named = try S3CredentialChain.resolve(profile: "default", environment: keys)
        #expect(named.credentials.accessKeyID == "FILE")
        #expect(named.origin == .sharedCredentialsFile(path: path, profile: "default"))
        #expect(named.environmentKeysIgnored)

        var withVariable = keys
        withVariable["AWS_PROFILE"] = "default"
        let fromEnvironment = try S3CredentialChain.resolve(environment: withVariable)
        #expect(fromEnvironment.credentials.accessKeyID == "ENV")
        #expect(fromEnvironment.origin == .environment)
        #expect(fromEnvironment.shadowedProfile == "default")
        #expect(!fromEnvironment.environmentKeysIgnored)
    }

    @Test("the profile comes from --profile, else AWS_PROFILE, else default; the file from AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials")
    func profileSelection() throws {
        let text = "[default]\naws_access_key_id = DEF\naws_secret_access_key = \(secretA)\n[ops]\naws_access_key_id = OPS\naws_secret_access_key = \(secretB)\n"
        let (directory, path) = try credentialsFile(text)
        let byDefault = try S3CredentialChain.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": path])
        #expect(byDefault.credentials.accessKeyID == "DEF")
        #expect(byDefault.origin == .sharedCredentialsFile(path: path, profile: "default"))
        let byVariable = try S3CredentialChain.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": path, "AWS_PROFILE": "ops"])
        #expect(byVariable.credentials.accessKeyID == "OPS")
        let byFlag = try S3CredentialChain.resolve(profile: "default", environment: ["AWS_SHARED_CREDENTIALS_FILE": path, "AWS_PROFILE": "ops"])
        #expect(byFlag.credentials.accessKeyID == "DEF")

        try FileManager.default.createDirectory(atPath: directory.path("home/.aws"), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory.path("home/.aws/credentials")))
        let fromHome = try S3CredentialChain.resolve(profile: "ops", environment: ["HOME": directory.path("home")])
        #expect(fromHome.origin == .sharedCredentialsFile(path: directory.path("home/.aws/credentials"), profile: "ops"))
        let tilde = try S3CredentialChain.resolve(environment: ["HOME": directory.path("home"), "AWS_SHARED_CREDENTIALS_FILE": "~/.aws/credentials"])
        #expect(tilde.credentials.accessKeyID == "DEF")
    }

    @Test("half a key pair, a missing named file and no source at all are errors that say what to set")
    func failures() throws {
        let half = #expect(throws: ObjectStoreInputError.self) {
            try S3CredentialChain.resolve(environment: ["AWS_ACCESS_KEY_ID": "AK", "HOME": "/nonexistent"])
        }
        #expect(half?.description.contains("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not") == true)
        let none = #expect(throws: ObjectStoreInputError.self) { try S3CredentialChain.resolve(environment: ["HOME": "/nonexistent"]) }
        #expect(none?.description.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put a profile in ~/.aws/credentials") == true)
        let named = #expect(throws: SharedCredentialsError.self) {
            try S3CredentialChain.resolve(profile: "prod", environment: ["HOME": "/nonexistent"])
        }
        #expect(named?.description.contains("/nonexistent/.aws/credentials: the AWS shared-credentials file does not exist (profile [prod] was asked for)") == true,
                "\(String(describing: named))")
    }

    @Test("credentials from a profile sign requests a strict SigV4 verifier accepts", .timeLimit(.minutes(2)))
    func signsWithProfile() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let (directory, path) = try credentialsFile("""
            [velero-r2]
            aws_access_key_id = \(s3.credentials.accessKeyID)
            aws_secret_access_key = \(s3.credentials.secretAccessKey)
            """)
        _ = directory
        let resolved = try S3CredentialChain.resolve(profile: "velero-r2", environment: ["AWS_SHARED_CREDENTIALS_FILE": path])
        let bucket = "drbook-\(UUID().uuidString.prefix(8).lowercased())"
        let client = S3Client(endpoint: s3.proxy.baseURL, region: s3.region, bucket: bucket, credentials: resolved.credentials)
        try await client.createBucket()
        try await client.put("velero/prod/backups/b/velero-backup.json", body: .bytes(Data("{}".utf8)))
        #expect(try await client.get("velero/prod/backups/b/velero-backup.json") == Data("{}".utf8))
    }
}
