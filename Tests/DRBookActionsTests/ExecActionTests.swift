import DRBookActions
import DRBookRunbook
import DRBookTestSupport
import Foundation
import Testing

@Suite("exec runs a program and checks how it ended")
struct ExecActionTests {
    let run = ActionRun()

    @Test("an exit code outside expectExitCodes fails, naming the code expected and quoting stderr")
    func unexpectedExitCode() async throws {
        let error = await actionError { try await run("exec", ["argv": strings("sh", "-c", "echo disk full >&2; exit 3")]) }
        #expect(error?.message.hasPrefix("sh exited with 3; expected 0") == true)
        #expect(error?.message.contains("disk full") == true)
        #expect(error?.subject == "sh -c 'echo disk full >&2; exit 3'")
    }

    @Test("an exit code listed in expectExitCodes passes and is the exitCode output")
    func expectedExitCode() async throws {
        let outputs = try await run("exec", ["argv": strings("sh", "-c", "exit 3"), "expectExitCodes": ints(0, 3)])
        #expect(outputs["exitCode"] == .int(3))
    }

    @Test("stdout and stderr are outputs")
    func capturedOutput() async throws {
        let outputs = try await run("exec", ["argv": strings("sh", "-c", "echo out; echo err >&2")])
        #expect(outputs["stdout"] == .string("out\n"))
        #expect(outputs["stderr"] == .string("err\n"))
        #expect(outputs["exitCode"] == .int(0))
    }

    @Test("stdoutMatches passes when the pattern is found on any line")
    func stdoutMatches() async throws {
        let outputs = try await run("exec", ["argv": strings("printf", "phase: Completed\\nerrors: 0\\n"), "stdoutMatches": .string("^errors: 0$")])
        #expect(outputs["exitCode"] == .int(0))
    }

    @Test("stdoutMatches fails when the pattern is not found, naming the check and quoting stdout")
    func stdoutDoesNotMatch() async throws {
        let error = await actionError {
            try await run("exec", ["argv": strings("echo", "phase: PartiallyFailed"), "stdoutMatches": .string("phase: Completed")])
        }
        #expect(error?.message.hasPrefix("stdout of echo does not match /phase: Completed/") == true)
        #expect(error?.message.contains("phase: PartiallyFailed") == true)
    }

    @Test("stdoutNotMatches fails when the pattern is found")
    func stdoutNotMatches() async throws {
        let error = await actionError {
            try await run("exec", ["argv": strings("echo", "2 errors"), "stdoutNotMatches": .string("[1-9] errors?")])
        }
        #expect(error?.message.hasPrefix("stdout of echo matches /[1-9] errors?/, which it must not") == true)
        _ = try await run("exec", ["argv": strings("echo", "0 errors"), "stdoutNotMatches": .string("[1-9] errors?")])
    }

    @Test("stderrMatches checks standard error, not standard output")
    func stderrMatches() async throws {
        _ = try await run("exec", ["argv": strings("sh", "-c", "echo warning >&2"), "stderrMatches": .string("warn")])
        let error = await actionError {
            try await run("exec", ["argv": strings("sh", "-c", "echo warning"), "stderrMatches": .string("warn")])
        }
        #expect(error?.message.hasPrefix("stderr of sh does not match /warn/") == true)
    }

    @Test("an invalid regular expression fails, naming the input")
    func invalidPattern() async throws {
        let error = await actionError { try await run("exec", ["argv": strings("true"), "stdoutMatches": .string("([")]) }
        #expect(error?.message.hasPrefix("input 'stdoutMatches' is not a valid regular expression") == true)
    }

    @Test("a program that outlives its timeout is killed promptly and the step fails saying so")
    func timeoutKills() async throws {
        let started = ContinuousClock.now
        let error = await actionError { try await run("exec", ["argv": strings("sleep", "900"), "timeout": .duration(.seconds(1))]) }
        // Far below the program's 15 min, with room for a machine whose other tests starve this one.
        #expect(ContinuousClock.now - started < .seconds(120))
        #expect(error?.message.hasPrefix("sleep did not finish within 1s and was killed") == true)
    }

    @Test("a timeout also kills what the program started (its process group)")
    func timeoutKillsGroup() async throws {
        let directory = try TemporaryDirectory()
        let pidFile = directory.path("child.pid")
        let error = await actionError {
            try await run("exec", ["argv": strings("sh", "-c", "sleep 30 & echo $! > \(pidFile); wait"), "timeout": .duration(.seconds(1))])
        }
        #expect(error != nil)
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let deadline = ContinuousClock.now + .seconds(10)
        while isAlive(pid), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!isAlive(pid), "the background sleep \(pid) survived the timeout")
    }

    @Test("cancelling the step (Ctrl-C, step timeout) kills the program and ends with CancellationError")
    func cancellation() async throws {
        let started = ContinuousClock.now
        let task = Task { try await run("exec", ["argv": strings("sleep", "900")]) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    @Test("env is added to the environment and cwd is the working directory")
    func environmentAndDirectory() async throws {
        let directory = try TemporaryDirectory()
        let outputs = try await run("exec", [
            "argv": strings("sh", "-c", "printf '%s|%s' \"$DRBOOK_GREETING\" \"$(pwd -P)\""),
            "env": .map(["DRBOOK_GREETING": .string("hello world")]),
            "cwd": .string(directory.url.path),
        ])
        let physical = directory.url.resolvingSymlinksInPath().path
        #expect(outputs["stdout"] == .string("hello world|\(physical)"))
    }

    @Test("an argument with spaces stays one argument: there is no shell")
    func noSplitting() async throws {
        let outputs = try await run("exec", ["argv": strings("printf", "<%s>\\n", "a b", "$HOME", "*")])
        #expect(outputs["stdout"] == .string("<a b>\n<$HOME>\n<*>\n"))
    }

    @Test("output beyond 64 KiB is cut, with a note saying how much there was")
    func truncation() async throws {
        let outputs = try await run("exec", ["argv": strings("sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x")])
        guard case let .string(stdout)? = outputs["stdout"] else { Issue.record("no stdout"); return }
        #expect(stdout.hasPrefix(String(repeating: "x", count: 65_536) + "\n"))
        #expect(stdout.hasSuffix("[drbook: output truncated; the first 65536 of 100000 bytes are shown]"))
    }

    @Test("a program not on PATH fails before anything runs")
    func missingProgram() async throws {
        let error = await actionError { try await run("exec", ["argv": strings("drbook-no-such-program")]) }
        #expect(error?.message == "program 'drbook-no-such-program' was not found on PATH")
    }

    @Test("a working directory that does not exist is named")
    func missingDirectory() async throws {
        let error = await actionError { try await run("exec", ["argv": strings("true"), "cwd": .string("/nonexistent/drbook")]) }
        #expect(error?.message == "working directory '/nonexistent/drbook' does not exist")
    }

    @Test("its plan is the command line, quoted as a shell would need it; it is declared mutating")
    func plan() throws {
        let action = try #require(run.registry["exec"])
        #expect(action.plan(ActionInputs(["argv": strings("kubectl", "annotate", "x", "note=a b")])) == ["run kubectl annotate x 'note=a b'"])
        #expect(action.descriptor.mutates)
        #expect(!action.descriptor.idempotent)
    }
}

private func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    // A zombie waiting for its new parent to reap it is dead for our purpose.
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
}
