import ArgumentParser
import DRBookRunbook
import DRBookText
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runbooks found under runbooks/.")

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let files = workspace.runbookFiles()
        guard !files.isEmpty else {
            print("No runbooks in \(workspace.runbooks)/.")
            return
        }
        var rows: [[String]] = []
        for file in files {
            if let runbook = try? RunbookLoader.load(path: file) {
                rows.append([runbook.metadata.name, runbook.metadata.title, String(runbook.allSteps.count), file])
            } else {
                rows.append([(file as NSString).lastPathComponent, "(does not load: run drbook lint \(file))", "-", file])
            }
        }
        print(TextTable(["NAME", "TITLE", "STEPS", "FILE"], rows).render())
    }
}

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check runbooks: schema, actions and their inputs, references between steps, doc anchors.",
        discussion: "Reports every problem at once as file:line:column. Exit status 2 when there is an error."
    )

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: ArgumentHelp("Runbooks to check (names or paths); all under runbooks/ when none.", valueName: "runbook"))
    var names: [String] = []

    func run() throws {
        let paths = names.isEmpty ? workspace.runbookFiles() : try names.map(workspace.runbookPath)
        guard !paths.isEmpty else { throw BadInput("no runbooks to check in \(workspace.runbooks)/") }
        let linter = workspace.linter
        var diagnostics: [Diagnostic] = []
        for path in paths { diagnostics += linter.lint(path: path) }
        for diagnostic in diagnostics { print(diagnostic.description) }
        let errors = diagnostics.filter { $0.severity == .error }.count
        print("\(paths.count) runbook\(paths.count == 1 ? "" : "s") checked: \(errors) error\(errors == 1 ? "" : "s"), \(diagnostics.count - errors) warning\(diagnostics.count - errors == 1 ? "" : "s").")
        if errors > 0 { throw ExitCode(2) }
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a runbook: its params, its steps and cleanup steps, their doc links, and which change things."
    )

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: ArgumentHelp("The runbook (name or path).", valueName: "runbook"))
    var name: String

    func run() throws {
        let path = try workspace.runbookPath(name)
        let runbook: Runbook
        do { runbook = try RunbookLoader.load(path: path) } catch { throw BadInput(String(describing: error)) }
        let registry = workspace.registry
        print("\(runbook.metadata.name): \(runbook.metadata.title)")
        if let doc = runbook.metadata.doc { print("Doc: docs/\(doc.value)") }
        if !runbook.params.isEmpty {
            print("\nParams:")
            for param in runbook.params {
                let fromPlatform = param.platformDefault.map { "default ${{ platform.\($0.value.joined(separator: ".")) }} (from the platform profile)" }
                let value = param.secret ? "(secret)" : param.defaultValue.map { "default \($0.value)" } ?? fromPlatform ?? "(required)"
                print("  \(param.name)  \(value)")
            }
        }
        print("\nSteps:")
        for (index, step) in runbook.mainSteps.enumerated() { show(step, index + 1, registry) }
        if !runbook.cleanup.isEmpty {
            print("\nCleanup (runs however the run ends: passed, failed, Ctrl-C, or on the resume after a crash):")
            for (index, step) in runbook.cleanup.enumerated() { show(step, index + 1, registry) }
        }
    }

    private func show(_ step: Step, _ number: Int, _ registry: ActionRegistry) {
        let descriptor = registry.descriptor(of: step.uses.value)
        let marks = [step.destructive ? "destructive" : nil, descriptor?.mutates == true ? "mutates" : nil].compactMap { $0 }
        print("  \(number). \(step.id.value): \(step.title)  [\(step.uses.value)\(marks.isEmpty ? "" : ", " + marks.joined(separator: ", "))]")
        if let doc = step.doc { print("     doc: docs/\(doc.value)") }
        if let descriptor { print("     \(descriptor.summary)") }
        for check in preflightChecks(of: step, registry) { print("     preflight: \(check)") }
    }

    /// What the step's preflight checks, when its inputs are all written out (no expressions):
    /// describing a preflight does no I/O, so show can ask the action.
    private func preflightChecks(of step: Step, _ registry: ActionRegistry) -> [String] {
        guard let action = registry[step.uses.value] else { return [] }
        var values: [String: Value] = [:]
        for input in step.with {
            guard let constant = input.value.constantValue, let spec = type(of: action).descriptor.input(named: input.name.value),
                case let .success(value) = ValueConversion.convert(constant, to: spec.type)
            else { return [] }
            values[input.name.value] = value
        }
        return action.preflight(ActionInputs(values))?.checks ?? []
    }
}
