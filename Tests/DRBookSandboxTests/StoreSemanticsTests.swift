import DRBookKube
import DRBookSandbox
import Foundation
import Testing

@Suite("Sandbox store: the API server's bookkeeping")
struct StoreSemanticsTests {
    let store = SandboxStore()

    init() async throws {
        try await makeNamespace(store, "team")
    }

    @Test("create fills uid, creationTimestamp, generation 1 and a resourceVersion; a second create is AlreadyExists")
    func createAndAlreadyExists() async throws {
        let created = try await store.create(Resources.configMaps, namespace: "team", configMap("settings"))
        #expect(created[path: ["metadata", "uid"]]?.stringValue?.count == 36)
        #expect(created[path: ["metadata", "creationTimestamp"]]?.stringValue.flatMap(KubeJSON.parseTime) != nil)
        #expect(created[path: ["metadata", "generation"]] == 1)
        #expect(created[path: ["metadata", "resourceVersion"]]?.stringValue == (await store.resourceVersion))
        #expect(created[path: ["metadata", "namespace"]] == "team")
        let error = await #expect(throws: APIError.self) {
            try await store.create(Resources.configMaps, namespace: "team", configMap("settings"))
        }
        #expect(error?.code == 409)
        #expect(error?.reason == .alreadyExists)
        #expect(error?.message == "configmaps \"settings\" already exists")
    }

    @Test("creating in a namespace that does not exist is NotFound naming the namespace")
    func missingNamespace() async throws {
        let error = await #expect(throws: APIError.self) {
            try await store.create(Resources.configMaps, namespace: "nowhere", configMap("x"))
        }
        #expect(error?.message == "namespaces \"nowhere\" not found")
    }

    @Test("an update carrying a stale resourceVersion is a 409 Conflict; the current one succeeds and moves it on")
    func staleResourceVersion() async throws {
        let created = try await store.create(Resources.configMaps, namespace: "team", configMap("settings", data: ["a": "1"]))
        var first = created
        first["data"] = ["a": "2"]
        let updated = try await store.update(Resources.configMaps, namespace: "team", first)
        #expect(updated[path: ["metadata", "resourceVersion"]] != created[path: ["metadata", "resourceVersion"]])

        var stale = created
        stale["data"] = ["a": "3"]
        let error = await #expect(throws: APIError.self) { try await store.update(Resources.configMaps, namespace: "team", stale) }
        #expect(error?.reason == .conflict)
        #expect(error?.message == "Operation cannot be fulfilled on configmaps \"settings\": the object has been modified; please apply your changes to the latest version and try again")
        let patchError = await #expect(throws: APIError.self) {
            try await store.mergePatch(Resources.configMaps, namespace: "team", name: "settings",
                                       ["metadata": ["resourceVersion": created[path: ["metadata", "resourceVersion"]]!], "data": ["a": "4"]])
        }
        #expect(patchError?.code == 409)
        #expect(try await store.get(Resources.configMaps, namespace: "team", name: "settings")["data"] == ["a": "2"])
    }

    @Test("generation moves on spec changes only, not on metadata or status changes")
    func generation() async throws {
        let backup: JSONValue = ["metadata": ["name": "daily"], "spec": ["ttl": "336h0m0s"]]
        try await store.create(Resources.backups, namespace: "team", backup)
        let labelled = try await store.mergePatch(Resources.backups, namespace: "team", name: "daily", ["metadata": ["labels": ["a": "b"]]])
        #expect(labelled[path: ["metadata", "generation"]] == 1)
        let status = try await store.patchStatus(Resources.backups, namespace: "team", name: "daily", ["status": ["phase": "InProgress"]])
        #expect(status[path: ["metadata", "generation"]] == 1)
        let spec = try await store.mergePatch(Resources.backups, namespace: "team", name: "daily", ["spec": ["ttl": "24h0m0s"]])
        #expect(spec[path: ["metadata", "generation"]] == 2)
    }

    @Test("a kind with a status subresource keeps its status on main writes, and status writes change only status")
    func statusSubresource() async throws {
        let created = try await store.create(Resources.kustomizations, namespace: "team", [
            "metadata": ["name": "apps"], "spec": ["suspend": false], "status": ["ignored": true],
        ])
        #expect(created["status"] == nil)
        try await store.patchStatus(Resources.kustomizations, namespace: "team", name: "apps",
                                    ["status": ["lastHandledReconcileAt": "now"], "spec": ["suspend": true]])
        let afterStatus = try await store.get(Resources.kustomizations, namespace: "team", name: "apps")
        #expect(afterStatus[path: ["spec", "suspend"]] == false)
        #expect(afterStatus[path: ["status", "lastHandledReconcileAt"]] == "now")
        let afterMain = try await store.mergePatch(Resources.kustomizations, namespace: "team", name: "apps",
                                                   ["spec": ["suspend": true], "status": ["lastHandledReconcileAt": "changed"]])
        #expect(afterMain[path: ["spec", "suspend"]] == true)
        #expect(afterMain[path: ["status", "lastHandledReconcileAt"]] == "now")
    }

    @Test("a merge patch deletes fields set to null and merges nested objects")
    func mergePatchNull() async throws {
        try await store.create(Resources.configMaps, namespace: "team",
                               configMap("settings", labels: ["keep": "yes", "drop": "yes"], data: ["a": "1", "b": "2"]))
        let patched = try await store.mergePatch(Resources.configMaps, namespace: "team", name: "settings", [
            "metadata": ["labels": ["drop": nil, "new": "1"]], "data": ["a": nil],
        ])
        #expect(patched[path: ["metadata", "labels"]] == ["keep": "yes", "new": "1"])
        #expect(patched["data"] == ["b": "2"])
    }

    @Test("a write that changes nothing keeps the resourceVersion and sends no event")
    func noOpWrite() async throws {
        let created = try await store.create(Resources.configMaps, namespace: "team", configMap("settings", data: ["a": "1"]))
        let same = try await store.mergePatch(Resources.configMaps, namespace: "team", name: "settings", ["data": ["a": "1"]])
        #expect(same[path: ["metadata", "resourceVersion"]] == created[path: ["metadata", "resourceVersion"]])
    }

    @Test("label selectors: =, ==, !=, in, notin, exists and !exists")
    func labelSelectors() async throws {
        for (name, labels) in [("a", ["app": "prometheus", "tier": "monitoring"]), ("b", ["app": "alertmanager", "tier": "monitoring"]),
                               ("c", ["app": "loki"]), ("d", [:])] {
            try await store.create(Resources.configMaps, namespace: "team", configMap(name, labels: labels))
        }
        func names(_ selector: String) async throws -> [String] {
            try await store.list(Resources.configMaps, namespace: "team",
                                 options: ListOptions(labelSelector: try LabelSelector(parsing: selector)))
                .items.compactMap { $0.metadata?["name"]?.stringValue }
        }
        #expect(try await names("app=prometheus") == ["a"])
        #expect(try await names("app==loki") == ["c"])
        #expect(try await names("app!=prometheus") == ["b", "c", "d"])
        #expect(try await names("app in (prometheus, loki)") == ["a", "c"])
        #expect(try await names("app notin (prometheus,loki)") == ["b", "d"])
        #expect(try await names("tier") == ["a", "b"])
        #expect(try await names("!tier") == ["c", "d"])
        #expect(try await names("tier=monitoring,app!=alertmanager") == ["a"])
        #expect(throws: APIError.self) { try LabelSelector(parsing: "app in prometheus") }
    }

    @Test("field selectors accept the fields the kind declares and refuse others as a real server does")
    func fieldSelectors() async throws {
        try await store.create(Resources.pods, namespace: "team", ["metadata": ["name": "running"]])
        try await store.patchStatus(Resources.pods, namespace: "team", name: "running", ["status": ["phase": "Running"]])
        try await store.create(Resources.pods, namespace: "team", ["metadata": ["name": "pending"]])
        let allowed = store.catalogue.resource(Resources.pods)!.fieldSelectorPaths
        let running = try await store.list(Resources.pods, options: ListOptions(
            fieldSelector: try FieldSelector(parsing: "status.phase=Running,metadata.namespace=team", allowed: allowed)))
        #expect(running.items.map { $0[path: ["metadata", "name"]] } == ["running"])
        let notRunning = try await store.list(Resources.pods, options: ListOptions(
            fieldSelector: try FieldSelector(parsing: "status.phase!=Running", allowed: allowed)))
        #expect(notRunning.items.map { $0[path: ["metadata", "name"]] } == ["pending"])
        let error = #expect(throws: APIError.self) {
            try FieldSelector(parsing: "status.phase=Completed", allowed: store.catalogue.resource(Resources.backups)!.fieldSelectorPaths)
        }
        #expect(error?.message == "\"status.phase\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
    }

    @Test("pagination: limit and continue walk every object once, in order, with the list's resourceVersion")
    func pagination() async throws {
        let names = (0..<7).map { String(format: "cm-%02d", $0) }
        for name in names.shuffled() { try await store.create(Resources.configMaps, namespace: "team", configMap(name)) }
        var seen: [String] = []
        var token: String?
        var pages = 0
        var versions = Set<String>()
        repeat {
            let page = try await store.list(Resources.configMaps, namespace: "team", options: ListOptions(limit: 3, continueToken: token))
            seen += page.items.compactMap { $0[path: ["metadata", "name"]]?.stringValue }
            versions.insert(page.resourceVersion)
            token = page.continueToken
            pages += 1
            if token != nil { #expect(page.remainingItemCount == names.count - seen.count) }
        } while token != nil
        #expect(seen == names)
        #expect(pages == 3)
        #expect(versions.count == 1)
        await #expect(throws: APIError.self) {
            try await store.list(Resources.configMaps, namespace: "team", options: ListOptions(limit: 3, continueToken: "garbage"))
        }
    }

    @Test("a watch from a resourceVersion replays the changes after it, then follows live ones")
    func watchFromResourceVersion() async throws {
        try await store.create(Resources.configMaps, namespace: "team", configMap("before"))
        let mark = await store.resourceVersion
        try await store.create(Resources.configMaps, namespace: "team", configMap("after"))
        try await store.mergePatch(Resources.configMaps, namespace: "team", name: "before", ["data": ["x": "1"]])
        let stream = try await store.watch(Resources.configMaps, namespace: "team", from: mark)
        try await store.delete(Resources.configMaps, namespace: "team", name: "after")
        var events: [String] = []
        for await event in stream {
            events.append("\(event.type.rawValue) \(event.object[path: ["metadata", "name"]]?.stringValue ?? "")")
            if events.count == 3 { break }
        }
        #expect(events == ["ADDED after", "MODIFIED before", "DELETED after"])
    }

    @Test("a watch with a label selector sees an object relabelled into it as ADDED and out of it as DELETED")
    func watchSelectorTransitions() async throws {
        try await store.create(Resources.configMaps, namespace: "team", configMap("rules"))
        let stream = try await store.watch(Resources.configMaps, namespace: "team", from: await store.resourceVersion,
                                           labelSelector: try LabelSelector(parsing: "role=alerting"))
        for labels: JSONValue in [["role": "alerting"], ["role": "alerting", "x": "y"], ["role": nil]] {
            try await store.mergePatch(Resources.configMaps, namespace: "team", name: "rules", ["metadata": ["labels": labels]])
        }
        var types: [WatchEvent.Kind] = []
        for await event in stream {
            types.append(event.type)
            if types.count == 3 { break }
        }
        #expect(types == [.added, .modified, .deleted])
    }

    @Test("a watch without a resourceVersion starts with every existing object as ADDED")
    func watchFromNow() async throws {
        try await store.create(Resources.configMaps, namespace: "team", configMap("existing"))
        let stream = try await store.watch(Resources.configMaps, namespace: "team")
        var iterator = stream.makeAsyncIterator()
        let first = await iterator.next()
        #expect(first?.type == .added)
        #expect(first?.object[path: ["metadata", "name"]] == "existing")
    }

    @Test("a watch from a resourceVersion older than the change log is 410 Expired")
    func watchExpired() async throws {
        let small = SandboxStore(logCapacity: 2)
        try await makeNamespace(small, "team")
        for name in ["a", "b", "c", "d"] { try await small.create(Resources.configMaps, namespace: "team", configMap(name)) }
        let error = await #expect(throws: APIError.self) { try await small.watch(Resources.configMaps, from: "1") }
        #expect(error?.code == 410)
        #expect(error?.reason == .expired)
    }

    @Test("deleting a namespace deletes its objects; deleting an owner deletes or orphans its dependents")
    func deletion() async throws {
        try await makeNamespace(store, "scratch")
        try await store.create(Resources.configMaps, namespace: "scratch", configMap("inside"))
        try await store.delete(Resources.namespaces, name: "scratch")
        #expect(try await store.list(Resources.configMaps, namespace: "scratch").items.isEmpty)

        let owner = try await store.create(Resources.statefulSets, namespace: "team", ["metadata": ["name": "prometheus"], "spec": ["replicas": 2]])
        let reference: JSONValue = ["ownerReferences": [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "prometheus",
                                                         "uid": owner[path: ["metadata", "uid"]]!]]]
        for name in ["prometheus-0", "prometheus-1"] {
            try await store.create(Resources.pods, namespace: "team", ["metadata": .object(["name": .string(name)]).applyingMergePatch(reference)])
        }
        try await store.delete(Resources.statefulSets, namespace: "team", name: "prometheus", propagation: .orphan)
        let orphans = try await store.list(Resources.pods, namespace: "team").items
        #expect(orphans.count == 2)
        #expect(orphans.allSatisfy { $0[path: ["metadata", "ownerReferences"]] == nil })

        let second = try await store.create(Resources.statefulSets, namespace: "team", ["metadata": ["name": "alertmanager"]])
        try await store.create(Resources.pods, namespace: "team", ["metadata": ["name": "alertmanager-0", "ownerReferences": [
            ["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "alertmanager", "uid": second[path: ["metadata", "uid"]]!],
        ]]])
        try await store.delete(Resources.statefulSets, namespace: "team", name: "alertmanager", propagation: .background)
        let error = await #expect(throws: APIError.self) { try await store.get(Resources.pods, namespace: "team", name: "alertmanager-0") }
        #expect(error?.message == "pods \"alertmanager-0\" not found")
    }

    @Test("waitFor returns when the object reaches the condition, without polling")
    func waitFor() async throws {
        try await store.create(Resources.backups, namespace: "team", ["metadata": ["name": "nightly"]])
        async let reached = store.waitFor(Resources.backups, namespace: "team", name: "nightly", timeout: .seconds(30)) {
            $0?[path: ["status", "phase"]] == "Completed"
        }
        for phase in ["InProgress", "Completed"] {
            try await store.patchStatus(Resources.backups, namespace: "team", name: "nightly", ["status": ["phase": .string(phase)]])
        }
        #expect(try await reached?[path: ["status", "phase"]] == "Completed")
    }
}

extension JSONValue {
    var metadata: JSONValue? { self["metadata"] }
}
