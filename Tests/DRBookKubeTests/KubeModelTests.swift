import DRBookHTTP
@testable import DRBookKube
import Foundation
import Testing

@Suite("JSON documents and merge patches")
struct JSONValueTests {
    @Test("large integers survive a round trip; floats stay floats")
    func numbers() throws {
        let value = try JSONValue(data: Data(#"{"big":9007199254740993,"ratio":0.5,"flag":true,"n":null}"#.utf8))
        #expect(value["big"] == .int(9_007_199_254_740_993))
        #expect(value["ratio"] == .double(0.5))
        #expect(value["flag"] == .bool(true))
        #expect(value["n"] == .null)
        #expect(String(decoding: try value.data(), as: UTF8.self) == #"{"big":9007199254740993,"flag":true,"n":null,"ratio":0.5}"#)
    }

    // The examples of RFC 7386, appendix A.
    @Test("merge patch follows RFC 7386", arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func mergePatch(target: String, patch: String, expected: String) throws {
        let result = try JSONValue(data: Data(target.utf8)).applyingMergePatch(JSONValue(data: Data(patch.utf8)))
        #expect(result == (try JSONValue(data: Data(expected.utf8))))
    }

    @Test("set creates the objects on its path")
    func setAtPath() {
        var value: JSONValue = ["metadata": ["name": "x"]]
        value.set("v", at: ["metadata", "annotations", "k"])
        #expect(value[path: ["metadata", "annotations", "k"]] == "v")
        #expect(value[path: ["metadata", "name"]] == "x")
        value.set(nil, at: ["metadata", "annotations", "k"])
        #expect(value[path: ["metadata", "annotations", "k"]] == nil)
    }
}

@Suite("Resources, requests and API errors")
struct KubeRequestShapeTests {
    @Test("paths for core, grouped, namespaced and cluster-scoped resources")
    func paths() {
        #expect(KubeResource.secrets.path(namespace: "flux-system", name: "variables-cluster")
                == "/api/v1/namespaces/flux-system/secrets/variables-cluster")
        #expect(KubeResource.persistentVolumes.path(namespace: "ignored", name: "pv-1") == "/api/v1/persistentvolumes/pv-1")
        #expect(KubeResource.kustomizations.path(namespace: "flux-system")
                == "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations")
        #expect(KubeResource.statefulSets.path(namespace: "monitoring", name: "x", subresource: "scale")
                == "/apis/apps/v1/namespaces/monitoring/statefulsets/x/scale")
        #expect(KubeResource.helmReleases.description == "helmreleases.helm.toolkit.fluxcd.io")
        #expect(KubeResource.secrets.apiVersion == "v1")
    }

    @Test("selectors are percent-encoded so that commas, parentheses and equals signs survive")
    func selectorEncoding() {
        let client = KubeClient(endpoint: KubeEndpoint(server: URL(string: "https://k8s.example:6443/prefix/")!, source: "test"))
        let url = client.url("/api/v1/pods", query: [("labelSelector", "app in (a,b),tier!=web"), ("limit", "5")])
        #expect(url.absoluteString
                == "https://k8s.example:6443/prefix/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Dweb&limit=5")
    }

    @Test("a Status becomes a typed error with its reason, causes and a fix")
    func statusError() throws {
        let body = Data(#"""
        {"kind":"Status","apiVersion":"v1","status":"Failure","message":"Kustomization.kustomize.toolkit.fluxcd.io \"apps\" is invalid: spec.interval: Invalid value: \"x\": not a duration","reason":"Invalid","code":422,
         "details":{"name":"apps","group":"kustomize.toolkit.fluxcd.io","kind":"Kustomization","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"x\": not a duration","field":"spec.interval"}]}}
        """#.utf8)
        let client = KubeClient(endpoint: KubeEndpoint(server: URL(string: "https://k8s.example:6443")!, source: "test"))
        let error = client.apiError(status: 422, body: body, verb: "patch", target: "kustomizations \"apps\"")
        #expect(error.reason == .invalid)
        #expect(error.code == 422)
        #expect(error.causes.first?.field == "spec.interval")
        #expect(error.description.contains("- spec.interval: Invalid value"))
        #expect(error.description.contains("fix: fix the fields named above"))

        let forbidden = client.apiError(status: 403, body: Data(#"""
        {"kind":"Status","apiVersion":"v1","status":"Failure","message":"secrets \"variables-cluster\" is forbidden: User \"reader\" cannot get resource \"secrets\" in API group \"\" in the namespace \"flux-system\"","reason":"Forbidden","code":403,"details":{"name":"variables-cluster","kind":"secrets"}}
        """#.utf8), verb: "get", target: "secrets \"variables-cluster\" in namespace \"flux-system\"")
        #expect(forbidden.reason == .forbidden)
        #expect(forbidden.description.contains("User \"reader\" cannot get resource \"secrets\""))
        #expect(forbidden.description.contains("break-glass admin kubeconfig"))
    }

    @Test("an answer that is not a Status still names the code and the body's start")
    func plainError() {
        let client = KubeClient(endpoint: KubeEndpoint(server: URL(string: "https://k8s.example:6443")!, source: "test"))
        let error = client.apiError(status: 502, body: Data("<html>Bad gateway</html>".utf8), verb: "list", target: "pods")
        #expect(error.reason == .internalError)
        #expect(error.message == "<html>Bad gateway</html>")
    }

    @Test("a Secret never shows its values")
    func secretHidesValues() {
        let secret = Secret(metadata: ObjectMeta(name: "variables-cluster", namespace: "flux-system"),
                            data: ["alertmanager_webhook_url": Data("https://hooks.slack.com/services/T/B/sekrit".utf8).base64EncodedString()])
        var dumped = ""
        dump(secret, to: &dumped)
        for text in [secret.description, String(reflecting: secret), "\(secret)", dumped] {
            #expect(!text.contains("sekrit"))
            #expect(!text.contains(secret.data!["alertmanager_webhook_url"]!))
        }
        #expect(secret.value("alertmanager_webhook_url").map { String(decoding: $0, as: UTF8.self) }?.hasSuffix("sekrit") == true)
    }

    @Test("typed views decode the fields drbook reads and tolerate the rest")
    func typedViews() throws {
        let json: JSONValue = [
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": ["name": "prometheus-main", "namespace": "monitoring", "generation": 3, "resourceVersion": "42"],
            "spec": ["replicas": 2, "template": ["spec": ["containers": []]]],
            "status": ["observedGeneration": 3, "readyReplicas": 2, "replicas": 2],
        ]
        let sts = try json.decode(StatefulSet.self)
        #expect(sts.isRolledOut)
        #expect(sts.metadata.resourceVersion == "42")
        let ks = try JSONValue(data: Data(#"""
        {"metadata":{"name":"apps","namespace":"flux-system"},"spec":{"suspend":true,"interval":"10m"},
         "status":{"conditions":[{"type":"Ready","status":"True","reason":"ReconciliationSucceeded","lastTransitionTime":"2026-11-25T10:00:00Z"}],
                   "lastAppliedRevision":"main@sha1:abc","lastHandledReconcileAt":"2026-11-25T10:00:00Z"}}
        """#.utf8)).decode(Kustomization.self)
        #expect(ks.isSuspended)
        #expect(ks.isReady)
        #expect(ks.status?.lastAppliedRevision == "main@sha1:abc")
    }
}
