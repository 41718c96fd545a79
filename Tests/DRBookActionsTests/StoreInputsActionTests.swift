import DRBookActions
import DRBookKube
import DRBookObjectStore
import DRBookRunbook
import DRBookTestSupport
import DRBookVelero
import DRBookVeleroFixtures
import Foundation
import Testing

@Suite("The store inputs every Velero action shares: a named backup, SOPS credentials, the store when the cluster is gone",
       .timeLimit(.minutes(3)))
struct StoreInputsActionTests {
    @Test("velero.verifyStore verifies the backup named by input 'backup', and refuses a name the store lacks")
    func namedBackup() async throws {
        let store = try await GeneratedDirectoryStore()
        let older = store.generated.backups[1]
        var inputs = store.inputs
        inputs["backup"] = .string(older)
        inputs["rpo"] = .duration(.seconds(7 * 86_400))
        let outputs = try await ActionRun()("velero.verifyStore", inputs)
        #expect(outputs["backup"] == .string(older))

        inputs["backup"] = .string("daily-full-19990101000000")
        let error = try #require(await actionError { try await ActionRun()("velero.verifyStore", inputs) })
        #expect(error.message == "there is no backup daily-full-19990101000000 in the store")
        #expect(error.subject?.hasSuffix("velero/prod/backups/daily-full-19990101000000/") == true)
    }

    @Test("credentialsFromSops decrypts the platform's R2 key pair with the age key; no value reaches the log")
    func sopsCredentials() async throws {
        let s3 = try await TestServers.shared.signedS3()
        let client = try await s3.client()
        let generated = try await VeleroStoreGenerator(scenario: .platform(now: Date())).write(to: S3BackupStore(client: client, prefix: "velero/prod"))
        let directory = try TemporaryDirectory()
        let key = try await AgeTestKey.generate(in: directory)
        let file = try await sopsEncrypt(variablesSecretYAML([
            "r2_access_key_id": s3.credentials.accessKeyID, "r2_secret_access_key": s3.credentials.secretAccessKey,
        ]), name: "variables-cluster-secret.enc.yaml", recipients: [key.recipient], in: directory)
        let home = directory.path("home")
        let environment = SopsTools.environment(keyFile: key.path, home: home).filter { !$0.key.hasPrefix("AWS_") }
        let run = ActionRun(environment: ActionEnvironment(processEnvironment: environment))
        let outputs = try await run("velero.verifyStore", [
            "store": .string("s3://\(client.bucket)/velero/prod"), "endpoint": .string(s3.proxy.baseURL.absoluteString),
            "namespace": .string("monitoring"), "credentialsFromSops": .string(file),
        ])
        #expect(outputs["backup"] == .string(generated.newest))
        let log = run.reports.lines.joined(separator: "\n")
        #expect(log.contains("store credentials decrypted from \(file)"))
        #expect(!log.contains(s3.credentials.secretAccessKey))

        // A key path the file lacks is named, with the file, and no value.
        let missing = try #require(await actionError {
            try await run("velero.verifyStore", [
                "store": .string("s3://\(client.bucket)/velero/prod"), "endpoint": .string(s3.proxy.baseURL.absoluteString),
                "namespace": .string("monitoring"), "credentialsFromSops": .string(file), "sopsAccessKeyID": .string("stringData.nope"),
            ])
        })
        #expect(missing.subject?.contains(file) == true, "\(missing)")
        #expect(!String(describing: missing).contains(s3.credentials.secretAccessKey))
    }

    @Test("velero.latestBackup reads the store when the cluster does not answer, and says so; without a store it fails")
    func latestFromStore() async throws {
        let store = try await GeneratedDirectoryStore(faults: [.partiallyFailed(errorsInNamespace: false)])
        let directory = try TemporaryDirectory()
        // A cluster that is gone: its API server's address refuses connections.
        try Data("""
            apiVersion: v1
            kind: Config
            clusters:
            - name: prod
              cluster:
                server: https://127.0.0.1:\(closedPort())
            users:
            - name: admin
              user:
                token: not-used
            contexts:
            - name: prod
              context: {cluster: prod, user: admin}
            current-context: prod
            """.utf8).write(to: URL(fileURLWithPath: directory.path("kubeconfig")))
        let environment = ActionEnvironment(processEnvironment: ["KUBECONFIG": directory.path("kubeconfig"), "HOME": directory.path("home")])
        let inputs: [String: Value] = ["veleroNamespace": .string("velero"), "namespace": .string("monitoring"), "schedule": .string("daily-full")]

        let apiOnly = try #require(await actionError { try await ActionRun(environment: environment)("velero.latestBackup", inputs) })
        #expect(apiOnly.message.contains("listing backups"))

        var withStore = inputs
        withStore["store"] = store.location
        let run = ActionRun(environment: environment)
        let outputs = try await run("velero.latestBackup", withStore)
        // The newest is PartiallyFailed: the one before it is the newest Completed.
        #expect(outputs["backup"] == .string(store.generated.backups[1]))
        #expect(outputs["source"] == .string("store"))
        #expect(run.reports.lines.contains { $0.contains("the cluster did not answer") && $0.contains("reading the backups from") })
        #expect(run.reports.lines.contains("passed over \(store.generated.newest): phase PartiallyFailed"))
    }
}
