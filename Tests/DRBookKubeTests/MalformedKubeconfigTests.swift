import DRBookKube
import Foundation
import Testing

/// Each broken kubeconfig fails with a message naming the file (and line), the field at
/// fault, and what to do.
@Suite("Malformed kubeconfigs are reported with the file, the field and the fix")
struct MalformedKubeconfigTests {
    let fixture: KubeFixture
    var file: String { fixture.path("config") }

    init() throws { fixture = try KubeFixture() }

    @Test("a YAML syntax error gives line and column, without quoting the line")
    func syntaxError() throws {
        let error = try fixture.error("""
            users:
            - name: u
              user:
                token: "unterminated-secret
            contexts: []
            """)
        #expect(error.kind == .syntax)
        #expect(error.description.hasPrefix("\(file):"))
        #expect(error.description.contains("the kubeconfig is not valid YAML: found unexpected end of stream"))
        #expect(!error.description.contains("unterminated-secret"))
    }

    @Test("a document that is not a mapping")
    func notAMapping() throws {
        let error = try fixture.error("- clusters\n- users\n")
        #expect(error.description == "\(file):1:1: the document is a list; expected a mapping with clusters, users, contexts and current-context. See `kubectl config view` for the expected shape")
    }

    @Test("clusters that is not a list")
    func clustersNotAList() throws {
        let error = try fixture.error("clusters:\n  prod:\n    server: https://x\n")
        #expect(error.kind == .wrongType)
        #expect(error.field == "clusters")
        #expect(error.description == "\(file):2:3: clusters is a mapping; expected a list of entries with name and cluster. See `kubectl config view` for the expected shape")
    }

    @Test("a cluster entry without a name")
    func clusterWithoutName() throws {
        let error = try fixture.error("clusters:\n- cluster:\n    server: https://x\n")
        #expect(error.description == "\(file):2:3: an entry of clusters has no name. Give every entry of clusters a `name:` that contexts can refer to")
    }

    @Test("a context naming a cluster that no file defines")
    func undefinedCluster() throws {
        let error = try fixture.error("""
            clusters:
            - {name: local, cluster: {server: https://127.0.0.1:6443}}
            - {name: staging, cluster: {server: https://staging:6443}}
            users:
            - {name: me, user: {token: t}}
            contexts:
            - name: prod
              context: {cluster: prod-cluster, user: me}
            current-context: prod
            """)
        #expect(error.field == "contexts[\"prod\"].context.cluster")
        #expect(error.description == "\(file):7:3: context \"prod\" refers to cluster \"prod-cluster\", which is not defined in any kubeconfig file (clusters: local, staging). Define a cluster named \"prod-cluster\" or point the context at one of those")
    }

    @Test("a context naming an undefined user")
    func undefinedUser() throws {
        let error = try fixture.error("""
            clusters: [{name: c, cluster: {server: https://x}}]
            users: [{name: alice, user: {token: t}}]
            contexts: [{name: ctx, context: {cluster: c, user: bob}}]
            current-context: ctx
            """)
        #expect(error.description == "\(file):3:12: context \"ctx\" refers to user \"bob\", which is not defined in any kubeconfig file (users: alice). Define a user named \"bob\" or point the context at one of those")
    }

    @Test("no current-context and no --context")
    func noCurrentContext() throws {
        let error = try fixture.error("""
            clusters: [{name: c, cluster: {server: https://x}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: a, context: {cluster: c, user: u}}, {name: b, context: {cluster: c, user: u}}]
            """)
        #expect(error.kind == .noContext)
        #expect(error.description == "\(file): current-context is not set in \(file) and no --context was given (contexts: a, b). Pass --context NAME or run `kubectl config use-context NAME`")
    }

    @Test("--context naming a context that does not exist")
    func unknownContext() throws {
        let error = try fixture.error("""
            clusters: [{name: c, cluster: {server: https://x}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: a, context: {cluster: c, user: u}}]
            current-context: a
            """, context: "prdo")
        #expect(error.field == "--context")
        #expect(error.description == "\(file): --context names context \"prdo\", which is not defined in \(file) (contexts: a). Use one of the defined contexts")
    }

    @Test("a cluster without server")
    func serverMissing() throws {
        let error = try fixture.error(singleContextConfig(cluster: "    insecure-skip-tls-verify: true", user: "    token: t"))
        #expect(error.description == "\(file):4:3: cluster \"c\" has no server. Set `server: https://HOST:6443` for that cluster")
    }

    @Test("a server that is not a URL")
    func serverNotURL() throws {
        let error = try fixture.error(singleContextConfig(cluster: "    server: ftp://files.example.test", user: "    token: t"))
        #expect(error.field == "clusters[\"c\"].cluster.server")
        #expect(error.description == "\(file):4:3: server \"ftp://files.example.test\" of cluster \"c\" is not a usable URL: the scheme must be https or http. Use the form https://HOST:PORT")
        let spaces = try fixture.error(singleContextConfig(cluster: "    server: https://exa mple.test", user: "    token: t"))
        #expect(spaces.description.contains("is not a usable URL: it cannot be parsed"))
    }

    @Test("certificate-authority-data that is not base64")
    func caDataNotBase64() throws {
        let error = try fixture.error(singleContextConfig(cluster: "    server: https://x\n    certificate-authority-data: not*base64!", user: "    token: t"))
        #expect(error.field == "clusters[\"c\"].cluster.certificate-authority-data")
        #expect(error.description == "\(file):7:33: clusters[\"c\"].cluster.certificate-authority-data is not valid base64. Put the base64 encoding of the PEM file there (`base64 -w0 file.pem`), or use the field without -data and a file path")
    }

    @Test("a client certificate without a client key")
    func certificateWithoutKey() throws {
        try fixture.write("client.pem", fakeCertPEM)
        let error = try fixture.error(singleContextConfig(user: "    client-certificate: client.pem"))
        #expect(error.field == "users[\"u\"].user.client-key")
        #expect(error.description == "\(file):8:3: user \"u\" has a client certificate but neither client-key nor client-key-data. Add the client key that belongs to the certificate")
    }

    @Test("token and tokenFile both set: the token wins, as in kubectl (not an error)")
    func tokenAndTokenFile() throws {
        try fixture.write("config", singleContextConfig(user: "    token: inline\n    tokenFile: /nonexistent/token"))
        #expect(try fixture.endpoint("config").credential == .token("inline"))
    }

    @Test("token and basic auth together are refused, as by kubectl")
    func tokenAndBasic() throws {
        let error = try fixture.error(singleContextConfig(user: "    token: t\n    username: u\n    password: p"))
        #expect(error.description == "\(file):8:3: user \"u\" has more than one authentication method (token, basicAuth); only one is allowed. Keep either the token or username/password")
    }

    @Test("an exec plugin with an unsupported apiVersion")
    func execUnsupportedVersion() throws {
        let error = try fixture.error(singleContextConfig(user: """
                exec:
                  apiVersion: client.authentication.k8s.io/v1alpha1
                  command: kubectl
            """))
        #expect(error.field == "users[\"u\"].user.exec.apiVersion")
        #expect(error.description == "\(file):8:3: user \"u\": exec apiVersion \"client.authentication.k8s.io/v1alpha1\" is not supported. Use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1 (client.authentication.k8s.io/v1alpha1 was removed from kubectl)")
    }

    @Test("an exec plugin without a command")
    func execWithoutCommand() throws {
        let error = try fixture.error(singleContextConfig(user: """
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  args: [get-token]
            """))
        #expect(error.field == "users[\"u\"].user.exec.command")
        #expect(error.description.hasPrefix("\(file):8:3: user \"u\": exec has no command. Set exec.command"))
    }

    @Test("a v1 exec plugin without interactiveMode (v1beta1 defaults to IfAvailable)")
    func v1WithoutInteractiveMode() throws {
        let error = try fixture.error(singleContextConfig(user: """
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: kubectl
            """))
        #expect(error.description == "\(file):8:3: user \"u\": exec interactiveMode must be specified with apiVersion client.authentication.k8s.io/v1. Set exec.interactiveMode to one of Never, IfAvailable, Always (IfAvailable is what v1beta1 assumed)")

        try fixture.write("beta", singleContextConfig(user: """
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: kubectl
            """))
        guard case .exec(let plugin) = try fixture.endpoint("beta").credential else {
            Issue.record("expected an exec credential")
            return
        }
        #expect(plugin.interactiveMode == .ifAvailable)
    }

    @Test("a tokenFile that does not exist")
    func tokenFileMissing() throws {
        let error = try fixture.error(singleContextConfig(user: "    tokenFile: secrets/token"))
        #expect(error.field == "users[\"u\"].user.tokenFile")
        #expect(error.description == "\(file):8:3: tokenFile of users[\"u\"].user names \(fixture.path("secrets/token")), which cannot be read. Check the path; a relative path is resolved against the directory of the kubeconfig file that defines it")
    }

    @Test("a certificate-authority file that does not exist")
    func caFileMissing() throws {
        let error = try fixture.error(singleContextConfig(cluster: "    server: https://x\n    certificate-authority: ca.pem", user: "    token: t"))
        #expect(error.description.hasPrefix("\(file):4:3: certificate-authority of clusters[\"c\"].cluster names \(fixture.path("ca.pem")), which cannot be read"))
    }

    @Test("--kubeconfig naming a file that does not exist")
    func explicitFileMissing() throws {
        let error = try #require(throws: KubeconfigError.self) {
            try fixture.loader().load(explicitPath: "missing/config")
        }
        #expect(error.kind == .fileNotFound)
        #expect(error.description == "\(fixture.path("missing/config")): the file given with --kubeconfig does not exist. Check the path, or leave out --kubeconfig to use KUBECONFIG or ~/.kube/config")
    }

    @Test("a field of the wrong type, e.g. a quoted boolean")
    func wrongType() throws {
        let error = try fixture.error(singleContextConfig(cluster: "    server: https://x\n    insecure-skip-tls-verify: \"true\"", user: "    token: t"))
        #expect(error.description == "\(file):7:31: clusters[\"c\"].cluster.insecure-skip-tls-verify is a string; expected true or false. See `kubectl config view` for the expected shape")
        let args = try fixture.error(singleContextConfig(user: "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: x\n      args: get-token"))
        #expect(args.description.hasPrefix("\(file):13:13: users[\"u\"].user.exec.args is a string; expected a list"))
    }

    @Test("two entries with the same name in one file")
    func duplicateNames() throws {
        let error = try fixture.error("users:\n- {name: me, user: {token: a}}\n- {name: me, user: {token: b}}\n")
        #expect(error.description == "\(file):3:3: users has two entries named \"me\". Rename or remove one of them")
    }

    @Test("an auth-provider user is refused with the replacement to use")
    func authProvider() throws {
        let error = try fixture.error(singleContextConfig(user: "    auth-provider:\n      name: oidc\n      config: {idp-issuer-url: https://issuer}"))
        #expect(error.kind == .unsupported)
        #expect(error.description.contains("user \"u\" uses auth-provider, which drbook does not support"))
        #expect(error.description.contains("kubectl oidc-login"))
    }

    @Test("a context namespace that is not a valid namespace name")
    func invalidNamespace() throws {
        let error = try fixture.error(singleContextConfig(user: "    token: t", namespace: "Monitoring_NS"))
        #expect(error.description == "\(file):12:3: namespace \"Monitoring_NS\" of context \"ctx\" is not a valid namespace name. Use lower-case letters, digits and '-', at most 63 characters")
    }

    @Test("an unreadable entry in KUBECONFIG (a directory) is an error, not skipped")
    func directoryInKubeconfig() throws {
        try FileManager.default.createDirectory(atPath: fixture.path("dir"), withIntermediateDirectories: true)
        let error = try #require(throws: KubeconfigError.self) {
            try fixture.loader(kubeconfigVariable: fixture.path("dir")).load()
        }
        #expect(error.description == "\(fixture.path("dir")): cannot read the kubeconfig file: it is a directory. Check that it is a regular file you may read")
    }
}
