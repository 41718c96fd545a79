import DRBookTestSupport
import DRBookVelero
import Foundation
import Testing

/// `drbook backups … --env E` and `drbook run … --env E` reach a store through one
/// `StoreAccess`: the same drbook.yaml keys, the same fallbacks, the same answer.
@Suite("One store access for the CLI and the runbooks", .timeLimit(.minutes(5)), .offPoolOneAtATime)
struct StoreAccessParityCLITests {
    @Test("""
        the endpoint from AWS_ENDPOINT_URL_S3 and the R2 keys decrypted from SOPS with the age key, named in drbook.yaml: \
        backups verify and run verify-backups are both green, and both red on the same bad key path
        """)
    func sameProfileSameAnswer() async throws {
        let (s3, store, generated) = try await storeInBucket()
        let directory = try TemporaryDirectory()
        let key = try await AgeTestKey.generate(in: directory)
        let file = try await sopsEncrypt(variablesSecretYAML([
            "r2_access_key_id": s3.credentials.accessKeyID, "r2_secret_access_key": s3.credentials.secretAccessKey,
        ]), name: "variables-cluster-secret.enc.yaml", recipients: [key.recipient], in: directory)
        try """
            apiVersion: drbook/v1
            environments:
              prod:
                params:
                  store: \(store)
                  region: auto
                  credentialsFromSops: \(file)
              mistyped:
                params:
                  store: \(store)
                  credentialsFromSops: \(file)
                  sopsAccessKeyID: stringData.r2_acces_key_id
            """.write(toFile: directory.path("drbook.yaml"), atomically: true, encoding: .utf8)
        // No --endpoint anywhere, and the runbook's `endpoint: ""` default: both fall back to the environment.
        let environment = isolated(directory, ["SOPS_AGE_KEY_FILE": key.path, "AWS_ENDPOINT_URL_S3": s3.proxy.baseURL.absoluteString])
        let runbooks = ["--runbooks", repositoryRoot.appendingPathComponent("runbooks").path, "--docs", repositoryRoot.appendingPathComponent("docs").path,
                        "--runs-dir", directory.path("runs")]

        let verified = try await drbook(["backups", "verify", "--env", "prod", "--namespace", "monitoring"], environment: environment,
                                        directory: directory.path(""))
        #expect(verified.status == 0, "\(verified.all)")
        #expect(verified.stdout.contains("Verdict:    PASSED"))
        #expect(verified.stdout.contains(generated.newest))
        let run = try await drbook(["run", "verify-backups", "--env", "prod"] + runbooks, environment: environment, directory: directory.path(""))
        #expect(run.status == 0, "\(run.all)")
        #expect(run.all.contains(generated.newest))

        let mistypedCLI = try await drbook(["backups", "verify", "--env", "mistyped", "--namespace", "monitoring"], environment: environment,
                                           directory: directory.path(""))
        #expect(mistypedCLI.status == 2, "\(mistypedCLI.all)")
        #expect(mistypedCLI.stderr.contains("stringData.r2_acces_key_id"), "\(mistypedCLI.stderr)")
        let mistypedRun = try await drbook(["run", "verify-backups", "--env", "mistyped"] + runbooks, environment: environment,
                                           directory: directory.path(""))
        #expect(mistypedRun.status == 1, "\(mistypedRun.all)")
        #expect(mistypedRun.all.contains("stringData.r2_acces_key_id"), "\(mistypedRun.all)")
        for result in [verified, run, mistypedCLI, mistypedRun] {
            #expect(!result.all.contains(s3.credentials.secretAccessKey))
            // Each names its settings its own way, and never the other's.
            #expect(!result.all.contains("--endpoint URL"))
        }
    }

    @Test("an endpoint that is no URL is named by where it came from, in the CLI's and the runbook's words")
    func endpointNamedBySource() async throws {
        let directory = try TemporaryDirectory()
        let environment = isolated(directory, ["AWS_ENDPOINT_URL_S3": "r2.example", "AWS_ACCESS_KEY_ID": "AKTEST", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret"])
        let cli = try await drbook(["backups", "list", "--store", "s3://bucket/velero/prod"], environment: environment)
        #expect(cli.status == 2, "\(cli.all)")
        #expect(cli.stderr.contains("AWS_ENDPOINT_URL_S3: endpoint 'r2.example' is not an http(s) URL. Fix: write it as https://HOST[:PORT]."), "\(cli.stderr)")
        let runbooks = ["--runbooks", repositoryRoot.appendingPathComponent("runbooks").path, "--docs", repositoryRoot.appendingPathComponent("docs").path,
                        "--runs-dir", directory.path("runs")]
        let run = try await drbook(["run", "verify-backups", "--param", "store=s3://bucket/velero/prod", "--param", "endpoint=ftp://r2.example"] + runbooks,
                                   environment: environment)
        #expect(run.status == 1, "\(run.all)")
        #expect(run.all.contains("input 'endpoint': endpoint 'ftp://r2.example' is not an http(s) URL"), "\(run.all)")
    }
}
