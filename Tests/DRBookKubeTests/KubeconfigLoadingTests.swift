import DRBookHTTP
import DRBookKube
import Foundation
import Testing

@Suite("Loading and merging kubeconfig files like kubectl")
struct KubeconfigLoadingTests {
    let first = """
        clusters:
        - name: shared
          cluster:
            server: https://first.example.test
        - name: only-first
          cluster:
            server: https://only-first.example.test
        users:
        - name: shared-user
          user:
            token: first-token
        contexts:
        - name: shared-ctx
          context: {cluster: shared, user: shared-user, namespace: first-ns}
        current-context: ""
        """
    let second = """
        clusters:
        - name: shared
          cluster:
            server: https://second.example.test
            insecure-skip-tls-verify: true
        - name: only-second
          cluster:
            server: https://only-second.example.test
        users:
        - name: shared-user
          user:
            username: admin
            password: from-second
        contexts:
        - name: shared-ctx
          context: {cluster: only-second, user: shared-user}
        - name: second-ctx
          context: {cluster: only-second, user: shared-user}
        current-context: second-ctx
        """
    let third = """
        contexts:
        - name: third-ctx
          context: {cluster: only-first, user: shared-user}
        current-context: third-ctx
        """

    @Test("the first file to define a name wins entirely, even fields the later file adds")
    func firstFileWins() throws {
        let fixture = try KubeFixture()
        let a = try fixture.write("a/config", first)
        let b = try fixture.write("b/config", second)
        let merged = try fixture.loader(kubeconfigVariable: "\(a):\(b)").load()
        #expect(merged.files == [a, b])
        #expect(merged.clusters.map(\.name) == ["shared", "only-first", "only-second"])
        let shared = try #require(merged.cluster("shared"))
        #expect(shared.value.server == "https://first.example.test")
        #expect(shared.value.insecureSkipTLSVerify == false)
        #expect(shared.file == a)
        #expect(merged.user("shared-user")?.value.token == "first-token")
        #expect(merged.user("shared-user")?.value.password == nil)

        let endpoint = try ContextResolver(merged).resolve(context: "shared-ctx")
        #expect(endpoint.server.absoluteString == "https://first.example.test")
        #expect(endpoint.namespace == "first-ns")
        #expect(endpoint.credential == .token("first-token"))
        #expect(endpoint.tls.verifyPeer)
    }

    @Test("the first non-empty current-context wins; an empty one does not count")
    func currentContextPrecedence() throws {
        let fixture = try KubeFixture()
        let a = try fixture.write("a/config", first)
        let b = try fixture.write("b/config", second)
        let c = try fixture.write("c/config", third)
        let merged = try fixture.loader(kubeconfigVariable: "\(a):\(c):\(b)").load()
        #expect(merged.currentContext == "third-ctx")
        #expect(merged.currentContextFile == c)
        let endpoint = try ContextResolver(merged).resolve()
        #expect(endpoint.contextName == "third-ctx")
        #expect(endpoint.server.absoluteString == "https://only-first.example.test")

        let reordered = try fixture.loader(kubeconfigVariable: "\(a):\(b):\(c)").load()
        #expect(reordered.currentContext == "second-ctx")
    }

    @Test("missing files in KUBECONFIG are skipped, duplicates read once, relative entries start at the working directory")
    func missingSkipped() throws {
        let fixture = try KubeFixture()
        let a = try fixture.write("a/config", first)
        let merged = try fixture.loader(kubeconfigVariable: "\(fixture.path("nope/config")):a/config::\(a)").load()
        #expect(merged.files == [a])
        #expect(merged.skippedFiles == [fixture.path("nope/config")])
    }

    @Test("when every file in KUBECONFIG is missing the error lists them")
    func allMissing() throws {
        let fixture = try KubeFixture()
        let error = try #require(throws: KubeconfigError.self) {
            try fixture.loader(kubeconfigVariable: "\(fixture.path("x")):\(fixture.path("y"))").load()
        }
        #expect(error.kind == .noConfiguration)
        #expect(error.description.contains("none of the files listed in KUBECONFIG exists (\(fixture.path("x")), \(fixture.path("y")))"))
    }

    @Test("without KUBECONFIG, ~/.kube/config under the injected HOME is read")
    func defaultFile() throws {
        let fixture = try KubeFixture()
        let path = try fixture.write("home/.kube/config", second)
        let merged = try fixture.loader().load()
        #expect(merged.files == [path])
        #expect(try ContextResolver(merged).resolve().contextName == "second-ctx")

        let empty = try KubeFixture()
        let error = try #require(throws: KubeconfigError.self) { try empty.loader().load() }
        #expect(error.description == "\(empty.path("home/.kube/config")): no kubeconfig found: the default file does not exist and KUBECONFIG is not set. Create it (e.g. with your cluster's `kubeconfig` export), set KUBECONFIG, or pass --kubeconfig")
    }

    @Test("--kubeconfig reads that one file only, unmerged, even when KUBECONFIG is set")
    func explicitFile() throws {
        let fixture = try KubeFixture()
        let a = try fixture.write("a/config", first)
        let b = try fixture.write("b/config", second)
        let merged = try fixture.loader(kubeconfigVariable: a).load(explicitPath: "b/config")
        #expect(merged.files == [b])
        #expect(merged.cluster("only-first") == nil)
        #expect(merged.cluster("shared")?.value.server == "https://second.example.test")
    }

    @Test("--context overrides current-context")
    func contextOverride() throws {
        let fixture = try KubeFixture()
        let b = try fixture.write("b/config", second)
        let resolver = try ContextResolver(fixture.loader(kubeconfigVariable: b).load())
        #expect(try resolver.resolve().contextName == "second-ctx")
        let endpoint = try resolver.resolve(context: "shared-ctx")
        #expect(endpoint.contextName == "shared-ctx")
        #expect(endpoint.clusterName == "only-second")
        #expect(endpoint.namespace == "default")
        #expect(endpoint.credential == .basic(username: "admin", password: "from-second"))
    }

    @Test("relative paths are resolved against the directory of the file that defined the stanza")
    func relativePaths() throws {
        let fixture = try KubeFixture()
        try fixture.write("team/certs/ca.pem", fakeCAPEM)
        try fixture.write("team/certs/client.pem", fakeCertPEM)
        try fixture.write("team/certs/client.key", fakeKeyPEM)
        try fixture.write("team/token", "file-token\n")
        try fixture.write("team/bin/plugin", "#!/bin/sh\n", executable: true)
        let team = try fixture.write("team/config", """
            clusters:
            - name: c
              cluster:
                server: https://api.example.test
                certificate-authority: certs/ca.pem
            users:
            - name: cert-user
              user:
                client-certificate: certs/client.pem
                client-key: ./certs/../certs/client.key
            - name: file-user
              user:
                tokenFile: token
            - name: exec-user
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: ./bin/plugin
            - name: path-user
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: kubectl
            """)
        let contexts = try fixture.write("elsewhere/contexts", """
            contexts:
            - {name: cert, context: {cluster: c, user: cert-user}}
            - {name: file, context: {cluster: c, user: file-user}}
            - {name: exec, context: {cluster: c, user: exec-user}}
            - {name: path, context: {cluster: c, user: path-user}}
            """)
        let resolver = try ContextResolver(fixture.loader(kubeconfigVariable: "\(contexts):\(team)").load())
        let cert = try resolver.resolve(context: "cert")
        #expect(cert.tls.certificateAuthority == .file(fixture.path("team/certs/ca.pem")))
        #expect(cert.tls.clientCertificate == .file(fixture.path("team/certs/client.pem")))
        #expect(cert.tls.clientKey == .file(fixture.path("team/certs/client.key")))
        #expect(cert.credential == .clientCertificate)
        #expect(cert.source == contexts)
        #expect(try resolver.resolve(context: "file").credential == .tokenFile(path: fixture.path("team/token")))
        guard case .exec(let plugin) = try resolver.resolve(context: "exec").credential,
              case .exec(let onPath) = try resolver.resolve(context: "path").credential else {
            Issue.record("expected exec credentials")
            return
        }
        #expect(plugin.command == fixture.path("team/bin/plugin"))
        #expect(onPath.command == "kubectl")
    }

    @Test("unknown fields, preferences and extensions are tolerated")
    func unknownFieldsTolerated() throws {
        let fixture = try KubeFixture()
        try fixture.write("config", """
            apiVersion: v1
            kind: Config
            preferences: {colors: true}
            extensions:
            - name: something
              extension: {a: 1}
            clusters:
            - name: c
              cluster:
                server: https://api.example.test
                some-future-field: [1, 2]
                extensions:
                - name: other
                  extension: {x: y}
            users:
            - name: u
              user: {token: t, brand-new: {nested: true}}
            contexts:
            - name: ctx
              context: {cluster: c, user: u, extensions: []}
            current-context: ctx
            """)
        let endpoint = try fixture.endpoint("config")
        #expect(endpoint.server.absoluteString == "https://api.example.test")
        #expect(endpoint.credential == .token("t"))
    }

    @Test("an empty kubeconfig file is an empty configuration, not an error")
    func emptyFile() throws {
        let fixture = try KubeFixture()
        let empty = try fixture.write("empty", "# nothing yet\n")
        let b = try fixture.write("b", second)
        let merged = try fixture.loader(kubeconfigVariable: "\(empty):\(b)").load()
        #expect(merged.files == [empty, b])
        #expect(merged.currentContext == "second-ctx")
    }
}
