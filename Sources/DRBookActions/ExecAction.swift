import DRBookRunbook
import DRBookProcess
import Foundation

/// `exec`: runs one program with an argument vector and checks how it ended and what it printed.
struct ExecAction: Action {
    static let descriptor = ActionDescriptor(
        name: "exec",
        summary: "Run a program (an argument list, never a shell string) and check its exit code and output.",
        inputs: [
            InputSpec("argv", .list, required: true,
                      description: "The program and its arguments, one item each, e.g. [kubectl, get, pods, -n, monitoring]. No shell: nothing is split, globbed or expanded."),
            InputSpec("env", .map, description: "Variables added to (or replacing) drbook's own environment for the program."),
            InputSpec("cwd", .string, description: "Working directory. Default: drbook's."),
            InputSpec("timeout", .duration, description: "Kill the program (and everything it started) after this long. Default: 5m."),
            InputSpec("expectExitCodes", .list, description: "Exit codes that count as success. Default: [0]."),
            InputSpec("stdoutMatches", .string, description: "A regular expression standard output must match."),
            InputSpec("stdoutNotMatches", .string, description: "A regular expression standard output must not match."),
            InputSpec("stderrMatches", .string, description: "A regular expression standard error must match."),
            InputSpec("preflight", .list,
                      description: "A read-only program (argv, as for argv) that must exit 0 before the step is confirmed or run; also run by --dry-run. Same env, cwd and timeout."),
            InputSpec("preflightFix", .string, description: "What the operator should do when the preflight fails; shown as the finding's fix."),
        ],
        outputs: [
            OutputSpec("exitCode", .int, description: "The exit code, or 128 + the signal that ended the program."),
            OutputSpec("stdout", .string, description: "Standard output (at most 64 KiB; a note says when it was cut)."),
            OutputSpec("stderr", .string, description: "Standard error (at most 64 KiB; a note says when it was cut)."),
        ],
        mutates: true, idempotent: false,
        doc: """
            Runs a program directly — `argv` is a list and no shell is involved, so an argument \
            with spaces stays one argument and nothing is expanded. If you need a pipeline, say so \
            explicitly: `argv: [sh, -c, "…"]`. The program runs in a process group of its own with \
            standard input from /dev/null and drbook's environment plus `env`; the first item is \
            looked up on `PATH` unless it contains a slash.

            The step fails when the program runs longer than `timeout` (it and everything it \
            started are sent SIGTERM, then SIGKILL two seconds later), when its exit code is not \
            in `expectExitCodes`, or when an output assertion does not hold. Regular expressions \
            use Swift `Regex` syntax; `^` and `$` match at line boundaries; they are applied to \
            the captured output (the first 64 KiB of each stream). The failure names the check \
            that failed and quotes the end of the output.

            Because it can run anything, `exec` is declared as changing things: its steps must be \
            marked `destructive: true`, are confirmed before they run, are not run by `--dry-run` \
            (which lists the command instead), and are not repeated by `resume` without asking.

            `preflight` names a second program that only looks (`[kubectl, get, kustomization, \
            -n, flux-system, apps]`, `[test, -d, /backup]`): drbook runs it before it asks to \
            confirm the step, and in `--dry-run`; unless it exits 0 the step does not run and the \
            run stops, with the program's output and `preflightFix` as the finding. drbook cannot \
            tell whether a program is read-only: that is the runbook author's promise.
            """)

    static let captureLimit = 64 * 1024
    static let defaultTimeout = Duration.seconds(300)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let argv = try inputs.strings("argv") ?? []
        // Checked before the program runs: a typo in a pattern must not surface only after a change was made.
        let expected = try inputs.ints("expectExitCodes") ?? [0]
        let stdoutMatches = try inputs.pattern("stdoutMatches")
        let stdoutNotMatches = try inputs.pattern("stdoutNotMatches")
        let stderrMatches = try inputs.pattern("stderrMatches")
        let (name, result) = try await runProgram(argv, input: "argv", inputs, context)
        let stdout = result.stdout.text
        let stderr = result.stderr.text
        if !expected.contains(result.exitCode) {
            let wanted = expected.count == 1 ? "\(expected[0])" : "one of \(expected.map(String.init).joined(separator: ", "))"
            throw ActionError("\(name) exited with \(result.exitCode); expected \(wanted)" + Self.quote(result),
                              subject: Self.display(argv), fix: "see the program's output above; if this exit code is fine, add it to expectExitCodes")
        }
        if let pattern = stdoutMatches, !pattern.matches(stdout) {
            throw ActionError("stdout of \(name) does not match /\(pattern.source)/" + Self.quote("stdout", result.stdout),
                              subject: Self.display(argv), fix: "check the program's output above against stdoutMatches")
        }
        if let pattern = stdoutNotMatches, pattern.matches(stdout) {
            throw ActionError("stdout of \(name) matches /\(pattern.source)/, which it must not" + Self.quote("stdout", result.stdout),
                              subject: Self.display(argv), fix: "check the program's output above against stdoutNotMatches")
        }
        if let pattern = stderrMatches, !pattern.matches(stderr) {
            throw ActionError("stderr of \(name) does not match /\(pattern.source)/" + Self.quote("stderr", result.stderr),
                              subject: Self.display(argv), fix: "check the program's output above against stderrMatches")
        }
        return ["exitCode": .int(result.exitCode), "stdout": .string(stdout), "stderr": .string(stderr)]
    }

    func preflight(_ inputs: ActionInputs) -> Preflight? {
        guard inputs.list("preflight") != nil else { return nil }
        let argv: [String]
        do {
            argv = try inputs.strings("preflight") ?? []
        } catch {
            // A malformed check must block the step, not quietly stop checking.
            return Preflight(checks: ["the program in input 'preflight' exits 0"]) { _ in throw error }
        }
        return Preflight(checks: ["\(Self.display(argv)) exits 0"]) { context in
            let (name, result) = try await runProgram(argv, input: "preflight", inputs, context)
            guard result.exitCode == 0 else {
                return [.blocking("\(name) exited with \(result.exitCode); the step runs only once it exits 0" + Self.quote(result),
                                  subject: Self.display(argv),
                                  fix: inputs.string("preflightFix") ?? "see the program's output; the step's preflight input says what it checks")]
            }
            return []
        }
    }

    /// Runs `argv` (the step's `input`) with the step's env, cwd and timeout; a program that ran
    /// past the timeout, or could not start, is an error naming it.
    private func runProgram(_ argv: [String], input: String, _ inputs: ActionInputs, _ context: ActionContext) async throws -> (String, ChildProcess.Result) {
        guard let name = argv.first, !name.isEmpty else {
            throw ActionError("input '\(input)' is empty", fix: "give the program and its arguments, e.g. \(input): [kubectl, version]")
        }
        var childEnvironment = environment.processEnvironment
        childEnvironment.merge(try inputs.stringMap("env") ?? [:]) { _, given in given }
        let directory = inputs.string("cwd")
        if let directory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ActionError("working directory '\(directory)' does not exist", fix: "correct input 'cwd'")
            }
        }
        guard let executable = ChildProcess.locate(name, path: childEnvironment["PATH"]) else {
            throw ActionError("program '\(name)' was not found on PATH", fix: "install it, or give its full path as the first item of \(input)")
        }
        let timeout = inputs.duration("timeout") ?? Self.defaultTimeout

        context.log("run \(Self.display(argv))")
        let child = ChildProcess(arguments: argv, executable: executable, environment: childEnvironment, directory: directory,
                                 timeout: timeout, captureLimit: Self.captureLimit)
        let result: ChildProcess.Result
        do {
            result = try await child.run()
        } catch let failure as ChildProcess.SpawnFailed {
            throw ActionError("could not start \(executable): \(failure.reason)", fix: "check that it is an executable program")
        }
        switch result.ending {
        case .cancelled: throw CancellationError()
        case .timedOut:
            throw ActionError("\(name) did not finish within \(RunbookDuration.format(timeout)) and was killed" + Self.quote(result),
                              subject: Self.display(argv), fix: "find out why it hangs, or raise the step's timeout input")
        case .exited: break
        }
        context.log("\(name) exited with \(result.exitCode) after \(String(format: "%.1f", result.elapsed.seconds)) s; stdout \(result.stdout.totalBytes) bytes, stderr \(result.stderr.totalBytes) bytes")
        return (name, result)
    }

    func plan(_ inputs: ActionInputs) -> [String] {
        let argv = (try? inputs.strings("argv")) ?? nil
        var line = "run " + Self.display(argv ?? [])
        if let directory = inputs.string("cwd") { line += " in \(directory)" }
        return [line]
    }

    /// The command as a person would type it in a shell: arguments with spaces or quotes are single-quoted.
    static func display(_ argv: [String]) -> String {
        argv.map { argument in
            let plain = !argument.isEmpty && argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0) }
            return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    private static func quote(_ result: ChildProcess.Result) -> String {
        quote("stderr", result.stderr) + quote("stdout", result.stdout)
    }

    private static func quote(_ stream: String, _ output: CapturedOutput) -> String {
        output.totalBytes == 0 ? "" : "\n--- \(stream) (end) ---\n" + output.excerpt()
    }
}
