/// Checks a runbook against the actions that exist and the docs it links to, reporting every problem at once.
///
/// What it proves before anything runs: every action exists; inputs are
/// declared, required ones given, and of the right type where that is known;
/// references point at declared params and at outputs of steps that have
/// finished by then; ids are unique; doc links lead to real headings; steps
/// that change things are marked destructive.
public struct RunbookLinter: Sendable {
    public var catalog: ActionCatalog
    /// The folder `doc:` paths are relative to (the repository's docs/); nil skips doc checks.
    public var docsRoot: String?

    /// The platform profiles a runbook must serve, as data: every `${{ platform.… }}`
    /// default must name a value in each of them.
    public var platforms: [(name: String, value: Value)]

    /// Secrets known by their shape: a literal that has one is a warning (it sits in git in
    /// clear). A URL with user-info is always one.
    public var secretShapes: [SecretShape]

    public init(catalog: ActionCatalog, docsRoot: String?, platforms: [(name: String, value: Value)] = [], secretShapes: [SecretShape] = []) {
        self.catalog = catalog
        self.docsRoot = docsRoot
        self.platforms = platforms
        self.secretShapes = [SecretShape.urlUserInfo] + secretShapes
    }

    /// Every problem in the runbook file at `path`, sorted by position.
    public func lint(path: String) -> [Diagnostic] {
        do {
            return lint(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path)
        } catch {
            return [RunbookLoader.unreadable(path, error)]
        }
    }

    /// Every problem in `yaml`, sorted by position; `file` names it in diagnostics.
    public func lint(yaml: String, file: String) -> [Diagnostic] {
        let (runbook, loadDiagnostics) = RunbookLoader.read(yaml: yaml, file: file)
        guard let runbook else { return loadDiagnostics.sortedByLocation() }
        return (loadDiagnostics + lint(runbook)).sortedByLocation()
    }

    /// The semantic problems in an already loaded runbook.
    public func lint(_ runbook: Runbook) -> [Diagnostic] {
        var pass = LintPass(runbook: runbook, catalog: catalog, docs: docsRoot.map(DocLinkChecker.init))
        pass.run()
        pass.diagnostics += secretShapedLiterals(in: runbook)
        for param in runbook.params {
            guard let path = param.platformDefault else { continue }
            for platform in platforms {
                switch ParamResolver.platformValue(path.value, in: platform.value).flatMap({ param.convert($0).mapError { ParamResolver.PlatformLookupFailure(message: $0.message) } }) {
                case .success: continue
                case let .failure(failure):
                    pass.diagnostics.append(.error(at: path.location, "the default of param '\(param.name)' does not fit platform profile '\(platform.name)': \(failure.message)"))
                }
            }
        }
        return pass.diagnostics.sortedByLocation()
    }
}

extension RunbookLinter {
    /// Literal strings with a secret's shape, in param defaults and step inputs.
    func secretShapedLiterals(in runbook: Runbook) -> [Diagnostic] {
        var found: [Diagnostic] = []
        func check(_ text: String, at location: SourceLocation, _ what: String) {
            guard let shape = secretShapes.first(where: { $0.matches(text) }) else { return }
            found.append(.warning(at: location, "\(what) is a literal with the shape of \(shape.name): it sits in git in clear",
                                  fix: "declare a param with secret: true and pass it with --param or the profile, or read it from the SOPS file"))
        }
        func strings(in value: TemplateValue) -> [(String, SourceLocation)] {
            switch value {
            case let .template(template):
                return template.segments.compactMap { if case let .text(part) = $0 { return (part, template.location) } else { return nil } }
            case let .literal(literal, location): return [(literal.description, location)]
            case let .list(items, _): return items.flatMap(strings(in:))
            case let .map(entries, _): return entries.flatMap { strings(in: $0.value) }
            }
        }
        for param in runbook.params {
            if let value = param.defaultValue, case let .string(text) = value.value { check(text, at: value.location, "the default of param '\(param.name)'") }
        }
        for step in runbook.allSteps {
            for input in step.with {
                for (text, location) in strings(in: input.value) { check(text, at: location, "input '\(input.name.value)' of step '\(step.id.value)'") }
            }
        }
        return found
    }
}

/// One lint run over one runbook; holds what has been seen so far.
private struct LintPass {
    let runbook: Runbook
    let catalog: ActionCatalog
    var docs: DocLinkChecker?
    var diagnostics: [Diagnostic] = []

    /// Every step by id (first occurrence), to tell "unknown" from "later" in references.
    private var stepsByID: [String: Step] = [:]
    /// The id of the parallel group each grouped step belongs to.
    private var groupOfStep: [String: Int] = [:]

    init(runbook: Runbook, catalog: ActionCatalog, docs: DocLinkChecker?) {
        self.runbook = runbook
        self.catalog = catalog
        self.docs = docs
    }

    mutating func run() {
        indexSteps()
        if let doc = runbook.metadata.doc { checkDoc(doc, in: "metadata.doc") }
        var finished = Set<String>()
        for node in runbook.steps {
            switch node {
            case let .step(step):
                check(step, finished: finished)
                finished.insert(step.id.value)
            case let .parallel(group):
                // Steps of one group run concurrently: none may read another's outputs.
                for step in group.steps { check(step, finished: finished) }
                finished.formUnion(group.steps.map(\.id.value))
            }
        }
        // Cleanup runs after the steps, however far they got: it may use any step's outputs (null
        // for a step that did not run) and those of the cleanup steps before it.
        let mainIDs = runbook.mainSteps.map(\.id.value)
        for step in runbook.cleanup {
            check(step, finished: finished, inCleanup: true)
            finished.insert(step.id.value)
            for undone in step.undoes where !mainIDs.contains(undone.value) {
                diagnostics.append(.error(at: undone.location, "step '\(step.id.value)' undoes '\(undone.value)', which is not a step of the runbook's steps\(NameSuggestion.hint(for: undone.value, among: mainIDs)); expected the id of the step whose effect it reverses"))
            }
        }
    }

    private mutating func indexSteps() {
        for (groupIndex, node) in runbook.steps.enumerated() {
            let steps: [Step]
            switch node {
            case let .step(step): steps = [step]
            case let .parallel(group):
                steps = group.steps
                for step in steps { groupOfStep[step.id.value] = groupIndex }
            }
            indexIDs(of: steps)
        }
        indexIDs(of: runbook.cleanup)
    }

    private mutating func indexIDs(of steps: [Step]) {
        for step in steps where !step.id.value.isEmpty {
            if let first = stepsByID[step.id.value] {
                diagnostics.append(.error(at: step.id.location, "duplicate step id '\(step.id.value)'; it is first used at line \(first.id.location.line); expected ids unique in the runbook, parallel groups included"))
            } else {
                stepsByID[step.id.value] = step
            }
        }
    }

    private mutating func check(_ step: Step, finished: Set<String>, inCleanup: Bool = false) {
        let what = "step '\(step.id.value)'"
        if let doc = step.doc { checkDoc(doc, in: "doc of \(what)") }
        let action = actionOf(step)
        if let action {
            checkInputs(of: step, against: action)
            checkDestructive(step, action)
        }

        let references = ReferenceScope(runbook: runbook, catalog: catalog, stepsByID: stepsByID, groupOfStep: groupOfStep)
        var checker = ExpressionTypeChecker { reference in references.resolve(reference, from: step, inCleanup: inCleanup, finished: finished) }
        for input in step.with {
            let inputSpec = action?.input(named: input.name.value)
            checkValue(input.value, of: input, in: step, spec: inputSpec, checker: &checker)
        }
        if let condition = step.when, let type = checker.type(of: condition), type != ValueType.bool, type != ValueType.any {
            diagnostics.append(.error(at: condition.location, "when of \(what) is \(type.withArticle) expression; expected a bool, e.g. ${{ params.mode == 'drill' }}"))
        }
        diagnostics += checker.diagnostics
    }

    private mutating func actionOf(_ step: Step) -> ActionDescriptor? {
        let name = step.uses.value
        guard !name.isEmpty else { return nil }
        if let action = catalog[name] { return action }
        let hint = NameSuggestion.closest(to: name, among: catalog.names).map { "did you mean '\($0)'?" }
            ?? "expected an action listed in docs/actions.md"
        diagnostics.append(.error(at: step.uses.location, "step '\(step.id.value)' uses unknown action '\(name)'; \(hint)"))
        return nil
    }

    private mutating func checkInputs(of step: Step, against action: ActionDescriptor) {
        let declared = action.inputs.map(\.name)
        for input in step.with where action.input(named: input.name.value) == nil {
            let hint = NameSuggestion.hint(for: input.name.value, among: declared)
            let expected = declared.isEmpty ? "\(action.name) takes no inputs" : "expected one of: \(declared.joined(separator: ", "))"
            diagnostics.append(.error(at: input.name.location, "step '\(step.id.value)' gives \(action.name) unknown input '\(input.name.value)'\(hint); \(expected)"))
        }
        for spec in action.inputs where spec.required && step.input(named: spec.name) == nil {
            diagnostics.append(.error(at: step.uses.location, "step '\(step.id.value)' does not give \(action.name) its required input '\(spec.name)' (\(spec.type.withArticle)); expected it under with:"))
        }
    }

    private mutating func checkDestructive(_ step: Step, _ action: ActionDescriptor) {
        if action.mutates && !step.destructive {
            diagnostics.append(.error(at: step.uses.location, "step '\(step.id.value)' uses \(action.name), which changes things, but is not marked destructive; expected destructive: true so the operator confirms it"))
        } else if !action.mutates && step.destructive {
            diagnostics.append(.warning(at: step.location, "step '\(step.id.value)' is marked destructive but \(action.name) changes nothing; the confirmation it asks for is needless"))
        }
    }

    /// Checks an input's value against the declared type, as far as it is known before the run.
    private mutating func checkValue(_ value: TemplateValue, of input: Step.Input, in step: Step, spec: InputSpec?, checker: inout ExpressionTypeChecker) {
        let what = "input '\(input.name.value)' of step '\(step.id.value)'"
        let staticType = staticType(of: value, checker: &checker)
        guard let spec else { return }
        if let constant = value.constantValue {
            if case let .failure(failure) = ValueConversion.convert(constant, to: spec.type) {
                diagnostics.append(.error(at: value.location, "\(what) is \(failure.message)"))
            }
        } else if let staticType, ValueConversion.compatibility(of: staticType, with: spec.type) == .never {
            diagnostics.append(.error(at: value.location, "\(what) is \(staticType.withArticle) expression; expected \(spec.type.withArticle)"))
        }
    }

    /// The value's type, checking every expression inside on the way; nil when only the run can tell.
    private func staticType(of value: TemplateValue, checker: inout ExpressionTypeChecker) -> ValueType? {
        switch value {
        case let .template(template):
            let types = template.expressions.map { checker.type(of: $0) }
            if template.singleExpression != nil { return types[0] }
            return .string
        case let .literal(constant, _):
            return constant.type
        case let .list(items, _):
            for item in items { _ = staticType(of: item, checker: &checker) }
            return .list
        case let .map(entries, _):
            for entry in entries { _ = staticType(of: entry.value, checker: &checker) }
            return .map
        }
    }

    private mutating func checkDoc(_ link: Located<DocLink>, in what: String) {
        if let problem = docs?.check(link, in: what) { diagnostics.append(problem) }
    }
}

/// What references can reach from a step: declared params, env, and outputs of steps finished before it.
private struct ReferenceScope {
    let runbook: Runbook
    let catalog: ActionCatalog
    let stepsByID: [String: Step]
    let groupOfStep: [String: Int]

    /// What a reference in `step` points at, and its type, given the steps finished before it.
    func resolve(_ reference: Reference, from step: Step, inCleanup: Bool, finished: Set<String>) -> Result<ValueType?, ReferenceShapeError> {
        switch reference.target {
        case let .failure(problem):
            return .failure(problem)
        case let .success(.param(name)):
            guard let param = runbook.param(named: name) else {
                let declared = runbook.params.map(\.name)
                let expected = declared.isEmpty ? "the runbook declares no params" : "declared params: \(declared.joined(separator: ", "))"
                return .failure(ReferenceShapeError(message: "'\(reference.text)' refers to param '\(name)', which is not declared under params\(NameSuggestion.hint(for: name, among: declared)); \(expected)"))
            }
            return .success(param.kind.valueType)
        case .success(.env):
            return .success(.string)
        case let .success(.stepOutput(stepID, output)):
            guard let target = stepsByID[stepID] else {
                let hint = NameSuggestion.hint(for: stepID, among: Array(stepsByID.keys))
                return .failure(ReferenceShapeError(message: "'\(reference.text)' refers to unknown step '\(stepID)'\(hint); expected the id of an earlier step"))
            }
            guard finished.contains(stepID) else {
                return .failure(ReferenceShapeError(message: notYetFinished(target, from: step, inCleanup: inCleanup, reference: reference)))
            }
            guard let action = catalog[target.uses.value] else { return .success(nil) }
            guard let spec = action.output(named: output) else {
                let declared = action.outputs.map(\.name)
                let expected = declared.isEmpty ? "it declares no outputs" : "expected one of: \(declared.joined(separator: ", "))"
                return .failure(ReferenceShapeError(message: "'\(reference.text)': step '\(stepID)' uses \(action.name), which has no output '\(output)'\(NameSuggestion.hint(for: output, among: declared)); \(expected)"))
            }
            return .success(spec.type)
        }
    }

    private func notYetFinished(_ target: Step, from step: Step, inCleanup: Bool, reference: Reference) -> String {
        let targetID = target.id.value
        if targetID == step.id.value {
            return "'\(reference.text)': step '\(targetID)' refers to its own outputs; expected an earlier step"
        }
        if runbook.isCleanup(targetID), !inCleanup {
            return "'\(reference.text)': step '\(targetID)' is a cleanup step, which runs after every step; a step can only use outputs of steps before it"
        }
        if let group = groupOfStep[targetID], group == groupOfStep[step.id.value] {
            return "'\(reference.text)': step '\(targetID)' is in the same parallel group as '\(step.id.value)' and runs at the same time; move it before the group"
        }
        return "'\(reference.text)': step '\(targetID)' runs later (line \(target.location.line)); a step can only use outputs of steps before it"
    }

}
