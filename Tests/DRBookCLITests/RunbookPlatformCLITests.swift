import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

/// One runbook, two platform layouts: verify-backups takes its namespace and the volumes
/// it expects from the platform profile drbook.yaml chooses, not from its own text.
@Suite("Runbooks read the platform profile", .offPoolOneAtATime)
struct RunbookPlatformCLITests {
    @Test("with platform: head, verify-backups verifies namespace observability and expects the head layout's volumes")
    func headLayout() async throws {
        let directory = try TemporaryDirectory()
        let root = directory.path("velero/prod")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let scenario = StoreScenario(now: Date(), namespace: "observability", workloads: [
            .init(statefulSet: "coroot-coroot", claimTemplate: "data", storage: "2Gi", usedBytes: 4_096),
        ], schedule: "daily-full")
        _ = try await VeleroStoreGenerator(scenario: scenario).write(to: DirectoryBackupStore(root: root))
        try "apiVersion: drbook/v1\nplatform: head\n".write(toFile: directory.path("drbook.yaml"), atomically: true, encoding: .utf8)
        let arguments = ["run", "verify-backups", "--param", "store=file://\(root)", "--runs-dir", directory.path("runs"),
                         "--runbooks", repositoryRoot.appendingPathComponent("runbooks").path,
                         "--docs", repositoryRoot.appendingPathComponent("docs").path]

        let head = try await drbook(arguments, directory: directory.path(""))
        #expect(head.status == 1, "\(head.all)")
        #expect(head.all.contains("verifying namespace observability in file://\(root)"), "\(head.all)")
        // The claim the store holds passes; each other volume of the head layout is named as missing.
        #expect(head.all.contains("no PVC matching 'data-coroot-prometheus' is in backup"), "\(head.all)")
        #expect(head.all.contains("no PVC matching 'coroot-db-*' is in backup"))
        #expect(!head.all.contains("no PVC matching 'data-coroot-coroot-*'"))

        let show = try await drbook(["show", "verify-backups", "--runbooks", repositoryRoot.appendingPathComponent("runbooks").path],
                                    directory: directory.path(""))
        #expect(show.stdout.contains("  namespace  (string, default ${{ platform.namespaces.observability }})  The namespace whose volumes must be restorable."), "\(show.stdout)")

        // The same runbook and store under the document's layout look for monitoring, which the store lacks.
        try "apiVersion: drbook/v1\n".write(toFile: directory.path("drbook.yaml"), atomically: true, encoding: .utf8)
        let document = try await drbook(arguments, directory: directory.path(""))
        #expect(document.status == 1)
        #expect(document.all.contains("verifying namespace monitoring in file://\(root)"), "\(document.all)")
    }
}
