// swift-tools-version: 6.0
import PackageDescription

// Layers, bottom to top: C libraries → transport (HTTP, archives) → one module per
// system drbook talks to → runbook engine → actions → CLI. A module only imports
// modules below it; the engine will never import a system module.
let package = Package(
    name: "drbook",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "drbook", targets: ["drbook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The sandbox's HTTP server: small, no SwiftNIO (a clean build stays short).
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "DRBookHTTP", dependencies: ["CCurl"]),
        .target(name: "DRBookDigest", dependencies: ["CCrypto"]),
        // Text for people: columns as kubectl prints them, shared by the CLI and the describers below it.
        .target(name: "DRBookText"),
        .target(name: "DRBookProcess"),
        // YAML read safely: aliases and nesting bounded before Yams builds a tree.
        .target(name: "DRBookYAML", dependencies: ["Yams"]),
        .target(name: "DRBookArchive", dependencies: ["CArchive"]),
        .target(name: "DRBookObjectStore", dependencies: ["DRBookHTTP"]),
        .target(name: "DRBookKube", dependencies: ["DRBookHTTP", "DRBookProcess", "DRBookText", "Yams"]),
        // The platform profile: the platform's names and numbers as data (platforms/*.yaml, built in).
        .target(name: "DRBookPlatform", dependencies: ["Yams"]),
        // The store access (StoreAccess) decrypts R2 keys from the platform's SOPS file, hence DRBookSecrets.
        .target(name: "DRBookVelero", dependencies: ["DRBookHTTP", "DRBookObjectStore", "DRBookArchive", "DRBookKube", "DRBookSecrets", "DRBookText"]),
        // SOPS files, age-key decryption through the sops binary, secret validators.
        .target(name: "DRBookSecrets", dependencies: ["DRBookProcess", "DRBookDigest", "DRBookHTTP", "DRBookPlatform", "DRBookYAML", "Yams"]),
        // The alert path: Alertmanager, Prometheus and healthchecks.io clients.
        .target(name: "DRBookAlerting", dependencies: ["DRBookHTTP", "DRBookKube", "DRBookDigest", "DRBookArchive", "DRBookText", "Yams"]),
        // The simulated cluster, store and monitors for tests and `drbook demo`.
        .target(name: "DRBookSandbox", dependencies: [
            "DRBookKube", "DRBookVelero", "DRBookObjectStore", "DRBookArchive", "DRBookHTTP", "DRBookDigest",
            .product(name: "FlyingFox", package: "FlyingFox"),
        ]),
        // The runbook engine: format, loader, lint, expressions. It imports no system module.
        .target(name: "DRBookRunbook", dependencies: ["DRBookDigest", "DRBookText", "DRBookYAML", "Yams"]),
        // The actions: the only glue between the engine and the systems.
        .target(name: "DRBookActions", dependencies: ["DRBookRunbook", "DRBookHTTP", "DRBookObjectStore", "DRBookVelero", "DRBookProcess", "DRBookKube", "DRBookSecrets", "DRBookPlatform", "DRBookAlerting"]),
        .executableTarget(
            name: "drbook",
            dependencies: [
                "DRBookHTTP",
                "DRBookArchive",
                "DRBookObjectStore",
                "DRBookVelero",
                "DRBookRunbook",
                "DRBookActions",
                "DRBookKube",
                "DRBookSecrets",
                "DRBookSandbox",
                "DRBookPlatform",
                "DRBookText",
                "Yams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "drbook-bench",
            dependencies: [
                "DRBookHTTP",
                "DRBookArchive",
                "DRBookObjectStore",
                "DRBookVelero",
                "DRBookVeleroFixtures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Generated Velero stores with faults, for the tests and drbook-bench only.
        .target(
            name: "DRBookVeleroFixtures",
            dependencies: ["DRBookVelero", "DRBookKube"],
            path: "Tests/DRBookVeleroFixtures"
        ),
        .target(
            name: "DRBookTestSupport",
            dependencies: ["DRBookHTTP", "DRBookObjectStore"],
            path: "Tests/DRBookTestSupport"
        ),
        .testTarget(name: "DRBookHTTPTests", dependencies: ["DRBookHTTP", "DRBookTestSupport"]),
        .testTarget(name: "DRBookDigestTests", dependencies: ["DRBookDigest"]),
        .testTarget(name: "DRBookArchiveTests", dependencies: ["DRBookArchive", "DRBookHTTP", "DRBookObjectStore", "DRBookTestSupport"]),
        .testTarget(name: "DRBookObjectStoreTests", dependencies: ["DRBookObjectStore", "DRBookTestSupport"]),
        .testTarget(name: "DRBookRunbookTests", dependencies: ["DRBookRunbook", "DRBookDigest"]),
        .testTarget(name: "DRBookActionsTests", dependencies: ["DRBookActions", "DRBookKube", "DRBookSandbox", "DRBookVelero", "DRBookVeleroFixtures", "DRBookTestSupport"]),
        .testTarget(name: "DRBookVeleroTests", dependencies: ["DRBookVelero", "DRBookVeleroFixtures", "DRBookKube", "DRBookTestSupport"]),
        .testTarget(name: "DRBookKubeTests", dependencies: ["DRBookKube", "DRBookTestSupport"]),
        .testTarget(name: "DRBookSecretsTests", dependencies: ["DRBookSecrets", "DRBookPlatform", "DRBookTestSupport"]),
        .testTarget(name: "DRBookPlatformTests", dependencies: ["DRBookPlatform", "DRBookSecrets", "DRBookTestSupport", "Yams"]),
        .testTarget(name: "DRBookSandboxTests", dependencies: ["DRBookSandbox", "DRBookKube", "DRBookVelero", "DRBookObjectStore", "DRBookTestSupport"]),
        .testTarget(name: "DRBookAlertingTests", dependencies: ["DRBookAlerting", "DRBookActions", "DRBookRunbook", "DRBookPlatform", "DRBookSandbox", "DRBookKube", "DRBookTestSupport"]),
        .testTarget(name: "DRBookCLITests", dependencies: ["drbook", "DRBookArchive", "DRBookVelero", "DRBookVeleroFixtures", "DRBookProcess", "DRBookTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
