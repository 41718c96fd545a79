import DRBookKube
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Testing

/// The real kubectl against the sandbox over HTTPS through nginx: the admin with its
/// client certificate, the viewer with its bearer token.
@Suite("kubectl against the sandbox (HTTPS, client certificate and bearer token)")
struct KubectlTests {
    static let admin = "sandbox-admin"
    static let viewer = "sandbox-viewer"
    static let namespace = "velero"

    /// A TLS sandbox with the test namespace, and kubectl for both identities.
    func withKubectl(_ body: (Sandbox, Kubectl, Kubectl) async throws -> Void) async throws {
        try await withSandbox(tls: true) { sandbox in
            try await makeNamespace(sandbox.store, Self.namespace)
            try await body(sandbox, try Kubectl(sandbox: sandbox, context: Self.admin), try Kubectl(sandbox: sandbox, context: Self.viewer))
        }
    }

    func backup(_ name: String, labels: [String: String] = [:], ttl: String = "336h0m0s") -> JSONValue {
        [
            "apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": ["name": .string(name), "namespace": .string(Self.namespace), "labels": .object(labels.mapValues(JSONValue.string))],
            "spec": ["ttl": .string(ttl), "includedNamespaces": ["monitoring"]],
        ]
    }

    @Test("discovery: kubectl maps short names and qualified names, and reports an unknown resource type")
    func discovery() async throws {
        try await withKubectl { _, admin, _ in
            let version = try await admin.succeed(["version", "-o", "json"]).json
            #expect(version?[path: ["serverVersion", "gitVersion"]]?.stringValue?.contains("drbook-sandbox") == true)
            for name in ["pvc", "backups.velero.io", "kustomizations.kustomize.toolkit.fluxcd.io", "prometheuses.monitoring.coreos.com",
                         "pushsecrets.external-secrets.io", "sts", "ks", "hr"] {
                let listed = try await admin.succeed(["get", name, "-A", "-o", "json"]).json
                #expect(listed?["items"] == [], "kubectl get \(name)")
            }
            let unknown = try await admin.run(["get", "foos"])
            #expect(unknown.exitCode != 0)
            #expect(unknown.stderr.contains("the server doesn't have a resource type \"foos\""))
        }
    }

    @Test("get and list with -l, --field-selector and -o json, with the client certificate and with the bearer token")
    func getAndList() async throws {
        try await withKubectl { sandbox, admin, viewer in
            for (name, app) in [("daily-1", "velero"), ("daily-2", "velero"), ("manual", "other")] {
                try await sandbox.store.create(Resources.backups, namespace: Self.namespace, backup(name, labels: ["app": app]))
            }
            for kubectl in [admin, viewer] {
                let selected = try await kubectl.succeed(["get", "backups", "-n", Self.namespace, "-l", "app=velero", "-o", "json"]).json
                #expect(selected?["kind"] == "List" || selected?["kind"] == "BackupList")
                #expect(selected?["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue } == ["daily-1", "daily-2"])
                let byName = try await kubectl.succeed(["get", "backups", "-A", "--field-selector", "metadata.name=manual", "-o", "json"]).json
                #expect(byName?["items"]?.arrayValue?.map { $0[path: ["spec", "ttl"]] } == ["336h0m0s"])
                let notIn = try await kubectl.succeed(["get", "backups", "-n", Self.namespace, "-l", "app notin (velero)", "-o", "name"])
                #expect(notIn.stdout.split(separator: "\n") == ["backup.velero.io/manual"])
                let one = try await kubectl.succeed(["get", "backup", "daily-2", "-n", Self.namespace, "-o", "jsonpath={.metadata.labels.app}"])
                #expect(one.stdout == "velero")
            }
            let refused = try await admin.run(["get", "backups", "-A", "--field-selector", "status.phase=Completed"])
            #expect(refused.exitCode != 0)
            #expect(refused.stderr.contains("\"status.phase\" is not a known field selector"))
        }
    }

    @Test("--chunk-size pages through the list with continue tokens and still shows every object")
    func chunkSize() async throws {
        try await withKubectl { sandbox, admin, _ in
            let names = (1...5).map { "settings-\($0)" }
            for name in names { try await sandbox.store.create(Resources.configMaps, namespace: Self.namespace, configMap(name)) }
            let output = try await admin.succeed(["get", "configmaps", "-n", Self.namespace, "--chunk-size=2", "-o", "json", "-v=6"])
            #expect(output.json?["items"]?.arrayValue?.compactMap { $0[path: ["metadata", "name"]]?.stringValue } == names)
            let pages = output.stderr.split(separator: "\n").filter { $0.contains("/configmaps?") && $0.contains("limit=2") }
            #expect(pages.count == 3, "requests: \(pages)")
            #expect(pages.filter { $0.contains("continue=") }.count == 2)
        }
    }

    @Test("kubectl get --watch sees a change made while it watches")
    func watch() async throws {
        try await withKubectl { sandbox, admin, _ in
            try await sandbox.store.create(Resources.backups, namespace: Self.namespace, backup("nightly"))
            let before = await sandbox.store.openWatchCount
            async let watching = admin.run(["get", "backups", "-n", Self.namespace, "--watch", "-o",
                                            #"jsonpath={.metadata.name}={.status.phase}{"\n"}"#], timeout: .seconds(60))
            let deadline = ContinuousClock.now + .seconds(30)
            while await sandbox.store.openWatchCount <= before {
                guard ContinuousClock.now < deadline else { Issue.record("kubectl never opened its watch"); break }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await sandbox.store.patchStatus(Resources.backups, namespace: Self.namespace, name: "nightly",
                                                ["status": ["phase": "Completed"]])
            // Ending the server's watches ends kubectl's, after the event already sent.
            await sandbox.store.finishWatches()
            let output = try await watching
            #expect(output.stdout.split(separator: "\n") == ["nightly=", "nightly=Completed"], "kubectl printed: \(output.stdout) \(output.stderr)")
        }
    }

    @Test("apply creates, then updates through a patch; merge and JSON patch, annotate --overwrite, scale and delete reach the store")
    func writes() async throws {
        try await withKubectl { sandbox, admin, _ in
            let file = try admin.manifest("backup.json", backup("weekly"))
            #expect(try await admin.succeed(["apply", "-f", file]).stdout.contains("backup.velero.io/weekly created"))
            _ = try admin.manifest("backup.json", backup("weekly", ttl: "24h0m0s"))
            #expect(try await admin.succeed(["apply", "-f", file]).stdout.contains("backup.velero.io/weekly configured"))
            var stored = try await sandbox.store.get(Resources.backups, namespace: Self.namespace, name: "weekly")
            #expect(stored[path: ["spec", "ttl"]] == "24h0m0s")
            #expect(stored[path: ["metadata", "generation"]] == 2)
            #expect(stored[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]] != nil)

            try await admin.succeed(["patch", "backup", "weekly", "-n", Self.namespace, "--type", "merge", "-p", #"{"spec":{"ttl":"1h0m0s","includedNamespaces":null}}"#])
            try await admin.succeed(["patch", "backup", "weekly", "-n", Self.namespace, "--type", "json", "-p",
                                     #"[{"op":"add","path":"/spec/storageLocation","value":"default"}]"#])
            try await admin.succeed(["annotate", "backup", "weekly", "-n", Self.namespace, "drbook.dev/checked=yes"])
            try await admin.succeed(["annotate", "--overwrite", "backup", "weekly", "-n", Self.namespace, "drbook.dev/checked=again"])
            stored = try await sandbox.store.get(Resources.backups, namespace: Self.namespace, name: "weekly")
            #expect(stored[path: ["spec", "ttl"]] == "1h0m0s")
            #expect(stored[path: ["spec", "includedNamespaces"]] == nil)
            #expect(stored[path: ["spec", "storageLocation"]] == "default")
            #expect(stored[path: ["metadata", "annotations", "drbook.dev/checked"]] == "again")

            let sts: JSONValue = [
                "apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": ["name": "prometheus-main", "namespace": .string(Self.namespace)],
                "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "prometheus"]],
                         "template": ["metadata": ["labels": ["app": "prometheus"]], "spec": ["containers": [["name": "prometheus", "image": "prometheus"]]]]],
            ]
            try await admin.succeed(["apply", "-f", try admin.manifest("sts.json", sts)])
            try await admin.succeed(["scale", "statefulset", "prometheus-main", "-n", Self.namespace, "--replicas=0"])
            #expect(try await sandbox.store.get(Resources.statefulSets, namespace: Self.namespace, name: "prometheus-main")[path: ["spec", "replicas"]] == 0)

            try await admin.succeed(["delete", "backup", "weekly", "-n", Self.namespace, "--cascade=foreground"])
            await #expect(throws: APIError.self) { try await sandbox.store.get(Resources.backups, namespace: Self.namespace, name: "weekly") }
            let gone = try await admin.run(["get", "backup", "weekly", "-n", Self.namespace])
            #expect(gone.stderr.contains("backups.velero.io \"weekly\" not found"))
        }
    }

    @Test("auth can-i answers yes and no per identity, and a forbidden write names verb, resource, group, namespace and user")
    func authorization() async throws {
        try await withKubectl { sandbox, admin, viewer in
            try await sandbox.store.create(Resources.backups, namespace: Self.namespace, backup("keep"))
            let adminCan = try await admin.run(["auth", "can-i", "delete", "backups.velero.io", "-n", Self.namespace])
            #expect(adminCan.exitCode == 0)
            #expect(adminCan.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")
            let viewerCannot = try await viewer.run(["auth", "can-i", "delete", "backups.velero.io", "-n", Self.namespace])
            #expect(viewerCannot.exitCode == 1)
            #expect(viewerCannot.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no")
            let viewerCanList = try await viewer.run(["auth", "can-i", "list", "persistentvolumeclaims", "-n", "monitoring"])
            #expect(viewerCanList.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes")

            let denied = try await viewer.run(["delete", "backup", "keep", "-n", Self.namespace])
            #expect(denied.exitCode != 0)
            #expect(denied.stderr.contains(#"Error from server (Forbidden): backups.velero.io "keep" is forbidden: User "sandbox-viewer" cannot delete resource "backups" in API group "velero.io" in the namespace "velero""#),
                    "kubectl said: \(denied.stderr)")
            try await sandbox.store.create(Resources.statefulSets, namespace: Self.namespace, ["metadata": ["name": "alertmanager-main"], "spec": ["replicas": 2]])
            let deniedScale = try await viewer.run(["scale", "statefulset", "alertmanager-main", "-n", Self.namespace, "--replicas=0"])
            #expect(deniedScale.stderr.contains("User \"sandbox-viewer\" cannot patch resource \"statefulsets/scale\" in API group \"apps\" in the namespace \"velero\""),
                    "kubectl said: \(deniedScale.stderr)")
            #expect(try await sandbox.store.get(Resources.backups, namespace: Self.namespace, name: "keep")[path: ["metadata", "name"]] == "keep")
        }
    }

    @Test("kubectl's typed clients write protobuf: create namespace, secret and configmap arrive whole")
    func protobufWrites() async throws {
        try await withKubectl { sandbox, admin, _ in
            try await admin.succeed(["create", "namespace", "flux-test", "--dry-run=none"])
            try await admin.succeed(["create", "secret", "generic", "variables-test", "-n", "flux-test",
                                     "--from-literal=url=https://hooks.example.invalid/x"])
            try await admin.succeed(["create", "configmap", "settings", "-n", "flux-test", "--from-literal=mode=drill"])
            let secret = try await sandbox.store.get(GroupResource(group: "", resource: "secrets"), namespace: "flux-test", name: "variables-test")
            #expect(secret["type"] == "Opaque")
            #expect(secret[path: ["data", "url"]] == .string(Data("https://hooks.example.invalid/x".utf8).base64EncodedString()))
            #expect(try await sandbox.store.get(Resources.configMaps, namespace: "flux-test", name: "settings")["data"] == ["mode": "drill"])
        }
    }
}
