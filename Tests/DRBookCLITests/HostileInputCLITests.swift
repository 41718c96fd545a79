import DRBookTestSupport
import DRBookVeleroFixtures
import Foundation
import Testing

/// Each input a mutated file or flag can give drbook: it answers with exit 2, the position and
/// what is wrong, and it answers promptly. The 20 s per process is far above what any of these
/// takes; reaching it fails the test (`drbook(_:timeout:)` throws), which is the hang the
/// issue saw, not a slow machine.
@Suite("Hostile input never crashes or hangs drbook", .offPoolOneAtATime)
struct HostileInputCLITests {
    static let bound = Duration.seconds(20)
    static let tooLong = "expected a duration of at most 2562047h (about 292 years, the longest Go and Velero durations)"

    /// A directory holding `runbook` as `runbooks/t.yaml`, and the arguments that point drbook at it.
    /// `drbook run` takes `--runs-dir` too; `lint` and `show` only `--runbooks`.
    static func workspace(_ runbook: String) throws -> (TemporaryDirectory, [String], String) {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("runbooks"), withIntermediateDirectories: true)
        try runbook.write(toFile: directory.path("runbooks/t.yaml"), atomically: true, encoding: .utf8)
        return (directory, ["--runbooks", directory.path("runbooks")], directory.path("runbooks/t.yaml"))
    }

    static func runsDir(_ directory: TemporaryDirectory) -> [String] { ["--runs-dir", directory.path("runs")] }

    static func runbook(params: String = "", step: String) -> String {
        """
        apiVersion: drbook/v1
        metadata: {name: t, title: Hostile}
        \(params)
        steps:
        \(step)
        """
    }

    // MARK: durations beyond Int

    @Test("--rpo 99999999999999999999h is refused as too long, exit 2, naming the flag")
    func rpoFlagTooLong() async throws {
        let result = try await drbook(["backups", "verify", "--store", "file:///nowhere", "--namespace", "monitoring",
                                       "--rpo", "99999999999999999999h"], timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        #expect(result.stderr.contains("--rpo '99999999999999999999h' is too long; \(Self.tooLong)"), "\(result.all)")
        #expect(!result.all.contains("Fatal error"))
    }

    @Test("a runbook default of 9223372036854775807s is an error at its position in lint and show, exit 2")
    func runbookDefaultTooLong() async throws {
        let (directory, arguments, file) = try Self.workspace(Self.runbook(
            params: "params:\n  rpo: {type: duration, default: 9223372036854775807s}",
            step: "  - {id: w, title: Wait, uses: wait, with: {duration: '${{ params.rpo }}'}}"))
        _ = directory
        let expected = "\(file):4:34: error: param 'rpo' of type duration has default '9223372036854775807s' (a string); \(Self.tooLong)"
        for command in ["lint", "show"] {
            let result = try await drbook([command, "t"] + arguments, timeout: Self.bound)
            #expect(result.status == 2, "\(command): \(result.all)")
            #expect(result.all.contains(expected), "\(command): \(result.all)")
            #expect(!result.all.contains("Fatal error"))
        }
    }

    @Test("${{ params.rpo + 9223372036854775807s }} is refused at the literal, exit 2")
    func expressionLiteralTooLong() async throws {
        let (directory, arguments, file) = try Self.workspace(Self.runbook(
            params: "params:\n  rpo: {type: duration, default: 24h}",
            step: "  - {id: w, title: Wait, uses: wait, with: {duration: '${{ params.rpo + 9223372036854775807s }}'}}"))
        _ = directory
        let result = try await drbook(["lint", "t"] + arguments, timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        #expect(result.all.contains("\(file):6:73: error: the duration 9223372036854775807s is too long; \(Self.tooLong)"), "\(result.all)")
    }

    @Test("a sum past the longest duration fails the step at the operator, without a crash")
    func expressionSumTooLong() async throws {
        let (directory, arguments, file) = try Self.workspace(Self.runbook(
            params: "params:\n  rpo: {type: duration, default: 24h}",
            step: "  - {id: w, title: Wait, uses: wait, with: {duration: '${{ params.rpo + 2562047h }}'}}"))
        _ = directory
        let result = try await drbook(["run", "t", "--param", "rpo=2562047h"] + arguments + Self.runsDir(directory), timeout: Self.bound)
        #expect(result.all.contains("\(file):6:71: input 'duration' of step 'w': 2562047h + 2562047h is longer than 2562047h, the longest duration drbook takes"), "\(result.all)")
        #expect(!result.all.contains("Fatal error"))
        // The sum depends on a value given at run time, so it fails its step (exit 1) rather than the lint.
        #expect(result.status == 1, "\(result.all)")
    }

    @Test("--rpo 106752d is refused on the command line with the words a runbook default of 106752d gets")
    func sameBoundOnBothSides() async throws {
        let flag = try await drbook(["backups", "verify", "--store", "file:///nowhere", "--namespace", "monitoring", "--rpo", "106752d"],
                                    timeout: Self.bound)
        #expect(flag.status == 2)
        #expect(flag.stderr.contains("--rpo '106752d' is too long; \(Self.tooLong)"), "\(flag.all)")
        let (directory, arguments, _) = try Self.workspace(Self.runbook(
            params: "params:\n  rpo: {type: duration, default: 106752d}",
            step: "  - {id: w, title: Wait, uses: wait, with: {duration: 1s}}"))
        _ = directory
        let runbook = try await drbook(["lint", "t"] + arguments, timeout: Self.bound)
        #expect(runbook.status == 2)
        #expect(runbook.all.contains("has default '106752d' (a string); \(Self.tooLong)"), "\(runbook.all)")
        // One day less is accepted by both.
        let accepted = try await drbook(["backups", "verify", "--store", "file:///nowhere", "--namespace", "monitoring", "--rpo", "106751d"],
                                        timeout: Self.bound)
        #expect(!accepted.all.contains("--rpo"), "\(accepted.all)")
    }

    // MARK: expressions too deep or too long

    @Test("5,000 nested parentheses in a condition are a lint error at the 33rd, exit 2")
    func nestedParentheses() async throws {
        let condition = String(repeating: "(", count: 5000) + "true" + String(repeating: ")", count: 5000)
        let (directory, arguments, file) = try Self.workspace(Self.runbook(
            step: "  - id: w\n    title: Wait\n    uses: wait\n    when: '${{ \(condition) }}'\n    with: {duration: 1s}"))
        _ = directory
        let result = try await drbook(["lint", "t"] + arguments, timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        #expect(result.all.contains("\(file):8:48: error: parentheses, calls and '!' or '-' are nested more than 32 levels deep here"), "\(result.all)")
    }

    @Test("a flat chain of 5,000 terms is refused before the run starts, exit 2", arguments: ["+", "&&"])
    func flatChain(op: String) async throws {
        let expression = op == "+"
            ? Array(repeating: "1s", count: 5000).joined(separator: " + ")
            : Array(repeating: "true", count: 5000).joined(separator: " && ")
        let step = op == "+"
            ? "  - {id: w, title: Wait, uses: wait, with: {duration: '${{ \(expression) }}'}}"
            : "  - id: w\n    title: Wait\n    uses: wait\n    when: '${{ \(expression) }}'\n    with: {duration: 1s}"
        let (directory, arguments, file) = try Self.workspace(Self.runbook(step: step))
        _ = directory
        let result = try await drbook(["run", "t"] + arguments + Self.runsDir(directory), timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        let line = op == "+" ? 5 : 8
        // The 257th token is term 129: the first term at column 60 (or 16), each term and its operator before it.
        let column = op == "+" ? 60 + 128 * 5 : 16 + 128 * 8
        #expect(result.all.contains("\(file):\(line):\(column): error: the expression is longer than 256 values, names and operators"), "\(result.all)")
        // Refused before a run was created.
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: directory.path("runs"))) ?? []
        #expect(runs.isEmpty, "\(runs)")
    }

    @Test("${{ params. }} says a param name was expected after 'params.', at the dot")
    func paramNameMissing() async throws {
        let (directory, arguments, file) = try Self.workspace(Self.runbook(
            params: "params:\n  rpo: {type: duration, default: 24h}",
            step: "  - {id: w, title: Wait, uses: wait, with: {duration: '${{ params. }}'}}"))
        _ = directory
        let result = try await drbook(["lint", "t"] + arguments, timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        #expect(result.all.contains("\(file):6:66: error: expected a param name after 'params.', e.g. params.region"), "\(result.all)")
    }

    // MARK: YAML alias bombs

    /// Nine anchors, each a list of nine aliases of the one before: 9^9 nodes once expanded.
    static func aliasBomb(indent: String) -> String {
        var lines = ["\(indent)a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            lines.append("\(indent)\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n")
    }

    @Test("an alias bomb in a step input is a lint error at the alias past the bound, exit 2")
    func aliasBombInRunbook() async throws {
        let (directory, arguments, file) = try Self.workspace(Self.runbook(
            step: "  - id: w\n    title: Wait\n    uses: wait\n    with:\n      duration: 1s\n" + Self.aliasBomb(indent: "      ")))
        _ = directory
        let result = try await drbook(["lint", "t"] + arguments, timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        // a stands for 10 nodes, b for 91, c for 820, d for 7381: the aliases of b, c and d add 8289,
        // so the first *d of e (line 14, column 14) goes past 10,000.
        #expect(result.all.contains("\(file):14:14: error: the alias *d brings the nodes YAML aliases stand for in this file past 10000 (it stands for 7381)"), "\(result.all)")
    }

    @Test("an alias bomb in a SOPS file is refused by secrets check at the alias, exit 2")
    func aliasBombInSopsFile() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("secret.enc.yaml")
        try ("stringData:\n" + Self.aliasBomb(indent: "  ") + "\nsops:\n  version: 3.9.0\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await drbook(["secrets", "check", "--file", file, "--key", "stringData.a"], timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        #expect(result.all.contains("\(file):6:10: not usable as YAML: the alias *d brings the nodes YAML aliases stand for in this file past 10000 (it stands for 7381)"), "\(result.all)")
    }

    // MARK: files that are not what they claim

    @Test("random bytes as a runbook say not UTF-8 with the position of the first bad byte")
    func randomBytesRunbook() async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("runbooks"), withIntermediateDirectories: true)
        var bytes = Data("apiVersion: drbook/v1\nmetadata: ".utf8)
        bytes.append(contentsOf: [0xC3, 0x28, 0xFF, 0xFE, 0x00, 0x9F])
        try bytes.write(to: URL(fileURLWithPath: directory.path("runbooks/t.yaml")))
        let result = try await drbook(["lint", directory.path("runbooks/t.yaml")], timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        #expect(result.all.contains("t.yaml:2:11: error: the file is not UTF-8 text, so it is not a YAML runbook: byte 0xC3 at offset 32 is not valid UTF-8"), "\(result.all)")
        #expect(!result.all.contains("correct format"))
    }

    @Test("a control character in a runbook says not YAML text at its position")
    func controlCharacterRunbook() async throws {
        let (directory, arguments, file) = try Self.workspace("apiVersion: drbook/v1\nmetadata: {name: t\u{7}}\n")
        _ = directory
        let result = try await drbook(["lint", "t"] + arguments, timeout: Self.bound)
        #expect(result.status == 2, "\(result.all)")
        #expect(result.all.contains("\(file):2:19: error: not YAML text: control characters are not allowed"), "\(result.all)")
    }

    @Test("a 40-digit integer in velero-backup.json names the field and says the number is out of range")
    func hugeIntegerInBackup() async throws {
        let (directory, store, scenario) = try await generatedStore()
        _ = scenario
        let backups = directory.path("velero/prod/backups")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: backups).sorted().last)
        let path = "\(backups)/\(name)/velero-backup.json"
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        object["status"] = (object["status"] as? [String: Any] ?? [:]).merging(["errors": "@HUGE@"]) { $1 }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            .replacingOccurrences(of: "\"@HUGE@\"", with: "1234567890123456789012345678901234567890")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await drbook(["backups", "show", name, "--store", store], timeout: Self.bound)
        // `backups show` fails (exit 1) on a backup whose objects cannot be decoded.
        #expect(result.status == 1, "\(result.all)")
        #expect(result.stderr.contains("\(path): is not a Velero Backup"), "\(result.all)")
        #expect(result.all.contains("status.errors is 1.2345678901234568e+39, out of range; expected a whole number of at most 9223372036854775807"), "\(result.all)")
        #expect(!result.all.contains("not valid JSON"))
    }

    // MARK: exec credential plugins

    static func kubeconfig(command: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "https://127.0.0.1:9"}
        users:
        - name: u
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: \(command)
              interactiveMode: Never
        contexts:
        - name: ctx
          context: {cluster: c, user: u}
        current-context: ctx
        """
    }

    static let kubeStep = "  - {id: can, title: Can read, uses: k8s.can, with: {permissions: ['list pods in default']}}"

    @Test("a credential plugin that sleeps is stopped after its timeout, told while waiting, and named")
    func sleepingPlugin() async throws {
        let (directory, arguments, _) = try Self.workspace(Self.runbook(step: Self.kubeStep))
        let plugin = directory.path("sleepy-plugin")
        try "#!/bin/sh\nsleep 300\n".write(toFile: plugin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin)
        try Self.kubeconfig(command: plugin).write(toFile: directory.path("kubeconfig"), atomically: true, encoding: .utf8)
        let result = try await drbook(["run", "t", "--kubeconfig", directory.path("kubeconfig")] + arguments + Self.runsDir(directory),
                                      environment: ["DRBOOK_EXEC_PLUGIN_TIMEOUT": "4"], timeout: Self.bound)
        #expect(result.stderr.contains("waiting for the credential plugin \(plugin) of user \"u\" (stopped after 4s)"), "\(result.all)")
        #expect(result.all.contains("the exec plugin \"\(plugin)\" of user \"u\" did not finish within 4s and was stopped"), "\(result.all)")
        // The plugin runs when a step first needs the cluster (a run that never does needs no login),
        // so a plugin that hangs fails that step: exit 1, not a crash or a hang.
        #expect(result.status == 1, "\(result.all)")
    }

    @Test("a credential plugin that exists but is not executable says so, with chmod +x")
    func notExecutablePlugin() async throws {
        let (directory, arguments, _) = try Self.workspace(Self.runbook(step: Self.kubeStep))
        let plugin = directory.path("plain-plugin")
        try "#!/bin/sh\necho {}\n".write(toFile: plugin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: plugin)
        try Self.kubeconfig(command: plugin).write(toFile: directory.path("kubeconfig"), atomically: true, encoding: .utf8)
        let result = try await drbook(["run", "t", "--kubeconfig", directory.path("kubeconfig")] + arguments + Self.runsDir(directory),
                                      timeout: Self.bound)
        #expect(result.all.contains("the exec plugin \"\(plugin)\" of user \"u\" is not executable (\(plugin))"), "\(result.all)")
        #expect(result.all.contains("chmod +x \(plugin)"), "\(result.all)")
        #expect(!result.all.contains("was not found"))
        // Found from the file system before a run is created.
        #expect(result.status == 2, "\(result.all)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("runs")))
    }
}
