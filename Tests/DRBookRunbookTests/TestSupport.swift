import Foundation
import Testing
@testable import DRBookRunbook

/// The actions the tests' runbooks use, declared the way the real registry will declare them.
let testCatalog = ActionCatalog([
    ActionDescriptor(
        name: "velero.locationAvailable", summary: "The backup storage location is Available.",
        inputs: [InputSpec("location", .string, required: true)],
        outputs: [OutputSpec("available", .bool)]),
    ActionDescriptor(
        name: "velero.scheduleCovers", summary: "A schedule includes a namespace.",
        inputs: [InputSpec("schedule", .string, required: true), InputSpec("namespace", .string, required: true)],
        outputs: [OutputSpec("covered", .bool)]),
    ActionDescriptor(
        name: "velero.latestBackup", summary: "The newest completed backup of a schedule.",
        inputs: [InputSpec("schedule", .string, required: true), InputSpec("maxAge", .duration)],
        outputs: [OutputSpec("name", .string), OutputSpec("completedAt", .time), OutputSpec("itemCount", .int)]),
    ActionDescriptor(
        name: "velero.restore", summary: "Restore a backup.",
        inputs: [
            InputSpec("backup", .string, required: true), InputSpec("namespace", .string, required: true),
            InputSpec("targetNamespace", .string),
        ],
        outputs: [OutputSpec("name", .string), OutputSpec("finishedAt", .time)],
        mutates: true, idempotent: false),
    ActionDescriptor(
        name: "manual", summary: "The operator does something and confirms.",
        inputs: [InputSpec("instructions", .string, required: true)]),
    ActionDescriptor(
        name: "healthchecks.waitForPing", summary: "Waits for a heartbeat ping newer than a time.",
        inputs: [
            InputSpec("url", .string, required: true, secret: true), InputSpec("newerThan", .time, required: true),
            InputSpec("timeout", .duration),
        ],
        outputs: [OutputSpec("pingedAt", .time), OutputSpec("delay", .duration)]),
    ActionDescriptor(
        name: "k8s.scale", summary: "Scales a workload.",
        inputs: [InputSpec("name", .string, required: true), InputSpec("replicas", .int, required: true)],
        mutates: true),
    ActionDescriptor(
        name: "exec", summary: "Runs a program.",
        inputs: [InputSpec("argv", .list, required: true), InputSpec("expectExit", .int)],
        outputs: [OutputSpec("stdout", .string)]),
])

/// A scratch folder, removed when the test ends.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("drbook-runbook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ text: String, to relativePath: String) throws -> String {
        let full = (path as NSString).appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
}

/// A docs/ folder with the headings the test runbooks link to.
let alertingDoc = """
    # Alerting and disaster recovery

    ## Disaster recovery drill

    ## Backups

    ## Find the newest backup

    ## Restore from a backup

    ```sh
    # Not a heading: inside a code fence
    ```

    ## Heartbeat
    """

func docsFolder() throws -> TemporaryDirectory {
    let docs = try TemporaryDirectory()
    _ = try docs.write(alertingDoc, to: "dr/alerting.md")
    return docs
}

/// Lints `yaml` as file `t.yaml` against the test catalog and docs; one rendered line per diagnostic.
func lintLines(_ yaml: String) throws -> [String] {
    let docs = try docsFolder()
    let linter = RunbookLinter(catalog: testCatalog, docsRoot: docs.path)
    return linter.lint(yaml: yaml, file: "t.yaml").map(\.description)
}

/// The runbook in docs/runbook-format.md under "A complete example", so the doc and the tests cannot drift apart.
func workedExample() throws -> String {
    let testFile = URL(fileURLWithPath: #filePath)
    let repository = testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let markdown = try String(contentsOf: repository.appendingPathComponent("docs/runbook-format.md"), encoding: .utf8)
    let section = try #require(markdown.range(of: "## A complete example"))
    let afterHeading = markdown[section.upperBound...]
    let open = try #require(afterHeading.range(of: "```yaml\n"))
    let close = try #require(afterHeading[open.upperBound...].range(of: "\n```"))
    return String(afterHeading[open.upperBound..<close.lowerBound]) + "\n"
}
