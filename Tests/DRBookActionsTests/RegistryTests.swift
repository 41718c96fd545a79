import DRBookActions
import DRBookRunbook
import DRBookTestSupport
import Foundation
import Testing

/// A runbook that uses every built-in action with typical inputs.
let everyActionRunbook = """
    apiVersion: drbook/v1
    kind: Runbook
    metadata:
      name: every-action
      title: Every built-in action
    params:
      store:
        type: string
        default: file:///srv/mirror/velero/prod
      rpo:
        type: duration
        default: 24h
    steps:
      - id: backup-verified
        title: The newest backup of monitoring is restorable
        uses: velero.verifyStore
        with:
          store: ${{ params.store }}
          endpoint: https://account.r2.cloudflarestorage.com
          region: auto
          profile: velero-r2
          namespace: monitoring
          rpo: ${{ params.rpo }}
          expectPVCs: ["prometheus-*", "storage-loki-*"]
          allowWarnings: false
          virtualHostedStyle: false
          credentialsFromSops: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          sopsAccessKeyID: stringData.r2_access_key_id
          sopsSecretAccessKey: stringData.r2_secret_access_key
          backup: daily-full-20261125021700
          allowRemoved: ["loki-scratch-*"]
      - id: grafana-up
        title: Grafana answers
        uses: http.probe
        with:
          url: https://grafana.example.invalid/api/health
          method: GET
          headers: {Accept: application/json}
          expectStatus: [200, 204]
          bodyMatches: '"database": "ok"'
          timeout: 10s
          urlIsSecret: false
      - id: kubectl-version
        title: kubectl can reach the cluster
        uses: exec
        destructive: true
        with:
          argv: [kubectl, version, -o, json]
          preflight: [kubectl, version, --client]
          preflightFix: install kubectl
          env: {KUBECONFIG: /etc/drbook/kubeconfig}
          cwd: /tmp
          timeout: 30s
          expectExitCodes: [0]
          stdoutMatches: serverVersion
          stdoutNotMatches: error
          stderrMatches: ".*"
      - id: settle
        title: Let the heartbeat monitor notice
        uses: wait
        with:
          duration: 5m
          reason: "Backup ${{ steps.backup-verified.outputs.backup }} (${{ steps.backup-verified.outputs.status }}), exit ${{ steps.kubectl-version.outputs.exitCode }}, ${{ steps.grafana-up.outputs.durationMs }} ms"
      - id: look
        title: Check the dashboards by eye
        uses: manual
        with:
          instructions: "Open Grafana; the newest point is after ${{ steps.backup-verified.outputs.backupCompletedAt }}. ${{ steps.kubectl-version.outputs.stdout }} ${{ steps.kubectl-version.outputs.stderr }} ${{ steps.settle.outputs.finishedAt }} ${{ steps.grafana-up.outputs.status }}"
          assumeDone: false
      - id: go-on
        title: Proceed?
        uses: confirm
        with:
          message: Go on with the restore?
          assumeYes: false
      - id: secrets-set
        title: The alerting secrets are set in git
        uses: sops.keysSet
        with:
          file: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          keys: [stringData.alertmanager_webhook_url, "stringData.alertmanager_heartbeat_url=heartbeat-url"]
          decrypt: auto
          placeholdersFrom: [k8s/bases/infrastructure/controllers/kube-prometheus-stack/helm-release.yaml]
          placeholders: ["https://example.invalid/no-webhook-configured"]
          pingEndpoints: ["https://hc.example.org/ping/"]
      - id: heartbeat-set
        title: Set the heartbeat URL in git
        uses: sops.set
        destructive: true
        with:
          file: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          key: stringData.alertmanager_heartbeat_url
          value: ${{ env.HEARTBEAT_URL }}
          format: heartbeat-url
          placeholdersFrom: [k8s/bases/infrastructure/controllers/kube-prometheus-stack/helm-release.yaml]
          pingEndpoints: ["https://hc.example.org/ping/"]
      - id: webhook-live
        title: The Slack webhook is live
        uses: slack.probeWebhook
        with:
          url: ${{ env.SLACK_WEBHOOK_URL }}
          file: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          key: stringData.alertmanager_webhook_url
      - id: may-restore
        title: The identity may restore
        uses: k8s.can
        with:
          permissions: ["create restores.velero.io in velero", "delete persistentvolumeclaims in monitoring"]
      - id: secret-applied
        title: The cluster holds what git holds
        uses: k8s.secretMatches
        with:
          file: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          keys: [stringData.alertmanager_webhook_url]
          secretNamespace: flux-system
          secretName: variables-cluster
          kustomization: bootstrap
          kustomizationNamespace: flux-system
          revision: main@sha1:0123abcd
      - id: location
        title: Velero reaches its bucket
        uses: velero.locationAvailable
        with:
          veleroNamespace: velero
          location: default
          maxValidationAge: 5m
          waitForValidation: 2m
      - id: schedule
        title: The schedule covers monitoring
        uses: velero.scheduleCovers
        with:
          veleroNamespace: velero
          schedule: daily-full
          namespace: monitoring
          rpo: ${{ params.rpo }}
      - id: latest
        title: The backup a restore would use
        uses: velero.latestBackup
        with:
          veleroNamespace: velero
          namespace: monitoring
          schedule: daily-full
          rpo: ${{ params.rpo }}
          store: ${{ params.store }}
          endpoint: https://account.r2.cloudflarestorage.com
          region: auto
          profile: velero-r2
          credentialsFromSops: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          sopsAccessKeyID: stringData.r2_access_key_id
          sopsSecretAccessKey: stringData.r2_secret_access_key
          virtualHostedStyle: false
    """

@Suite("the registry declares every built-in action completely")
struct RegistryTests {
    let registry = BuiltinActions.registry()

    @Test("it holds the generic, Kubernetes, Velero, SOPS and Slack actions")
    func names() {
        #expect(registry.names == ["confirm", "exec", "http.probe", "k8s.can", "k8s.secretMatches", "manual", "slack.probeWebhook", "sops.keysSet",
                                   "sops.set", "velero.latestBackup", "velero.locationAvailable", "velero.scheduleCovers", "velero.verifyStore", "wait"])
    }

    @Test("a runbook using every action and every input lints with no diagnostics")
    func lintsClean() throws {
        let diagnostics = RunbookLinter(catalog: registry.catalog, docsRoot: nil).lint(yaml: everyActionRunbook, file: "every.yaml")
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.description))")
        let runbook = try RunbookLoader.load(yaml: everyActionRunbook, file: "every.yaml")
        let used = Set(runbook.allSteps.map(\.uses.value))
        #expect(used == Set(registry.names), "the lint runbook uses every action")
        for step in runbook.allSteps {
            let declared = Set(try #require(registry.descriptor(of: step.uses.value)).inputs.map(\.name))
            #expect(Set(step.with.map(\.name.value)) == declared, "step \(step.id.value) gives every input of \(step.uses.value)")
        }
    }

    @Test("every action has a summary, a doc paragraph, and a description for each input and output")
    func documented() {
        for descriptor in registry.catalog.all {
            #expect(!descriptor.summary.isEmpty, "\(descriptor.name)")
            #expect(descriptor.doc.count > 200, "\(descriptor.name) has a doc paragraph")
            for input in descriptor.inputs { #expect(!input.description.isEmpty, "\(descriptor.name).\(input.name)") }
            for output in descriptor.outputs { #expect(!output.description.isEmpty, "\(descriptor.name).\(output.name)") }
        }
    }

    @Test("only exec and sops.set change things")
    func mutating() {
        #expect(registry.catalog.all.filter(\.mutates).map(\.name) == ["exec", "sops.set"])
    }
}

@Suite("built-in actions run through the engine")
struct EngineRunTests {
    @Test("exec's outputs feed a later step, and a manual step without assumeDone fails the run with 'needs an operator'")
    func run() async throws {
        let directory = try TemporaryDirectory()
        let yaml = """
            apiVersion: drbook/v1
            kind: Runbook
            metadata:
              name: engine
              title: Engine
            steps:
              - id: hello
                title: Say hello
                uses: exec
                destructive: true
                with:
                  argv: [sh, -c, "printf 'hello %s' \\"$WHO\\""]
                  env: {WHO: operator}
                  stdoutMatches: ^hello
              - id: pause
                title: A short pause
                uses: wait
                with:
                  duration: 10ms
                  reason: ${{ steps.hello.outputs.stdout }}
              - id: by-hand
                title: By hand
                uses: manual
                with:
                  instructions: "Tell ${{ steps.hello.outputs.stdout }} to check the dashboards"
            """
        let registry = BuiltinActions.registry()
        let runbook = try RunbookLoader.load(yaml: yaml, file: directory.path("engine.yaml"))
        #expect(RunbookLinter(catalog: registry.catalog, docsRoot: nil).lint(runbook).isEmpty)
        let executor = Executor(ExecutorConfiguration(
            registry: registry, store: RunStore(root: directory.url.appendingPathComponent("runs")), assumeYes: true,
            environment: [:], user: "tester", host: "testhost"))
        let outcome = try await executor.run(RunRequest(runbook: runbook, source: yaml))

        #expect(outcome.status(of: "hello") == .passed)
        #expect(outcome.status(of: "pause") == .passed)
        #expect(outcome.status(of: "by-hand") == .failed)
        #expect(outcome.exitCode == 1)
        let events = try JournalReader.read(RunStore(root: directory.url.appendingPathComponent("runs")).journal(of: outcome.runID)).events
        let outputs = events.compactMap { if case let .stepOutput(output) = $0.kind, output.stepID == "hello" { output } else { nil } }
        #expect(outputs.first { $0.name == "stdout" }?.value == .string("hello operator"))
        let end = events.compactMap { if case let .stepEnd(end) = $0.kind, end.stepID == "by-hand" { end } else { nil } }.last
        #expect(end?.error?.contains("needs an operator: Tell hello operator to check the dashboards") == true)
    }
}
