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

    @Test("an s3 location without an endpoint or credentials cannot be opened, and says what to pass")
    func openNeedsEndpoint() throws {
        let location = try StoreLocation.parse("s3://b/velero/prod")
        let error = #expect(throws: StoreLocationError.self) { try location.open(endpoint: nil, credentials: nil) }
        #expect(error?.fix.contains("--endpoint") == true)
        #expect(try StoreLocation.parse("file:///tmp/x").open(endpoint: nil, credentials: nil) is DirectoryBackupStore)
    }

    @Test("a file store whose directory does not exist says so instead of looking empty")
    func missingDirectory() async throws {
        let store = try StoreLocation.parse("file:///nonexistent/drbook-mirror").open(endpoint: nil, credentials: nil)
        let error = await #expect(throws: BackupStoreError.self) {
            try await StoreVerifier(store: store).verify(namespace: "monitoring", rpo: 86_400)
        }
        #expect(error?.description == "/nonexistent/drbook-mirror: the store directory does not exist. Fix: pass the mirror's directory that holds backups/ (--store file:///DIR), or sync the mirror first.")
    }
}
