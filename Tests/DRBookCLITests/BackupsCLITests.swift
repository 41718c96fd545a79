import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

/// A platform-shaped store on disk, written for now.
func generatedStore(faults: [GeneratorFault] = []) async throws -> (TemporaryDirectory, String, StoreScenario) {
    let directory = try TemporaryDirectory()
    let root = directory.path("velero/prod")
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    var scenario = StoreScenario.platform(now: Date())
    scenario.faults = faults
    _ = try await VeleroStoreGenerator(scenario: scenario).write(to: DirectoryBackupStore(root: root))
    return (directory, "file://\(root)", scenario)
}

@Suite("drbook backups: list and verify from the command line", .offPoolOneAtATime)
struct BackupsCLITests {
    @Test("verify passes on a healthy store and shows the backup, every volume and the next command")
    func verifyHealthy() async throws {
        let (directory, store, scenario) = try await generatedStore()
        _ = directory
        let arguments = ["backups", "verify", "--store", store, "--namespace", scenario.namespace, "--rpo", "24h"]
            + scenario.pvcGlobs.flatMap { ["--expect-pvc", $0] }
        let result = try await drbook(arguments)
        #expect(result.status == 0, "\(result.all)")
        #expect(result.stdout.contains("Verdict:    PASSED"))
        for pvc in scenario.pvcNames { #expect(result.stdout.contains(pvc)) }
        #expect(result.stdout.contains("More: drbook backups list --store \(store)"))
    }

    @Test("verify fails with exit 1 and names the PVC whose snapshot id is empty, with the fix")
    func verifyEmptySnapshot() async throws {
        let pvc = StoreScenario.platform(now: Date()).pvcNames[0]
        let (directory, store, scenario) = try await generatedStore(faults: [.emptySnapshotID(pvc: pvc)])
        _ = directory
        let result = try await drbook(["backups", "verify", "--store", store, "--namespace", scenario.namespace])
        #expect(result.status == 1)
        #expect(result.stdout.contains("Verdict:    FAILED"))
        #expect(result.stdout.contains("[failure]"))
        #expect(result.stdout.contains(pvc))
        #expect(result.stdout.contains("Fix: "))
    }

    @Test("verify -o json prints the whole verdict as JSON")
    func verifyJSON() async throws {
        let (directory, store, scenario) = try await generatedStore()
        _ = directory
        let result = try await drbook(["backups", "verify", "--store", store, "--namespace", scenario.namespace, "-o", "json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "passed")
        #expect(object["isGreen"] as? Bool == true)
        #expect(object["namespace"] as? String == scenario.namespace)
        #expect((object["volumes"] as? [Any])?.count == scenario.pvcNames.count)
    }

    @Test("--env takes the store from drbook.yaml's environment, flags still win, and a missing or unknown one is bad input")
    func profileEnvironment() async throws {
        let (directory, store, scenario) = try await generatedStore()
        try """
            apiVersion: drbook/v1
            environments:
              prod:
                params:
                  store: \(store)
                  region: auto
              broken:
                params:
                  store: file:///nowhere/velero/prod
            """.write(toFile: directory.path("drbook.yaml"), atomically: true, encoding: .utf8)
        let fromProfile = try await drbook(["backups", "verify", "--env", "prod", "--namespace", scenario.namespace], directory: directory.path(""))
        #expect(fromProfile.status == 0, "\(fromProfile.all)")
        #expect(fromProfile.stdout.contains("Verdict:    PASSED"))

        let flagWins = try await drbook(["backups", "list", "--env", "broken", "--store", store], directory: directory.path(""))
        #expect(flagWins.status == 0, "\(flagWins.all)")

        let unknown = try await drbook(["backups", "list", "--env", "staging"], directory: directory.path(""))
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("drbook.yaml:2:1: drbook.yaml has no environment 'staging'; known environments: prod, broken."), "\(unknown.stderr)")

        let none = try await drbook(["backups", "list"], directory: directory.path(""))
        #expect(none.status == 2)
        #expect(none.stderr.contains("No store: give --store"))
    }

    @Test("a store that cannot be read gives no verdict: exit 2, not the exit 1 of a red verdict")
    func unreadableStore() async throws {
        let result = try await drbook(["backups", "verify", "--store", "s3://bucket/velero/prod", "--endpoint", "http://127.0.0.1:\(closedPort())",
                                       "--namespace", "monitoring"],
                                      environment: ["AWS_ACCESS_KEY_ID": "AKTEST", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret"])
        #expect(result.status == 2, "\(result.all)")
        #expect(result.stderr.contains("no verdict: the store could not be read"))
        #expect(!result.all.contains("not-a-real-secret"))
    }

    @Test("list shows every backup newest first with its phase")
    func list() async throws {
        let (directory, store, _) = try await generatedStore()
        _ = directory
        let result = try await drbook(["backups", "list", "--store", store])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAME") == true)
        #expect(lines.count == 4)
        #expect(lines.dropFirst().allSatisfy { $0.contains("Completed") && $0.contains("daily-full") })
    }

    @Test("bad store locations and durations exit 2 with the fix", arguments: [
        (["backups", "verify", "--store", "ftp://x/y", "--namespace", "monitoring"], "is not a backup store location"),
        (["backups", "verify", "--store", "file:///tmp", "--namespace", "monitoring", "--rpo", "soon"], "is not a duration"),
        (["backups", "list", "--store", "s3://bucket/velero/prod"], "endpoint"),
    ])
    func badInput(arguments: [String], message: String) async throws {
        let result = try await drbook(arguments)
        #expect(result.status == 2, "\(result.all)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
