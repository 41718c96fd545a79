import ArgumentParser
import DRBookRunbook
import DRBookText
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the runbooks found under runbooks/.")

    @OptionGroup var runbooks: RunbookOptions

    @Option(help: ArgumentHelp("Only runbooks with this tag (metadata.tags), e.g. drill; repeatable, all must match.", valueName: "tag"))
    var tag: [String] = []

    @Option(name: [.short, .long], help: "Output format: text, json or yaml.")
    var output: OutputFormat = .text

    struct Row: Encodable {
        var name: String
        var title: String?
        var tags: [String]
        var steps: Int?
        var file: String
        /// Why it does not load, when it does not.
        var error: String?
    }

    func run() throws {
        var rows: [Row] = []
        for file in runbooks.runbookFiles() {
            do {
                let runbook = try RunbookLoader.load(path: file)
                rows.append(Row(name: runbook.metadata.name, title: runbook.metadata.title, tags: runbook.metadata.tags,
                                steps: runbook.allSteps.count, file: file))
            } catch {
                rows.append(Row(name: (file as NSString).lastPathComponent, tags: [], file: file, error: "does not load: run drbook lint \(file)"))
            }
        }
        rows = rows.filter { row in tag.allSatisfy(row.tags.contains) }
        if output.isDocument { return try printDocument(output, rows) }
        guard !rows.isEmpty else {
            let what = tag.isEmpty ? "No runbooks" : "No runbooks tagged \(tag.joined(separator: ", "))"
            return print("\(what) in \(runbooks.runbooks)/.")
        }
        print(TextTable(["NAME", "TITLE", "TAGS", "STEPS", "FILE"], rows.map { row in
            [row.name, row.title ?? "(\(row.error ?? ""))", row.tags.isEmpty ? "-" : row.tags.joined(separator: ","), row.steps.map(String.init) ?? "-", row.file]
        }).render())
    }
}

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check runbooks: schema, actions and their inputs, references between steps, doc anchors.",
        discussion: "Reports every problem at once as file:line:column. A `doc:` link with no docs folder to check it against is an error. Exit status 2 when there is an error."
    )

    @OptionGroup var runbooks: RunbookOptions

    @Argument(help: ArgumentHelp("Runbooks to check (names or paths); all under runbooks/ when none.", valueName: "runbook"), completion: .custom(completeRunbookNames))
    var names: [String] = []

    func run() throws {
        let paths = names.isEmpty ? runbooks.runbookFiles() : try names.map(runbooks.runbookPath)
        guard !paths.isEmpty else { throw BadInput("no runbooks to check in \(runbooks.runbooks)/") }
        let linter = runbooks.linter(requireDocs: true)
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
        abstract: "Show a runbook: its params (type, default, description), its steps and cleanup steps, their conditions, parallel groups and doc links, and what each step that changes things touches."
    )

    @OptionGroup var runbooks: RunbookOptions

    @Argument(help: ArgumentHelp("The runbook (name or path).", valueName: "runbook"), completion: .custom(completeRunbookNames))
    var name: String

    @Option(name: [.short, .long], help: "Output format: text, json or yaml.")
    var output: OutputFormat = .text

    func run() throws {
        let path = try runbooks.runbookPath(name)
        let runbook: Runbook
        do { runbook = try RunbookLoader.load(path: path) } catch { throw BadInput(String(describing: error)) }
        let outline = RunbookOutline(runbook, registry: offlineRegistry)
        if output.isDocument { return try printDocument(output, outline) }
        print(outline.text, terminator: "")
    }
}
