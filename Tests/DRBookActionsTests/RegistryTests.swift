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
      - id: rule-firing
        title: Prometheus fires Watchdog
        uses: prometheus.ruleFiring
        with: {url: "http://127.0.0.1:9090", namespace: monitoring, service: "prometheus-operated:9090", alertname: Watchdog}
      - id: watchdog-active
        title: Watchdog is active and routed to the heartbeat receiver
        uses: alertmanager.alertActive
        with: {url: "http://127.0.0.1:9093", namespace: monitoring, service: "alertmanager-operated:9093", alertname: Watchdog, receiver: heartbeat}
      - id: receiver-url
        title: The loaded config pings git's URL
        uses: alertmanager.configHasReceiver
        with:
          url: http://127.0.0.1:9093
          namespace: monitoring
          service: alertmanager-operated:9093
          heartbeatURL: ${{ env.HEARTBEAT_URL }}
          file: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          key: stringData.alertmanager_heartbeat_url
          receiver: heartbeat
          source: auto
          alertmanager: kube-prometheus-stack-alertmanager
          secretNamespace: monitoring
      - id: notifications
        title: Heartbeat notifications succeed
        uses: alertmanager.notificationsHealthy
        with: {url: "http://127.0.0.1:9093", namespace: monitoring, service: "alertmanager-operated:9093", receiver: heartbeat, integration: webhook, window: 2m, minimumSent: 1}
      - id: cadence
        title: The heartbeat's real cadence fits the monitor
        uses: alertmanager.heartbeatCadence
        with:
          url: http://127.0.0.1:9093
          namespace: monitoring
          service: alertmanager-operated:9093
          groupInterval: 30s
          repeatInterval: 50s
          receiver: heartbeat
          monitorPeriod: 5m
          monitorGrace: 10m
          observePings: true
          api: https://healthchecks.io/api/v3/
          apiKey: ${{ env.HEALTHCHECKS_API_KEY }}
          pingURL: ${{ env.HEARTBEAT_URL }}
          heartbeatURL: ${{ env.HEARTBEAT_URL }}
          file: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          key: stringData.alertmanager_heartbeat_url
      - id: cronjob
        title: The heartbeat CronJob runs with git's URL
        uses: heartbeat.cronJobScheduled
        with:
          namespace: observability
          name: heartbeat
          monitorPeriod: 5m
          monitorGrace: 10m
          heartbeatURL: ${{ env.HEARTBEAT_URL }}
          file: k8s/clusters/prod/bootstrap/secret.enc.yaml
          key: stringData.alertmanager_heartbeat_url
      - id: check-up
        title: The monitor's check is up
        uses: healthchecks.checkUp
        with:
          api: https://healthchecks.io/api/v3/
          apiKey: ${{ env.HEALTHCHECKS_API_KEY }}
          pingURL: ${{ env.HEARTBEAT_URL }}
          heartbeatURL: ${{ env.HEARTBEAT_URL }}
          file: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          key: stringData.alertmanager_heartbeat_url
          monitorPeriod: 5m
          monitorGrace: 10m
      - id: resumed
        title: The heartbeat resumed
        uses: healthchecks.waitForPing
        with:
          api: https://healthchecks.io/api/v3/
          apiKey: ${{ env.HEALTHCHECKS_API_KEY }}
          pingURL: ${{ env.HEARTBEAT_URL }}
          heartbeatURL: ${{ env.HEARTBEAT_URL }}
          file: k8s/clusters/prod/bootstrap/variables-cluster-secret.enc.yaml
          key: stringData.alertmanager_heartbeat_url
          after: ${{ steps.settle.outputs.finishedAt }}
          timeout: 15m
          pollInterval: 10s
          metric: heartbeat_resume_seconds
      - id: safety-backup
        title: A safety backup before anything destructive
        uses: velero.backup
        destructive: true
        with: {veleroNamespace: velero, namespace: monitoring, location: default, name: monitoring-safety, ttl: 72h, timeout: 1h}
      - id: flux-suspend
        title: Flux leaves the stack alone
        uses: flux.suspend
        destructive: true
        with: {kind: Kustomization, namespace: flux-system, name: infrastructure-controllers}
      - id: prometheus-down
        title: Prometheus to 0, paused
        uses: k8s.scale
        destructive: true
        with: {kind: Prometheus, namespace: monitoring, name: kube-prometheus-stack-prometheus, replicas: 0, timeout: 10m}
      - id: delete-workloads
        title: The StatefulSets go, so Velero makes the pods
        uses: k8s.deleteWorkloads
        destructive: true
        with: {kind: StatefulSet, namespace: monitoring, names: [loki], timeout: 5m}
      - id: delete-pvcs
        title: The claims the restore refills
        uses: k8s.deletePVCs
        destructive: true
        with: {namespace: monitoring, claims: [storage-loki-0], backup: "${{ steps.latest.outputs.backup }}", timeout: 5m}
      - id: restore
        title: Restore into the scratch namespace
        uses: velero.restore
        destructive: true
        with:
          veleroNamespace: velero
          backup: ${{ steps.latest.outputs.backup }}
          includedNamespaces: [monitoring]
          includedResources: [pods, persistentvolumeclaims, persistentvolumes]
          namespaceMapping: {monitoring: monitoring-drill}
          restorePVs: false
          existingResourcePolicy: none
          name: monitoring-drill-restore
          repositoryPasswordSecret: velero/velero-repo-credentials
          repositoryPasswordKey: repository-password
          timeout: 4h
          store: ${{ params.store }}
          endpoint: https://account.r2.cloudflarestorage.com
          region: auto
          profile: velero-r2
          credentialsFromSops: k8s/bases/variables/variables-base-secret.enc.yaml
          sopsAccessKeyID: stringData.r2_access_key_id
          sopsSecretAccessKey: stringData.r2_secret_access_key
          virtualHostedStyle: false
      - id: loki-ready
        title: Loki is Ready again
        uses: k8s.waitReady
        with: {namespace: monitoring-drill, selector: app.kubernetes.io/name=loki, statefulSet: loki, minPods: 1, timeout: 10m}
      - id: proof
        title: Every claim got its bytes back
        uses: velero.restoreProof
        with: {restore: "${{ steps.restore.outputs.restore }}", veleroNamespace: velero}
      - id: metrics-back
        title: Prometheus holds data from before the backup
        uses: prometheus.dataSince
        with: {url: "http://127.0.0.1:9090", namespace: monitoring, service: "prometheus-operated:9090", backupAt: "${{ steps.restore.outputs.startedAt }}", margin: 1h, series: up}
      - id: silences-back
        title: The silences are back
        uses: alertmanager.silencesPresent
        with: {url: "http://127.0.0.1:9093", namespace: monitoring, service: "alertmanager-operated:9093", atLeast: 1, matchers: {alertname: Watchdog}, comment: maintenance, includeExpired: false}
      - id: logs-back
        title: Loki answers for a line from before the backup
        uses: loki.oldestLine
        with:
          selector: '{namespace="monitoring"}'
          before: ${{ steps.restore.outputs.startedAt }}
          lookback: 720h
          url: http://127.0.0.1:3100
          namespace: monitoring
          service: loki:3100
          tenant: fake
      - id: objectives
        title: RPO and RTO against their targets
        uses: recovery.objectives
        with: {startedAt: "${{ steps.restore.outputs.startedAt }}", backupAt: "${{ steps.restore.outputs.startedAt }}", restoreStartedAt: "${{ steps.restore.outputs.startedAt }}", recoveredAt: "${{ steps.restore.outputs.finishedAt }}", rpoTarget: 24h, rtoTarget: 4h}
    cleanup:
      - id: flux-resume
        title: Flux applies the stack again
        uses: flux.resume
        destructive: true
        when: ${{ steps.flux-suspend.outputs.alreadySuspended == false }}
        with: {kind: Kustomization, namespace: flux-system, name: infrastructure-controllers, timeout: 10m}
      - id: drop-scratch
        title: The scratch namespace goes
        uses: k8s.deleteNamespace
        destructive: true
        with: {namespace: monitoring-drill, timeout: 10m}
    """

@Suite("the registry declares every built-in action completely")
struct RegistryTests {
    let registry = BuiltinActions.registry()

    @Test("it holds the generic, Kubernetes, Velero, SOPS, Slack, alert-path and heartbeat actions")
    func names() {
        #expect(registry.names == (["alertmanager.alertActive", "alertmanager.configHasReceiver", "alertmanager.heartbeatCadence",
                                   "alertmanager.notificationsHealthy", "confirm", "exec", "healthchecks.checkUp", "healthchecks.waitForPing",
                                   "heartbeat.cronJobScheduled", "http.probe", "k8s.can", "k8s.secretMatches", "manual", "prometheus.ruleFiring",
                                   "slack.probeWebhook", "sops.keysSet", "sops.set", "velero.latestBackup", "velero.locationAvailable",
                                   "velero.scheduleCovers", "velero.verifyStore", "wait"]
                 + Self.restoreActions + Self.proofActions).sorted())
    }

    /// The restore's steps (issue 17).
    static let restoreActions = ["flux.resume", "flux.suspend", "k8s.deleteNamespace", "k8s.deletePVCs", "k8s.deleteWorkloads", "k8s.scale",
                                 "k8s.waitReady", "velero.backup", "velero.restore"]
    /// What proves the data came back, and the objectives met (issue 17).
    static let proofActions = ["alertmanager.silencesPresent", "loki.oldestLine", "prometheus.dataSince", "recovery.objectives", "velero.restoreProof"]

    @Test("besides exec and sops.set only the restore's steps change things; idempotent only flux.resume, scaling to a target and deleting what may be gone already")
    func restoreMutating() {
        #expect(registry.catalog.all.filter(\.mutates).map(\.name) == ["exec", "flux.resume", "flux.suspend", "k8s.deleteNamespace", "k8s.deletePVCs",
                                                                       "k8s.deleteWorkloads", "k8s.scale", "sops.set", "velero.backup", "velero.restore"])
        #expect(registry.catalog.all.filter { $0.mutates && $0.idempotent }.map(\.name)
                .filter(Self.restoreActions.contains) == ["flux.resume", "k8s.deleteNamespace", "k8s.deleteWorkloads", "k8s.scale"])
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
        // Nobody could answer: the run needs confirmation (exit 3, resumable), not a failure.
        #expect(outcome.verdict == .needsConfirmation)
        #expect(outcome.exitCode == 3)
        let events = try JournalReader.read(RunStore(root: directory.url.appendingPathComponent("runs")).journal(of: outcome.runID)).events
        let outputs = events.compactMap { if case let .stepOutput(output) = $0.kind, output.stepID == "hello" { output } else { nil } }
        #expect(outputs.first { $0.name == "stdout" }?.value == .string("hello operator"))
        let end = events.compactMap { if case let .stepEnd(end) = $0.kind, end.stepID == "by-hand" { end } else { nil } }.last
        #expect(end?.error?.contains("needs an operator: Tell hello operator to check the dashboards") == true)
    }
}
