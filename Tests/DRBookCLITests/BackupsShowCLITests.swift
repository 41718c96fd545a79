import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

/// The platform store generated into a new bucket behind the SigV4-verifying proxy.
func storeInBucket(faults: [GeneratorFault] = []) async throws -> (SignedS3, String, GeneratedStore) {
    let s3 = try await TestServers.shared.signedS3()
    let client = try await s3.client()
    var scenario = StoreScenario.platform(now: Date())
    scenario.faults = faults
    let generated = try await VeleroStoreGenerator(scenario: scenario).write(to: S3BackupStore(client: client, prefix: "velero/prod"))
    return (s3, "s3://\(client.bucket)/velero/prod", generated)
}

/// The newest backup's name, as `backups list -o json` gives it.
private func newestBackup(_ store: String) async throws -> String {
    let listing = try await drbook(["backups", "list", "--store", store, "-o", "json"])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [String: Any], "\(listing.all)")
    return try #require((object["backups"] as? [[String: Any]])?.first?["name"] as? String)
}

/// An environment without the machine's keys, profiles or age keys.
func isolated(_ directory: TemporaryDirectory, _ extra: [String: String] = [:]) -> [String: String] {
    var environment = ["HOME": directory.path("home"), "AWS_PROFILE": "", "AWS_SHARED_CREDENTIALS_FILE": "",
                       "SOPS_AGE_KEY": "", "SOPS_AGE_KEY_FILE": ""]
    for (key, value) in extra { environment[key] = value }
    return environment
}

@Suite("drbook backups show, and store credentials from a profile or a SOPS file", .timeLimit(.minutes(5)), .offPoolOneAtATime)
struct BackupsShowCLITests {
    @Test("show prints the metadata, resource counts, every pod volume, the messages and the files, and exits 0")
    func showText() async throws {
        let (directory, store, scenario) = try await generatedStore(faults: [.partiallyFailed(errorsInNamespace: false)])
        _ = directory
        let name = try await newestBackup(store)
        let result = try await drbook(["backups", "show", name, "--store", store])
        #expect(result.status == 0, "\(result.all)")
        for line in ["Phase:              PartiallyFailed", "Errors:             1", "Schedule:           daily-full",
                     "Storage location:   default", "excluded: kube-system, velero", "Format version:     1.1.0",
                     "v1/PersistentVolumeClaim  \(scenario.pvcNames.count)", "Namespaces: cert-manager (", "Pod volume backups (4):",
                     "  cluster: error backing up item", "Warnings: none recorded.", "\(name).tar.gz",
                     "More: drbook backups show \(name) --store \(store) --namespace NAMESPACE"] {
            #expect(result.stdout.contains(line), "missing '\(line)' in:\n\(result.stdout)")
        }
        for pvc in scenario.pvcNames { #expect(result.stdout.contains(pvc)) }
    }

    @Test("show --namespace adds this backup's verdict; a PVC without a snapshot id fails it with exit 1")
    func showVerdict() async throws {
        let pvc = StoreScenario.platform(now: Date()).pvcNames[0]
        let (directory, store, scenario) = try await generatedStore(faults: [.emptySnapshotID(pvc: pvc)])
        _ = directory
        let name = try await newestBackup(store)
        let result = try await drbook(["backups", "show", name, "--store", store, "--namespace", scenario.namespace])
        #expect(result.status == 1, "\(result.all)")
        #expect(result.stdout.contains("MISSING"))
        #expect(result.stdout.contains("Verdict:    FAILED — namespace \(scenario.namespace)"))
        #expect(result.stdout.contains("is Completed but has no snapshotID"))
        #expect(result.stdout.contains("More: drbook backups verify --store \(store) --namespace \(scenario.namespace)"))
    }

    @Test("show -o json holds the metadata, the counts, the pod volumes, the results and the verdict")
    func showJSON() async throws {
        let (directory, store, scenario) = try await generatedStore()
        _ = directory
        let name = try await newestBackup(store)
        let result = try await drbook(["backups", "show", name, "--store", store, "--namespace", scenario.namespace, "-o", "json"])
        #expect(result.status == 0, "\(result.all)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["name"] as? String == name)
        #expect((object["metadata"] as? [String: Any])?["phase"] as? String == "Completed")
        #expect(((object["resources"] as? [String: Any])?["byKind"] as? [String: Int])?["v1/PersistentVolumeClaim"] == scenario.pvcNames.count)
        #expect((object["podVolumeBackups"] as? [[String: Any]])?.allSatisfy { $0["hasSnapshotID"] as? Bool == true } == true)
        #expect(((object["verdict"] as? [String: Any])?["volumes"] as? [Any])?.count == scenario.pvcNames.count)
    }

    @Test("a backup that does not exist exits 2 naming the nearest backups")
    func showMissing() async throws {
        let (directory, store, _) = try await generatedStore()
        _ = directory
        let result = try await drbook(["backups", "show", "daily-full", "--store", store])
        #expect(result.status == 2, "\(result.all)")
        #expect(result.stderr.contains("no backup named 'daily-full'"))
        #expect(result.stderr.contains("the nearest names are daily-full-"))
        #expect(result.stderr.contains("drbook backups list --store \(store)"))
    }

    @Test("an s3:// store is read with the keys of a shared-credentials profile; the secret is never printed")
    func profileCredentials() async throws {
        let (s3, store, generated) = try await storeInBucket()
        let directory = try TemporaryDirectory()
        try Data("""
            [default]
            aws_access_key_id = WRONG
            aws_secret_access_key = WRONG

            [velero-r2]
            aws_access_key_id = \(s3.credentials.accessKeyID)
            aws_secret_access_key = \(s3.credentials.secretAccessKey)
            """.utf8).write(to: URL(fileURLWithPath: directory.path("credentials")))
        let environment = isolated(directory, ["AWS_SHARED_CREDENTIALS_FILE": directory.path("credentials")])
        let endpoint = ["--endpoint", s3.proxy.baseURL.absoluteString]

        let shown = try await drbook(["backups", "show", generated.newest, "--store", store, "--profile", "velero-r2", "--namespace", "monitoring"] + endpoint,
                                     environment: environment)
        #expect(shown.status == 0, "\(shown.all)")
        #expect(shown.stdout.contains("Verdict:    PASSED"))
        let viaVariable = try await drbook(["backups", "list", "--store", store] + endpoint, environment: environment.merging(["AWS_PROFILE": "velero-r2"]) { $1 })
        #expect(viaVariable.status == 0, "\(viaVariable.all)")
        #expect(viaVariable.stdout.contains(generated.newest))
        let unknown = try await drbook(["backups", "list", "--store", store, "--profile", "prod"] + endpoint, environment: environment)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("has no profile [prod]; its profiles are [default], [velero-r2]"), "\(unknown.stderr)")
        for result in [shown, viaVariable, unknown] { #expect(!result.all.contains(s3.credentials.secretAccessKey)) }
    }

    @Test("a malformed credentials file exits 2 with file:line and the fix")
    func malformedCredentials() async throws {
        let directory = try TemporaryDirectory()
        let secret = "S-\(UUID().uuidString)"
        try Data("[default]\naws_access_key_id = AK\n\(secret)\n".utf8).write(to: URL(fileURLWithPath: directory.path("credentials")))
        let result = try await drbook(["backups", "list", "--store", "s3://bucket/velero/prod", "--endpoint", "http://127.0.0.1:1"],
                                      environment: isolated(directory, ["AWS_SHARED_CREDENTIALS_FILE": directory.path("credentials")]))
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(directory.path("credentials")):3: the AWS shared-credentials file"), "\(result.stderr)")
        #expect(!result.all.contains(secret))
    }

    @Test("--credentials-from-sops decrypts the R2 key pair from the platform's SOPS file with the age key")
    func sopsCredentials() async throws {
        let (s3, store, generated) = try await storeInBucket()
        let directory = try TemporaryDirectory()
        let key = try await AgeTestKey.generate(in: directory)
        let file = try await sopsEncrypt(variablesSecretYAML([
            "r2_access_key_id": s3.credentials.accessKeyID, "r2_secret_access_key": s3.credentials.secretAccessKey,
            "other_secret_key": s3.credentials.secretAccessKey,
        ]), name: "variables-cluster-secret.enc.yaml", recipients: [key.recipient], in: directory)
        let environment = isolated(directory, ["SOPS_AGE_KEY_FILE": key.path])
        let endpoint = ["--endpoint", s3.proxy.baseURL.absoluteString]

        let result = try await drbook(["backups", "verify", "--store", store, "--namespace", "monitoring", "--credentials-from-sops", file] + endpoint,
                                      environment: environment)
        #expect(result.status == 0, "\(result.all)")
        #expect(result.stdout.contains(generated.newest))
        let customPath = try await drbook(["backups", "list", "--store", store, "--credentials-from-sops", file,
                                           "--sops-secret-access-key", "stringData.other_secret_key"] + endpoint, environment: environment)
        #expect(customPath.status == 0, "\(customPath.all)")
        let missingKey = try await drbook(["backups", "list", "--store", store, "--credentials-from-sops", file,
                                           "--sops-access-key-id", "stringData.nope"] + endpoint, environment: environment)
        #expect(missingKey.status == 2)
        #expect(missingKey.stderr.contains("stringData.nope"), "\(missingKey.stderr)")
        let noKey = try await drbook(["backups", "list", "--store", store, "--credentials-from-sops", file] + endpoint, environment: isolated(directory))
        #expect(noKey.status == 2)
        #expect(noKey.stderr.contains(file), "\(noKey.stderr)")
        for output in [result, customPath, missingKey, noKey] { #expect(!output.all.contains(s3.credentials.secretAccessKey)) }
    }
}
