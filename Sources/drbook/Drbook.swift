import ArgumentParser
import DRBookHTTP
import Foundation

@main
struct Drbook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drbook",
        abstract: "Disaster-recovery runbooks for a GitOps Kubernetes platform, executed and logged.",
        discussion: """
        drbook turns the platform's disaster-recovery document into runbooks a machine \
        executes and a person can follow. This build has the foundation: the HTTP and \
        archive layers and archive inspection; runbooks, secrets, backups and the \
        heartbeat checks arrive in later releases and are not listed until they work.
        """,
        version: DRBookVersion.current,
        subcommands: [ArchiveCommand.self]
    )

    /// drbook's exit codes: 0 passed, 1 failed, 2 bad input (ArgumentParser uses 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
