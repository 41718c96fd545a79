import DRBookPlatform
import Foundation
import Testing

/// Files that may still hold platform names, each with why. Keep this list short: a name in
/// code is a layout drbook cannot serve without a release.
let allowedFiles: [(path: String, why: String)] = [
    ("Sources/DRBookPlatform/BuiltinProfiles.swift", "the profile data itself: platforms/*.yaml embedded in the binary"),
    ("Sources/DRBookSandbox/BuiltinSeeds.swift", "the sandbox's seed data itself: sandbox/*.yaml embedded in the binary"),
]

/// The names of the platform that must not be written in code: each built-in profile's key
/// names, placeholders, SOPS file paths and heartbeat CronJob. Namespaces and schedule names
/// (`monitoring`, `velero`, `daily-full`) are left out: they are ordinary words that examples
/// and the store generator's scenarios use.
func platformNames() -> Set<String> {
    var names: Set<String> = ["example.invalid"]
    for name in PlatformProfile.builtinNames {
        guard let profile = PlatformProfile.named(name) else { continue }
        for secret in profile.alerting.all {
            names.insert(secret.variable)
            names.formUnion(secret.placeholders.map(\.value))
        }
        for path in [profile.store.accessKeyIDPath, profile.store.secretAccessKeyPath] {
            names.insert(String(path.split(separator: ".").last!))
        }
        names.insert(profile.store.prefixVariable)
        for file in profile.sopsFiles {
            names.insert(file.path)
            // The file's own name, when it is distinctive (not just secret.enc.yaml).
            let base = (file.path as NSString).lastPathComponent
            if base.split(separator: "-").count > 1 { names.insert(base) }
        }
        if case let .cronJob(job) = profile.heartbeat.source { names.insert(job.name) }
        if let restore = profile.restore {
            names.formUnion([restore.repositoryPasswordSecret.name, restore.repositoryPasswordKey])
        }
    }
    return names
}

@Suite("No platform name in Sources outside the profile data")
struct NoPlatformLiteralTests {
    @Test("Swift sources under Sources/ hold none of the platform's names (key names, placeholders, SOPS paths)")
    func noLiterals() throws {
        let names = platformNames()
        #expect(names.contains("r2_prefix_velero") && names.contains("alertmanager_webhook_url"), "the profiles lost their names: \(names.sorted())")
        let sources = repositoryRoot.appendingPathComponent("Sources")
        let enumerator = try #require(FileManager.default.enumerator(atPath: sources.path))
        var found: [String] = []
        var checked = 0
        for case let relative as String in enumerator where relative.hasSuffix(".swift") {
            let path = "Sources/\(relative)"
            if allowedFiles.contains(where: { path == $0.path || ($0.path.hasSuffix("/") && path.hasPrefix($0.path)) }) { continue }
            checked += 1
            let text = try String(contentsOf: sources.appendingPathComponent(relative), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for name in names where line.contains(name) {
                    found.append("\(path):\(number + 1): '\(name)'")
                }
            }
        }
        #expect(checked > 100, "only \(checked) source files were read from \(sources.path)")
        #expect(found.isEmpty, "platform names in code (move them to platforms/*.yaml and read the profile):\n\(found.joined(separator: "\n"))")
    }
}
