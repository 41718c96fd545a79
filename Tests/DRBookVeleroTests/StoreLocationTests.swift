import DRBookVelero
import Foundation
import Testing

@Suite("Store locations are named s3://BUCKET/PREFIX or file:///DIR")
struct StoreLocationTests {
    @Test("an s3 location keeps the bucket and the prefix trimmed of slashes, as Velero trims it")
    func s3() throws {
        #expect(try StoreLocation.parse("s3://r2-backups/velero/prod/") == .s3(bucket: "r2-backups", prefix: "velero/prod"))
        #expect(try StoreLocation.parse("s3://r2-backups") == .s3(bucket: "r2-backups", prefix: ""))
        let location = try StoreLocation.parse("s3://b/velero/prod")
        #expect(location.description == "s3://b/velero/prod")
        #expect(location.display("backups/x/velero-backup.json") == "s3://b/velero/prod/backups/x/velero-backup.json")
    }

    @Test("a file location is the mirror directory that holds backups/")
    func file() throws {
        #expect(try StoreLocation.parse("file:///srv/mirror/velero/prod/") == .directory(path: "/srv/mirror/velero/prod"))
        #expect(try StoreLocation.parse("file:///srv/m").display("kopia/monitoring/") == "/srv/m/kopia/monitoring/")
    }

    @Test("other schemes, a missing bucket and empty prefix segments are refused with the form to use")
    func refused() {
        for text in ["gs://b/p", "/plain/path", "s3:///velero", "s3://b/velero//prod", "s3://b/../x"] {
            let error = #expect(throws: StoreLocationError.self) { try StoreLocation.parse(text) }
            #expect(error?.description.contains("'\(text)' is not a backup store location") == true)
            #expect(error?.description.contains("Fix:") == true)
        }
    }

    @Test("an s3 location without an endpoint cannot be opened, and says what to give in the caller's words; a file:// one needs nothing")
    func openNeedsEndpoint() async throws {
        var settings = StoreSettings()
        settings[.store] = "s3://b/velero/prod"
        settings[.endpoint] = ""  // an empty value is "not given", as a runbook's default is
        for (naming, name) in [(StoreSettingNaming.flags, "--endpoint"), (.inputs, "input 'endpoint'")] {
            let error = await #expect(throws: StoreAccessError.self) {
                try await StoreAccess(settings: settings, naming: naming, environment: [:], credentialKeys: nil).open()
            }
            #expect(error?.subject == name)
            #expect(error?.fix == "give \(name) (for R2: https://ACCOUNT_ID.r2.cloudflarestorage.com) or set AWS_ENDPOINT_URL_S3")
        }
        settings[.store] = "file:///tmp/x"
        let opened = try await StoreAccess(settings: settings, naming: .flags, environment: [:], credentialKeys: nil).open()
        #expect(opened.store is DirectoryBackupStore)
        #expect(opened.credentialOrigin == nil)
    }

    @Test("the endpoint falls back to AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL")
    func endpointFallback() throws {
        var settings = StoreSettings()
        settings[.store] = "s3://b/velero/prod"
        let both = StoreAccess(settings: settings, naming: .inputs, credentialKeys: nil)
        var access = both
        access.environment = ["AWS_ENDPOINT_URL_S3": "https://s3.example:9000", "AWS_ENDPOINT_URL": "https://all.example"]
        #expect(try access.endpoint().absoluteString == "https://s3.example:9000")
        access.environment = ["AWS_ENDPOINT_URL": "https://all.example"]
        #expect(try access.endpoint().absoluteString == "https://all.example")
        access.settings[.endpoint] = "https://given.example"
        #expect(try access.endpoint().absoluteString == "https://given.example")
    }

    @Test("a file store whose directory does not exist says so instead of looking empty")
    func missingDirectory() async throws {
        let store = DirectoryBackupStore(root: "/nonexistent/drbook-mirror")
        let error = await #expect(throws: BackupStoreError.self) {
            try await StoreVerifier(store: store).verify(namespace: "monitoring", rpo: 86_400)
        }
        #expect(error?.description == "/nonexistent/drbook-mirror: the store directory does not exist. Fix: pass the mirror's directory that holds backups/ (--store file:///DIR), or sync the mirror first.")
    }
}
