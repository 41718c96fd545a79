import DRBookHTTP
import DRBookKube
import Foundation
import Testing

@Suite("In-cluster service-account configuration")
struct InClusterConfigTests {
    static func serviceAccount(_ fixture: KubeFixture, namespaceFile: String? = "from-file\n") throws -> String {
        try fixture.write("sa/token", "token-one\n")
        try fixture.write("sa/ca.crt", fakeCAPEM)
        if let namespaceFile { try fixture.write("sa/namespace", namespaceFile) }
        return fixture.path("sa")
    }

    static let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]

    @Test("host and port from the environment, CA and token from the service-account directory")
    func endpoint() throws {
        let fixture = try KubeFixture()
        let directory = try Self.serviceAccount(fixture)
        let endpoint = try InClusterConfig(environment: Self.environment, serviceAccountDirectory: directory).endpoint()
        #expect(endpoint.server.absoluteString == "https://10.96.0.1:443")
        #expect(endpoint.tls.certificateAuthority == .file(fixture.path("sa/ca.crt")))
        #expect(endpoint.tls.verifyPeer)
        #expect(endpoint.credential == .serviceAccount(tokenFile: fixture.path("sa/token")))
        #expect(endpoint.contextName == nil)
    }

    @Test("an IPv6 service host gets brackets")
    func ipv6() throws {
        let fixture = try KubeFixture()
        let directory = try Self.serviceAccount(fixture)
        let endpoint = try InClusterConfig(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"],
                                           serviceAccountDirectory: directory).endpoint()
        #expect(endpoint.server.absoluteString == "https://[fd00::1]:6443")
    }

    @Test("namespace: POD_NAMESPACE, then the namespace file, then default")
    func namespacePrecedence() throws {
        let fixture = try KubeFixture()
        let directory = try Self.serviceAccount(fixture)
        var environment = Self.environment
        environment["POD_NAMESPACE"] = "from-env"
        #expect(try InClusterConfig(environment: environment, serviceAccountDirectory: directory).endpoint().namespace == "from-env")
        #expect(try InClusterConfig(environment: Self.environment, serviceAccountDirectory: directory).endpoint().namespace == "from-file")
        let bare = try KubeFixture()
        let bareDirectory = try Self.serviceAccount(bare, namespaceFile: nil)
        #expect(try InClusterConfig(environment: Self.environment, serviceAccountDirectory: bareDirectory).endpoint().namespace == "default")
    }

    @Test("the token file is re-read once the cached token is about a minute old, picking up a rotation")
    func tokenRotation() async throws {
        let fixture = try KubeFixture()
        let directory = try Self.serviceAccount(fixture)
        let clock = ManualClock()
        let endpoint = try InClusterConfig(environment: Self.environment, serviceAccountDirectory: directory).endpoint()
        let provider = KubeCredentialProvider(endpoint: endpoint, clock: clock.clock)
        #expect(ExecPluginTests.bearer(try await provider.credentials()) == "token-one")
        try fixture.write("sa/token", "token-two\n")
        clock.advance(30)
        #expect(ExecPluginTests.bearer(try await provider.credentials()) == "token-one")
        clock.advance(31)
        #expect(ExecPluginTests.bearer(try await provider.credentials()) == "token-two")
    }

    @Test("a 401 drops a token read before the request, so a rotated token is read at once")
    func unauthorizedRereads() async throws {
        let fixture = try KubeFixture()
        let directory = try Self.serviceAccount(fixture)
        let endpoint = try InClusterConfig(environment: Self.environment, serviceAccountDirectory: directory).endpoint()
        let provider = KubeCredentialProvider(endpoint: endpoint, clock: ManualClock().clock)
        let used = try await provider.credentials()
        try fixture.write("sa/token", "token-two\n")
        await provider.unauthorized(used)
        #expect(ExecPluginTests.bearer(try await provider.credentials()) == "token-two")
    }

    @Test("without KUBERNETES_SERVICE_HOST/PORT it is a not-in-cluster error")
    func notInCluster() throws {
        let fixture = try KubeFixture()
        let directory = try Self.serviceAccount(fixture)
        for environment in [[:], ["KUBERNETES_SERVICE_HOST": "10.96.0.1"], ["KUBERNETES_SERVICE_PORT": "443"]] {
            let config = InClusterConfig(environment: environment, serviceAccountDirectory: directory)
            #expect(!config.isAvailable)
            let error = try #require(throws: KubeconfigError.self) { try config.endpoint() }
            #expect(error.kind == .notInCluster)
            #expect(error.description == "not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set. Run drbook inside the cluster (as a Job), or give it a kubeconfig")
        }
    }

    @Test("a missing token file is an error naming it")
    func missingToken() throws {
        let fixture = try KubeFixture()
        try fixture.write("sa/ca.crt", fakeCAPEM)
        let error = try #require(throws: KubeconfigError.self) {
            try InClusterConfig(environment: Self.environment, serviceAccountDirectory: fixture.path("sa")).endpoint()
        }
        #expect(error.description.hasPrefix("\(fixture.path("sa/token")): cannot read the service-account token"))
    }
}

@Suite("Choosing between kubeconfig and in-cluster like kubectl")
struct KubeAccessTests {
    @Test("with no kubeconfig anywhere and the pod environment set, the service account is used")
    func fallsBackToInCluster() throws {
        let fixture = try KubeFixture()
        let directory = try InClusterConfigTests.serviceAccount(fixture)
        let access = KubeAccess(environment: InClusterConfigTests.environment, home: fixture.path("home"),
                                serviceAccountDirectory: directory)
        #expect(try access.endpoint().credential == .serviceAccount(tokenFile: fixture.path("sa/token")))
    }

    @Test("an existing kubeconfig wins over the pod environment; without either the kubeconfig error stands")
    func kubeconfigWins() throws {
        let fixture = try KubeFixture()
        let directory = try InClusterConfigTests.serviceAccount(fixture)
        try fixture.write("home/.kube/config", singleContextConfig(user: "    token: t"))
        let access = KubeAccess(environment: InClusterConfigTests.environment, home: fixture.path("home"),
                                serviceAccountDirectory: directory)
        #expect(try access.endpoint().contextName == "ctx")

        let empty = try KubeFixture()
        let error = try #require(throws: KubeconfigError.self) {
            try KubeAccess(environment: [:], home: empty.path("home"), serviceAccountDirectory: directory).endpoint()
        }
        #expect(error.kind == .noConfiguration)
    }
}
