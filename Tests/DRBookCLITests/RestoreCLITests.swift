import DRBookTestSupport
import Foundation
import Testing

/// A sandbox started with the real binary over HTTPS (one day of the schedule's history: one
/// Completed backup of monitoring with four pod volumes), kubectl to arrange and inspect it, and
/// the restore runbooks written with templated inputs (the platform profile's names).
final class RestoreSandbox: @unchecked Sendable {
    let directory: TemporaryDirectory
    let home: TemporaryDirectory
    let sandbox: SandboxUnderTest
    let kubectl: String
    var kubeconfig: String { directory.path("sandbox/kubeconfig") }
    var store: String { "file://\(directory.path("sandbox/store/drbook-sandbox/velero/prod"))" }
    var runs: String { directory.path("runs") }

    /// The claims the backup holds, as the seed's workloads name them.
    static let claims = [
        "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-0",
        "alertmanager-kube-prometheus-stack-alertmanager-db-alertmanager-kube-prometheus-stack-alertmanager-1",
        "prometheus-kube-prometheus-stack-prometheus-db-prometheus-kube-prometheus-stack-prometheus-0",
        "storage-loki-0",
    ]

    static func start(repositoryPassword: Bool = true) async throws -> RestoreSandbox {
        let kubectl = try Tools.require("kubectl", install: "apt-get install -y kubernetes-client")
        let directory = try TemporaryDirectory()
        let sandbox = try await SandboxUnderTest.start(["sandbox", "start", "--dir", directory.path("sandbox"), "--tls", "--history", "1"],
                                                       in: directory.url, output: directory.url)
        let made = try RestoreSandbox(directory: directory, sandbox: sandbox, kubectl: kubectl)
        try await sandbox.waitForBanner()
        try made.writeRunbooks()
        // The seed holds the Kopia repository password Secret, as a Velero install does.
        if !repositoryPassword {
            try await made.kubectl(["-n", "velero", "delete", "secret", "velero-repo-credentials"])
        }
        return made
    }

    private init(directory: TemporaryDirectory, sandbox: SandboxUnderTest, kubectl: String) throws {
        self.directory = directory
        self.sandbox = sandbox
        self.kubectl = kubectl
        home = try TemporaryDirectory()
    }

    func end() { sandbox.end() }

    @discardableResult
    func kubectl(_ arguments: [String]) async throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = kubeconfig
        environment["HOME"] = home.url.path
        let (executable, env) = (kubectl, environment)
        return try await offPool { try Tools.run(executable, arguments, environment: env) }
    }

    func jsonpath(_ arguments: [String], _ path: String) async throws -> String {
        try await kubectl(arguments + ["-o", "jsonpath=\(path)"])
    }

    var backupName: String {
        get async throws { try await jsonpath(["-n", "velero", "get", "backups.velero.io"], "{.items[0].metadata.name}") }
    }

    func run(_ runbook: String, _ extra: [String] = []) async throws -> CLIResult {
        try await drbook(["run", runbook, "--no-color", "--runbooks", directory.path("runbooks"), "--runs-dir", runs,
                          "--docs", repositoryRoot.appendingPathComponent("docs").path] + extra,
                         environment: ["KUBECONFIG": kubeconfig], directory: directory.url.path, timeout: .seconds(300))
    }

    /// The Restores in Velero's namespace: none when a preflight refused.
    var restores: [String] {
        get async throws {
            try await jsonpath(["-n", "velero", "get", "restores.velero.io"], "{.items[*].metadata.name}").split(separator: " ").map(String.init)
        }
    }

    func writeRunbooks() throws {
        let folder = directory.path("runbooks")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let params = """
            params:
              namespace: {type: string, default: "${{ platform.namespaces.observability }}"}
              veleroNamespace: {type: string, default: "${{ platform.namespaces.velero }}"}
              schedule: {type: string, default: "${{ platform.velero.schedule }}"}
              fluxKind: {type: string, default: "${{ platform.restore.fluxOwner.kind }}"}
              fluxNamespace: {type: string, default: "${{ platform.restore.fluxOwner.namespace }}"}
              fluxName: {type: string, default: "${{ platform.restore.fluxOwner.name }}"}
              scratch: {type: string, default: monitoring-drill}
              store: {type: string, default: ""}
              prometheus: {type: string, default: kube-prometheus-stack-prometheus}
              alertmanager: {type: string, default: kube-prometheus-stack-alertmanager}
            """
        let latest = """
              - id: latest
                title: The newest Completed backup
                uses: velero.latestBackup
                with: {veleroNamespace: "${{ params.veleroNamespace }}", namespace: "${{ params.namespace }}", schedule: "${{ params.schedule }}"}
            """
        let resume = """
              - id: resume
                title: Resume Flux
                uses: flux.resume
                destructive: true
                when: ${{ steps.suspend.outputs.alreadySuspended == false }}
                with: {kind: "${{ params.fluxKind }}", namespace: "${{ params.fluxNamespace }}", name: "${{ params.fluxName }}", timeout: 1m}
            """
        let suspend = """
              - id: suspend
                title: Suspend Flux
                uses: flux.suspend
                destructive: true
                with: {kind: "${{ params.fluxKind }}", namespace: "${{ params.fluxNamespace }}", name: "${{ params.fluxName }}"}
            """
        func scale(_ id: String, _ kind: String, _ name: String, _ replicas: String) -> String {
            """
              - id: \(id)
                uses: k8s.scale
                destructive: true
                with: {kind: \(kind), namespace: "${{ params.namespace }}", name: "\(name)", replicas: \(replicas), timeout: 1m}
            """
        }
        let claims = Self.claims.map { "\"\($0)\"" }.joined(separator: ", ")
        try """
            apiVersion: drbook/v1
            metadata: {name: restore-in-place, title: Restore the monitoring volumes in place}
            \(params)
            steps:
            \(latest)
              - id: safety
                title: A safety backup first
                uses: velero.backup
                destructive: true
                with: {veleroNamespace: "${{ params.veleroNamespace }}", namespace: "${{ params.namespace }}", timeout: 2m}
            \(suspend)
            \(scale("prometheus-down", "Prometheus", "${{ params.prometheus }}", "0"))
            \(scale("alertmanager-down", "Alertmanager", "${{ params.alertmanager }}", "0"))
            \(scale("loki-down", "StatefulSet", "loki", "0"))
              - id: delete-workloads
                uses: k8s.deleteWorkloads
                destructive: true
                with: {kind: StatefulSet, namespace: "${{ params.namespace }}", names: ["prometheus-${{ params.prometheus }}", "alertmanager-${{ params.alertmanager }}", loki]}
              - id: delete-pvcs
                uses: k8s.deletePVCs
                destructive: true
                with: {namespace: "${{ params.namespace }}", claims: [\(claims)], backup: "${{ steps.latest.outputs.backup }}"}
              - id: restore
                uses: velero.restore
                destructive: true
                timeout: 3m
                with:
                  veleroNamespace: "${{ params.veleroNamespace }}"
                  backup: "${{ steps.latest.outputs.backup }}"
                  includedNamespaces: ["${{ params.namespace }}"]
                  store: "${{ params.store }}"
            \(scale("prometheus-up", "Prometheus", "${{ params.prometheus }}", "\"${{ steps.prometheus-down.outputs.previousReplicas }}\""))
            \(scale("alertmanager-up", "Alertmanager", "${{ params.alertmanager }}", "\"${{ steps.alertmanager-down.outputs.previousReplicas }}\""))
              - id: loki-ready
                uses: k8s.waitReady
                with: {namespace: "${{ params.namespace }}", statefulSet: loki, timeout: 1m}
            cleanup:
            \(resume)
            """.write(toFile: "\(folder)/restore-in-place.yaml", atomically: true, encoding: .utf8)
        try """
            apiVersion: drbook/v1
            metadata: {name: restore-drill, title: Restore monitoring into a scratch namespace}
            \(params)
              resources: {type: string, default: all}
            steps:
            \(latest)
            \(suspend)
              - id: restore
                uses: velero.restore
                destructive: true
                timeout: 3m
                with:
                  veleroNamespace: "${{ params.veleroNamespace }}"
                  backup: "${{ steps.latest.outputs.backup }}"
                  includedNamespaces: ["${{ params.namespace }}"]
                  namespaceMapping: {monitoring: "${{ params.scratch }}"}
                  store: "${{ params.store }}"
              - id: loki-ready
                uses: k8s.waitReady
                with: {namespace: "${{ params.scratch }}", statefulSet: loki, timeout: 1m}
            cleanup:
            \(resume)
              - id: drop-scratch
                title: Delete the scratch namespace
                uses: k8s.deleteNamespace
                destructive: true
                with: {namespace: "${{ params.scratch }}", timeout: 1m}
            """.write(toFile: "\(folder)/restore-drill.yaml", atomically: true, encoding: .utf8)
        // The traps: a restore alone, refused by its preflight or asked for (no --yes: exit 3).
        for (name, extra) in [("trap-in-place", ""), ("trap-scratch", "      namespaceMapping: {monitoring: \"${{ params.scratch }}\"}\n"),
                              ("trap-filter", "      namespaceMapping: {monitoring: \"${{ params.scratch }}\"}\n      includedResources: [pods, configmaps]\n")] {
            try """
                apiVersion: drbook/v1
                metadata: {name: \(name), title: Only a restore}
                \(params)
                steps:
                \(latest)
                  - id: restore
                    uses: velero.restore
                    destructive: true
                    with:
                      veleroNamespace: "${{ params.veleroNamespace }}"
                      backup: "${{ steps.latest.outputs.backup }}"
                      includedNamespaces: ["${{ params.namespace }}"]
                      store: "${{ params.store }}"
                \(extra)
                """.write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8)
        }
    }
}

@Suite("Restore runbooks against the sandbox over HTTPS", .offPoolOneAtATime)
struct RestoreCLITests {
    @Test("in place with every gate answered (--yes): safety backup, Flux suspended, workloads down and deleted, claims deleted, restored with every volume, back up, Flux resumed")
    func inPlace() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        let backup = try await world.backupName
        let dry = try await world.run("restore-in-place", ["--dry-run", "--param", "store=\(world.store)"])
        // A dry run deletes nothing, so the in-place restore's preflight still sees everything running.
        #expect(dry.status == 1, "\(dry.all)")
        #expect(dry.all.contains("- restore: restore (velero.restore) — blocked by its preflight"), "\(dry.all)")
        #expect(try await world.restores.isEmpty, "the dry run made a Restore")
        #expect(dry.all.contains("delete PVC monitoring/storage-loki-0 (10Gi), refilled by the restore of backup \(backup)"), "\(dry.all)")
        #expect(dry.all.contains("set spec.replicas: 0 on Prometheus monitoring/kube-prometheus-stack-prometheus, wait until its pods are gone, then set spec.paused: true"), "\(dry.all)")
        #expect(dry.all.contains("set spec.suspend: true on kustomization flux-system/infrastructure-controllers"), "\(dry.all)")
        let run = try await world.run("restore-in-place", ["--yes", "--param", "store=\(world.store)"])
        #expect(run.status == 0, "\(run.all)")
        #expect(run.all.contains("Verdict: passed"), "\(run.all)")
        for claim in RestoreSandbox.claims {
            #expect(run.all.contains("PVC monitoring/\(claim): 1048576 bytes restored"), "\(claim): \(run.all)")
            #expect(run.all.contains("deleting PVC monitoring/\(claim) ("), "\(claim): \(run.all)")
        }
        #expect(run.all.contains("created backup velero/monitoring-safety-"), "\(run.all)")
        #expect(run.all.contains("suspended kustomization flux-system/infrastructure-controllers"), "\(run.all)")
        #expect(run.all.contains("Prometheus monitoring/kube-prometheus-stack-prometheus: paused (spec.paused: true)"), "\(run.all)")
        #expect(run.all.contains("kustomization flux-system/infrastructure-controllers is Ready"), "\(run.all)")

        let restore = try #require(try await world.restores.first, "no Restore was made")
        #expect(restore.hasPrefix("\(backup)-"))
        #expect(try await world.jsonpath(["-n", "velero", "get", "restores.velero.io", restore], "{.status.phase}") == "Completed")
        let phases = try await world.jsonpath(["-n", "velero", "get", "podvolumerestores.velero.io", "-l", "velero.io/restore-name=\(restore)"],
                                              "{.items[*].status.phase}")
        #expect(phases == "Completed Completed Completed Completed")
        for claim in RestoreSandbox.claims {
            let label = try await world.jsonpath(["-n", "monitoring", "get", "pvc", claim], "{.metadata.labels.velero\\.io/restore-name}")
            #expect(label == restore, "\(claim) was not restored by \(restore)")
        }
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "prometheus", "kube-prometheus-stack-prometheus"], "{.spec.paused}") == "false")
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "alertmanager", "kube-prometheus-stack-alertmanager"], "{.spec.replicas}") == "2")
        #expect(try await world.jsonpath(["-n", "flux-system", "get", "kustomization", "infrastructure-controllers"], "{.spec.suspend}") == "false")
        let safety = try await world.jsonpath(["-n", "velero", "get", "backups.velero.io"], "{.items[*].metadata.name}")
        #expect(safety.contains("monitoring-safety-"), "\(safety)")
    }

    @Test("into a scratch namespace (namespaceMapping): restored and Ready there, the live namespace untouched, the namespace deleted by the cleanup")
    func scratch() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        let podsBefore = try await world.jsonpath(["-n", "monitoring", "get", "pods"], "{.items[*].metadata.uid}")
        let run = try await world.run("restore-drill", ["--yes", "--param", "store=\(world.store)"])
        #expect(run.status == 0, "\(run.all)")
        #expect(run.all.contains("PVC monitoring-drill/storage-loki-0: 1048576 bytes restored"), "\(run.all)")
        #expect(run.all.contains("statefulset monitoring-drill/loki: 1 Ready"), "\(run.all)")
        #expect(run.all.contains("namespace monitoring-drill is gone"), "\(run.all)")
        let namespaces = try await world.jsonpath(["get", "namespaces"], "{.items[*].metadata.name}")
        #expect(!namespaces.contains("monitoring-drill"), "\(namespaces)")
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "pods"], "{.items[*].metadata.uid}") == podsBefore, "the live pods were touched")
    }

    @Test("PartiallyFailed: the step fails listing Velero's counts and the failed PodVolumeRestore's message, and flux.resume in the cleanup still runs")
    func partiallyFailed() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        let backup = try await world.backupName
        try await world.kubectl(["-n", "velero", "annotate", "backups.velero.io", backup, "sandbox.drbook.dev/simulate-restore-outcome=PartiallyFailed"])
        let run = try await world.run("restore-drill", ["--yes", "--param", "store=\(world.store)"])
        #expect(run.status == 1, "\(run.all)")
        let restore = try #require(try await world.restores.first)
        #expect(run.all.contains("restore velero/\(restore): ended PartiallyFailed with 1 error; PodVolumeRestore \(restore)-"), "\(run.all)")
        #expect(run.all.contains("): Failed: sandbox: failure requested by sandbox.drbook.dev/simulate-restore-outcome"), "\(run.all)")
        #expect(run.all.contains("Fix: read Velero's account: `velero restore describe \(restore) --details` and `velero restore logs \(restore)`"), "\(run.all)")
        #expect(run.all.contains("Cleanup ("), "\(run.all)")
        #expect(run.all.contains("kustomization flux-system/infrastructure-controllers is Ready"), "\(run.all)")
        #expect(try await world.jsonpath(["-n", "flux-system", "get", "kustomization", "infrastructure-controllers"], "{.spec.suspend}") == "false")
        let handled = try await world.jsonpath(["-n", "flux-system", "get", "kustomization", "infrastructure-controllers"], "{.status.lastHandledReconcileAt}")
        #expect(!handled.isEmpty)
        let namespaces = try await world.jsonpath(["get", "namespaces"], "{.items[*].metadata.name}")
        #expect(!namespaces.contains("monitoring-drill"), "the cleanup deleted the scratch namespace: \(namespaces)")
    }

    @Test("each trap is refused by the restore's preflight before any question: exit 1, the exact finding and fix, no Restore made")
    func traps() async throws {
        let world = try await RestoreSandbox.start(repositoryPassword: false)
        defer { world.end() }
        let backup = try await world.backupName
        func refused(_ runbook: String, _ extra: [String] = []) async throws -> String {
            let run = try await world.run(runbook, extra)
            #expect(run.status == 1, "\(runbook): \(run.all)")
            #expect(!run.all.contains("Type 'yes'"), "a question was asked: \(run.all)")
            #expect(run.all.contains("Verdict: failed — step 'restore' failed its preflight"), "\(runbook): \(run.all)")
            #expect(try await world.restores.isEmpty, "a Restore was created")
            return run.all
        }

        // The Kopia repository password Secret missing.
        var text = try await refused("trap-scratch")
        #expect(text.contains("blocking: Secret velero/velero-repo-credentials: is missing: Velero cannot open the Kopia repository without its password, so every PodVolumeRestore would fail"), "\(text)")
        #expect(text.contains("Fix: recreate it from your off-cluster copy of the password (`kubectl -n velero create secret generic velero-repo-credentials --from-file=repository-password=PATH`); a new password cannot open the existing repository"), "\(text)")
        try await world.kubectl(["-n", "velero", "create", "secret", "generic", "velero-repo-credentials", "--from-literal=repository-password=static-passw0rd"])

        // A resource filter without claims and volumes.
        text = try await refused("trap-filter")
        #expect(text.contains("blocking: input 'includedResources': the resource filter [pods, configmaps] lacks persistentvolumeclaims and persistentvolumes: Velero (up to v1.18.2) then creates no PodVolumeRestores, so no volume data comes back"), "\(text)")
        #expect(text.contains("Fix: add persistentvolumeclaims and persistentvolumes to includedResources, or give none to restore everything"), "\(text)")

        // In place with everything still running: the pods, their StatefulSets, the unpaused operators' resources, the claims.
        text = try await refused("trap-in-place")
        #expect(text.contains("blocking: pod monitoring/loki-0: exists, so Velero keeps it and creates no PodVolumeRestore for it: its volumes' data would silently not come back"), "\(text)")
        #expect(text.contains("Fix: scale its workload to 0 and delete the workload (k8s.scale, then k8s.deleteWorkloads) so Velero creates the pod itself"), "\(text)")
        #expect(text.contains("blocking: statefulset monitoring/loki: exists (1 replica): its controller makes or deletes the pods Velero restores, so their volumes come back empty or not at all; scaling to 0 is not enough"), "\(text)")
        #expect(text.contains("blocking: prometheus monitoring/kube-prometheus-stack-prometheus: is not paused: prometheus-operator makes StatefulSet prometheus-kube-prometheus-stack-prometheus again"), "\(text)")

        // The workloads gone, the claims kept: they would be kept instead of restored.
        for (kind, name) in [("prometheus", "kube-prometheus-stack-prometheus"), ("alertmanager", "kube-prometheus-stack-alertmanager")] {
            try await world.kubectl(["-n", "monitoring", "patch", kind, name, "--type", "merge", "-p", "{\"spec\":{\"paused\":true}}"])
        }
        try await world.kubectl(["-n", "monitoring", "delete", "statefulsets", "--all", "--wait=false"])
        try await world.waitForNoPods()
        text = try await refused("trap-in-place")
        #expect(!text.contains("blocking: pod "), "\(text)")
        #expect(!text.contains("blocking: statefulset "), "\(text)")
        #expect(text.contains("blocking: PVC monitoring/storage-loki-0: exists, so Velero keeps it instead of restoring it (existingResourcePolicy none): the backup would be laid over its current data, and files written since stay"), "\(text)")
        #expect(text.contains("Fix: delete the claims first (k8s.deletePVCs; the restore provisions and refills them)"), "\(text)")
        for claim in RestoreSandbox.claims { #expect(text.contains("blocking: PVC monitoring/\(claim): exists"), "\(claim): \(text)") }

        // PodVolumeBackups the sync has not brought in: one fewer in the cluster than in the bucket.
        let first = try await world.jsonpath(["-n", "velero", "get", "podvolumebackups.velero.io", "-l", "velero.io/backup-name=\(backup)",
                                               "--sort-by", ".metadata.annotations.velero\\.io/pvc-name"], "{.items[0].metadata.name}")
        let firstClaim = try await world.jsonpath(["-n", "velero", "get", "podvolumebackups.velero.io", first], "{.metadata.annotations.velero\\.io/pvc-name}")
        try await world.kubectl(["-n", "velero", "delete", "podvolumebackups.velero.io", first])
        text = try await refused("trap-scratch", ["--param", "store=\(world.store)"])
        #expect(text.contains("blocking: backup velero/\(backup): the cluster holds 3 of its PodVolumeBackups, the store 4: the backup sync has not finished, and a restore now silently skips the data of PVC monitoring/\(firstClaim)"), "\(text)")
        #expect(text.contains("Fix: wait for the backup sync (every backupSyncPeriod, 1m by default) until `kubectl -n velero get podvolumebackups.velero.io -l velero.io/backup-name=\(backup)` lists 4, then run again"), "\(text)")

        // None at all, and no store to compare with: judged from the Backup (it backs up pod volumes).
        try await world.kubectl(["-n", "velero", "delete", "podvolumebackups.velero.io", "-l", "velero.io/backup-name=\(backup)"])
        text = try await refused("trap-scratch")
        #expect(text.contains("blocking: backup velero/\(backup): backs up pod volumes (defaultVolumesToFsBackup) but the cluster holds none of its PodVolumeBackups: the backup sync has not created them yet, and a restore now silently restores no volume data"), "\(text)")
    }

    @Test("the read-only identity (sandbox-viewer) is denied by the preflight before any question, nothing changed")
    func readOnlyIdentity() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        let run = try await world.run("restore-in-place", ["--context", "sandbox-viewer", "--param", "store=\(world.store)"])
        #expect(run.status == 1, "\(run.all)")
        #expect(!run.all.contains("Type 'yes'"), "\(run.all)")
        #expect(run.all.contains("may not: create backups.velero.io in namespace \"velero\""), "\(run.all)")
        #expect(run.all.contains("Fix: run with a context that has these rights (the break-glass admin kubeconfig: --kubeconfig/--context), or grant them"), "\(run.all)")
        #expect(try await world.jsonpath(["-n", "flux-system", "get", "kustomization", "infrastructure-controllers"], "{.spec.suspend}") != "true")
        let backups = try await world.jsonpath(["-n", "velero", "get", "backups.velero.io"], "{.items[*].metadata.name}")
        #expect(!backups.contains("safety"), "\(backups)")
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "pvc"], "{.items[*].metadata.name}").split(separator: " ").count == 4)
    }
}

extension RestoreSandbox {
    /// Polls until the monitoring namespace has no pods left.
    func waitForNoPods() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await jsonpath(["-n", "monitoring", "get", "pods"], "{.items[*].metadata.name}").isEmpty { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TimedOut(description: "pods still in monitoring after 30 s")
    }
}
