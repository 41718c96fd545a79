import DRBookTestSupport
import Foundation
import Testing

extension RestoreSandbox {
    /// The run's id: the one folder under the runs directory.
    var runID: String {
        get throws {
            let ids = try FileManager.default.contentsOfDirectory(atPath: runs).filter { !$0.hasPrefix(".") }
            return try #require(ids.count == 1 ? ids.first : nil, "expected one run in \(runs), found \(ids)")
        }
    }

    /// The journal's events of `type` for step `step`.
    func events(_ type: String, step: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: "\(runs)/\(try runID)/journal.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["type"] as? String == type && $0["stepID"] as? String == step }
    }

    func arguments(_ runbook: String, _ extra: [String]) -> [String] {
        ["run", runbook, "--no-color", "--runbooks", directory.path("runbooks"), "--runs-dir", runs,
         "--docs", repositoryRoot.appendingPathComponent("docs").path] + extra
    }

    func start(_ arguments: [String], terminal: PseudoTerminal? = nil) async throws -> RunningDrbook {
        try await RunningDrbook.start(arguments, terminal: terminal, environment: ["KUBECONFIG": kubeconfig], in: directory.url)
    }

    var suspended: String {
        get async throws { try await jsonpath(["-n", "flux-system", "get", "kustomization", "infrastructure-controllers"], "{.spec.suspend}") }
    }

    /// The PodVolumeBackup of `claim` in the backup.
    func podVolumeBackup(of claim: String, backup: String) async throws -> String {
        let names = try await jsonpath(["-n", "velero", "get", "podvolumebackups.velero.io", "-l", "velero.io/backup-name=\(backup)"],
                                       "{range .items[*]}{.metadata.name}={.metadata.annotations.velero\\.io/pvc-name}{\"\\n\"}{end}")
        let line = try #require(names.split(separator: "\n").first { $0.hasSuffix("=\(claim)") }, "no PodVolumeBackup of \(claim): \(names)")
        return String(line.split(separator: "=")[0])
    }

    func writeScaleRunbook() throws {
        try """
            apiVersion: drbook/v1
            metadata: {name: scale-twice, title: "Scale down twice, as a resumed run does, then back"}
            params:
              namespace: {type: string, default: "${{ platform.namespaces.observability }}"}
            steps:
              - id: down
                uses: k8s.scale
                destructive: true
                with: {kind: StatefulSet, namespace: "${{ params.namespace }}", name: loki, replicas: 0, timeout: 1m}
              - id: down-again
                uses: k8s.scale
                destructive: true
                with: {kind: StatefulSet, namespace: "${{ params.namespace }}", name: loki, replicas: 0, timeout: 1m}
              - id: up
                uses: k8s.scale
                destructive: true
                with: {kind: StatefulSet, namespace: "${{ params.namespace }}", name: loki, replicas: "${{ steps.down-again.outputs.previousReplicas }}", timeout: 1m}
              - id: down-last
                uses: k8s.scale
                destructive: true
                with: {kind: StatefulSet, namespace: "${{ params.namespace }}", name: loki, replicas: 0, timeout: 1m}
              - id: up-unsaid
                uses: k8s.scale
                destructive: true
                with: {kind: StatefulSet, namespace: "${{ params.namespace }}", name: loki, timeout: 1m}
            """.write(toFile: directory.path("runbooks/scale-twice.yaml"), atomically: true, encoding: .utf8)
    }
}

@Suite("Restore runbooks recover from failures, interrupts and kills (sandbox over HTTPS)", .offPoolOneAtATime)
struct RestoreRecoveryCLITests {
    @Test("one failed PodVolumeRestore: exit 1, the volume and Velero's message named, flux.resume in the cleanup ran")
    func failedVolume() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        let backup = try await world.backupName
        let pvb = try await world.podVolumeBackup(of: "storage-loki-0", backup: backup)
        try await world.kubectl(["-n", "velero", "annotate", "podvolumebackups.velero.io", pvb, "sandbox.drbook.dev/simulate-restore-outcome=Failed"])
        let run = try await world.run("restore-drill", ["--yes", "--param", "store=\(world.store)"])
        #expect(run.status == 1, "\(run.all)")
        let restore = try #require(try await world.restores.first)
        #expect(run.all.contains("restore velero/\(restore): ended PartiallyFailed with 1 error"), "\(run.all)")
        #expect(run.all.contains("(pod monitoring-drill/loki-0, volume storage): Failed: sandbox: failure requested by sandbox.drbook.dev/simulate-restore-outcome on PodVolumeBackup \(pvb)"), "\(run.all)")
        #expect(run.all.contains("PVC monitoring-drill/storage-loki-0: 524288 of 1048576 bytes restored (its PodVolumeBackup's totalBytes)"), "\(run.all)")
        #expect(run.all.contains("kustomization flux-system/infrastructure-controllers is Ready"), "\(run.all)")
        #expect(try await world.suspended == "false")
        let phases = try await world.jsonpath(["-n", "velero", "get", "podvolumerestores.velero.io", "-l", "velero.io/restore-name=\(restore)"],
                                              "{.items[*].status.phase}")
        #expect(phases.split(separator: " ").sorted() == ["Completed", "Completed", "Completed", "Failed"], "\(phases)")
    }

    @Test("Ctrl-C (SIGINT) while the restore's volumes are written: exit 4, the cleanup resumes Flux (spec.suspend false)")
    func interrupted() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        let backup = try await world.backupName
        try await world.kubectl(["-n", "velero", "annotate", "backups.velero.io", backup, "sandbox.drbook.dev/volume-restore-seconds=20"])
        let running = try await world.start(world.arguments("restore-drill", ["--yes", "--param", "store=\(world.store)"]))
        try await waitUntil("the restore to be created; output:\n\(running.output)") { running.output.contains("created restore velero/") }
        #expect(try await world.suspended == "true")
        kill(running.pid, SIGINT)
        #expect(try await running.waitForExit() == 4, "\(running.output)")
        #expect(running.output.contains("Cleanup (interrupted during step 'restore'"), "\(running.output)")
        #expect(running.output.contains("kustomization flux-system/infrastructure-controllers is Ready"), "\(running.output)")
        #expect(try await world.suspended == "false")
    }

    @Test("SIGKILL in the middle of the restore, then `drbook resume`: the claims are deleted once, the run finishes and Flux is resumed")
    func killedThenResumed() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        let backup = try await world.backupName
        try await world.kubectl(["-n", "velero", "annotate", "backups.velero.io", backup, "sandbox.drbook.dev/volume-restore-seconds=6"])
        let running = try await world.start(world.arguments("restore-in-place", ["--yes", "--param", "store=\(world.store)"]))
        try await waitUntil("the restore to be created; output:\n\(running.output)", seconds: 240) { running.output.contains("created restore velero/") }
        running.killHard()
        _ = try await running.waitForExit()
        #expect(try world.events("step-end", step: "delete-pvcs").count == 1)
        #expect(try world.events("step-end", step: "restore").isEmpty)
        let restore = try #require(try await world.restores.first)
        // Velero finishes the restore without drbook; its claims are the ones to keep.
        try await waitUntil("the restore to end") {
            (try? Tools.run(world.kubectl, ["-n", "velero", "get", "restores.velero.io", restore, "-o", "jsonpath={.status.phase}"],
                            environment: ["KUBECONFIG": world.kubeconfig, "HOME": world.home.url.path])) == "Completed"
        }
        let uids = try await world.jsonpath(["-n", "monitoring", "get", "pvc"], "{.items[*].metadata.uid}")

        let resumed = try await drbook(["resume", try world.runID, "--yes", "--skip-unfinished", "--no-color", "--runs-dir", world.runs],
                                       environment: ["KUBECONFIG": world.kubeconfig], directory: world.directory.url.path, timeout: .seconds(300))
        #expect(resumed.status == 0, "\(resumed.all)")
        #expect(!resumed.all.contains("deleting PVC"), "\(resumed.all)")
        #expect(try world.events("step-start", step: "delete-pvcs").count == 1, "delete-pvcs ran again")
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "pvc"], "{.items[*].metadata.uid}") == uids, "a claim was deleted again")
        for claim in RestoreSandbox.claims {
            #expect(try await world.jsonpath(["-n", "monitoring", "get", "pvc", claim], "{.metadata.labels.velero\\.io/restore-name}") == restore)
        }
        #expect(try await world.restores == [restore], "a second Restore was made")
        #expect(try await world.suspended == "false")
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "prometheus", "kube-prometheus-stack-prometheus"], "{.spec.replicas}") == "1")
    }

    @Test("the recreated-pod trap: a StatefulSet back between the preflight and the Restore makes loki-0 on a fresh claim first; Velero skips the volume and the data check fails naming the claim")
    func recreatedPod() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        let loki = try await world.kubectl(["-n", "monitoring", "get", "statefulset", "loki", "-o", "json"])
        // Everything down and gone, as the preflight wants it: it passes.
        for (kind, name) in [("prometheus", "kube-prometheus-stack-prometheus"), ("alertmanager", "kube-prometheus-stack-alertmanager")] {
            try await world.kubectl(["-n", "monitoring", "patch", kind, name, "--type", "merge", "-p", "{\"spec\":{\"paused\":true}}"])
        }
        try await world.kubectl(["-n", "monitoring", "delete", "statefulsets", "--all", "--wait=false"])
        try await world.waitForNoPods()
        try await world.kubectl(["-n", "monitoring", "delete", "pvc", "--all", "--wait=false"])

        let terminal = try PseudoTerminal()
        let running = try await world.start(world.arguments("trap-in-place", ["--param", "store=\(world.store)"]), terminal: terminal)
        try await waitUntil("the restore's question; output:\n\(running.output)") { running.output.contains("Type 'yes'") }
        // The runbook never deleted the workload, and it is back (Flux, or a person): its controller makes loki-0 on an empty claim.
        var object = try JSONSerialization.jsonObject(with: Data(loki.utf8)) as! [String: Any]
        object["status"] = nil
        var metadata = object["metadata"] as! [String: Any]
        for key in ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields"] { metadata[key] = nil }
        object["metadata"] = metadata
        let file = world.directory.path("loki.json")
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
        try await world.kubectl(["apply", "-f", file])
        try await waitUntil("loki-0 to run on a fresh claim") {
            let pods = (try? Tools.run(world.kubectl, ["-n", "monitoring", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}"],
                                       environment: ["KUBECONFIG": world.kubeconfig, "HOME": world.home.url.path])) ?? ""
            return pods.contains("loki-0")
        }
        terminal.type("yes\n")
        #expect(try await running.waitForExit(seconds: 240) == 1, "\(running.output)")
        let text = running.output
        #expect(text.contains("PVC monitoring/storage-loki-0: 0 of 1048576 bytes restored (its PodVolumeBackup's totalBytes): no PodVolumeRestore, so Velero skipped the volume: its pod existed before the restore created it (a controller made it again on a fresh empty claim)"), "\(text)")
        for claim in RestoreSandbox.claims where claim != "storage-loki-0" {
            #expect(text.contains("PVC monitoring/\(claim): 1048576 bytes restored"), "\(claim): \(text)")
        }
        let restore = try #require(try await world.restores.first)
        #expect(try await world.jsonpath(["-n", "velero", "get", "restores.velero.io", restore], "{.status.phase}") == "Completed",
                "Velero itself says Completed: only the data check sees the loss")
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "pvc", "storage-loki-0"], "{.metadata.labels.velero\\.io/restore-name}").isEmpty,
                "the claim is the StatefulSet's fresh one, not the restored one")
    }

    @Test("k8s.scale run twice at 0 (as a resumed run does) keeps the replicas it had, in drbook.dev/replicas-before-scale; a scale-up without replicas reads it")
    func scaleTwice() async throws {
        let world = try await RestoreSandbox.start()
        defer { world.end() }
        try world.writeScaleRunbook()
        try await world.kubectl(["-n", "monitoring", "scale", "statefulset", "loki", "--replicas", "2"])
        try await waitUntil("loki to run 2 pods") {
            (try? Tools.run(world.kubectl, ["-n", "monitoring", "get", "statefulset", "loki", "-o", "jsonpath={.status.readyReplicas}"],
                            environment: ["KUBECONFIG": world.kubeconfig, "HOME": world.home.url.path])) == "2"
        }
        let run = try await world.run("scale-twice", ["--yes"])
        #expect(run.status == 0, "\(run.all)")
        #expect(run.all.contains("StatefulSet monitoring/loki: replicas 2 → 0"), "\(run.all)")
        #expect(run.all.contains("StatefulSet monitoring/loki is already at 0 replicas with no pods; it ran 2 before (drbook.dev/replicas-before-scale)"), "\(run.all)")
        #expect(run.all.contains("StatefulSet monitoring/loki: replicas 0 → 2"), "\(run.all)")
        #expect(!run.all.contains("replicas 0 → 0"), "\(run.all)")
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "statefulset", "loki"], "{.spec.replicas}") == "2")
        #expect(try await world.jsonpath(["-n", "monitoring", "get", "statefulset", "loki"], "{.metadata.annotations.drbook\\.dev/replicas-before-scale}").isEmpty,
                "the scale-up leaves no annotation behind")
    }
}
