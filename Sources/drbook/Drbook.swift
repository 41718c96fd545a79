import ArgumentParser
import DRBookHTTP
import DRBookObjectStore
import DRBookRunbook
import Foundation

@main
struct Drbook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drbook",
        abstract: "Disaster-recovery runbooks for a GitOps Kubernetes platform, executed and logged.",
        discussion: """
        drbook turns the platform's disaster-recovery document into runbooks a machine \
        executes and a person can follow: every step logged, every destructive step \
        confirmed. It also verifies the Velero backup store straight from the bucket, \
        checks and sets the alerting secrets in the SOPS files, and runs a simulated \
        platform (`drbook sandbox start`) to try it all on. Its actions check the \
        alert path and the heartbeat and restore the monitoring volumes (drbook actions); \
        the demo arrives in a later release and is listed once it works.
        """,
        version: DRBookVersion.current,
        subcommands: [ListCommand.self, ShowCommand.self, RunCommand.self, ResumeCommand.self, RunsCommand.self, ReportCommand.self, LintCommand.self, ActionsCommand.self,
                      BackupsCommand.self, ArchiveCommand.self, SecretsCommand.self, SandboxCommand.self]
    )

    /// drbook's exit codes: 0 passed, 1 failed, 2 bad input (ArgumentParser would use 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as BadInput {
            fail(error.message, code: 2)
        } catch let error as ObjectStoreInputError {
            fail(error.description, code: 2)
        } catch let error as RunFailure {
            fail(error.description, code: error.exitCode)
        } catch {
            if exitCode(for: error) == .validationFailure { fail(fullMessage(for: error), code: 2) }
            exit(withError: error)
        }
    }

    private static func fail(_ message: String, code: Int32) -> Never {
        // A diagnostic without a position reads "error: …"; one "Error:" is enough.
        var body = message
        for prefix in ["Error: ", "error: "] where body.hasPrefix(prefix) { body.removeFirst(prefix.count) }
        // Errors reach people and CI logs: a secret by its shape is hidden here too.
        let text = Redactor(shapes: knownSecretShapes).redact("Error: \(body)")
        FileHandle.standardError.write(Data((text + "\n").utf8))
        Foundation.exit(code)
    }
}

/// Input found wrong once the command runs (a file that is not there, a bad URL):
/// exit status 2, and a message that says how to fix it.
struct BadInput: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
