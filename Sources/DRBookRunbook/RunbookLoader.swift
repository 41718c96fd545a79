import Foundation
import Yams

/// Reads a runbook's YAML into a `Runbook`, reporting every structural problem with its position.
///
/// Structure only: whether actions, inputs, references and doc anchors exist
/// is the linter's job, since that needs the action catalog and the docs.
public enum RunbookLoader {
    /// The runbook at `path`; throws every problem found when there is any error.
    public static func load(path: String) throws(RunbookError) -> Runbook {
        let yaml: String
        do {
            yaml = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RunbookError([unreadable(path, error)])
        }
        return try load(yaml: yaml, file: path)
    }

    /// Why the runbook at `path` could not be read as text. A file that is there but is not
    /// UTF-8 (a binary, an encrypted file, random bytes) is told so at its first bad byte,
    /// rather than as a path to check.
    static func unreadable(_ path: String, _ error: any Error) -> Diagnostic {
        if let data = FileManager.default.contents(atPath: path), let bad = firstInvalidUTF8(data) {
            let byte = String(data[data.startIndex + bad.offset], radix: 16, uppercase: true)
            return .error(at: SourceLocation(file: path, line: bad.line, column: bad.column),
                          "the file is not UTF-8 text, so it is not a YAML runbook: byte 0x\(byte.count == 1 ? "0" + byte : byte) at offset \(bad.offset) is not valid UTF-8",
                          fix: "give a runbook file (YAML text starting with apiVersion: \(Runbook.apiVersion)); check that this is not a binary or encrypted file")
        }
        return .error(at: nil, "cannot read runbook \(path): \(error.localizedDescription)", fix: "check the path; runbooks live under runbooks/")
    }

    /// The first byte of `data` that is not part of valid UTF-8, with its line and column
    /// (columns count scalars, as elsewhere).
    static func firstInvalidUTF8(_ data: Data) -> (offset: Int, line: Int, column: Int)? {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var offset = 0, line = 1, column = 1
        while true {
            switch parser.parseScalar(from: &bytes) {
            case let .valid(encoded):
                if encoded.count == 1, encoded.first == 0x0A {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                offset += encoded.count
            case .error:
                return (offset, line, column)
            case .emptyInput:
                return nil
            }
        }
    }

    /// The runbook in `yaml`; `file` names it in diagnostics.
    public static func load(yaml: String, file: String) throws(RunbookError) -> Runbook {
        let (runbook, diagnostics) = read(yaml: yaml, file: file)
        guard let runbook, !diagnostics.hasErrors else { throw RunbookError(diagnostics) }
        return runbook
    }

    /// As much of the runbook as could be read, and every problem found.
    /// The runbook is nil only when the YAML itself is unreadable or not a mapping.
    public static func read(yaml: String, file: String) -> (Runbook?, [Diagnostic]) {
        let root: Node?
        do {
            root = try YAMLReader.compose(yaml, file: file)
        } catch {
            return (nil, error.diagnostics)
        }
        var reader = YAMLReader(file: file, text: yaml)
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let root else {
            return (nil, [.error(at: start, "the file is empty; expected a runbook starting with apiVersion: \(Runbook.apiVersion)")])
        }
        let runbook = reader.runbook(root)
        return (runbook, reader.diagnostics)
    }

    static let runbookKeys = ["apiVersion", "kind", "metadata", "params", "steps", "cleanup"]
    static let metadataKeys = ["name", "title", "doc", "tags"]
    static let paramKeys = ["type", "default", "required", "description", "values", "secret"]
    static let stepKeys = ["id", "title", "doc", "uses", "with", "when", "timeout", "retry", "onFailure", "destructive", "undoes"]
    static let groupKeys = ["parallel", "title", "maxConcurrency"]
    static let retryKeys = ["attempts", "backoff"]
    static let paramTypes = ["string", "int", "bool", "duration", "enum"]

    /// Names that expressions can refer to: a letter or `_`, then letters, digits, `_` and inner `-`.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetterOrUnderscore, name.last != "-" else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetterOrUnderscore || ("0"..."9").contains($0) || $0 == "-" }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetterOrUnderscore: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || self == "_"
    }
}

extension YAMLReader {
    fileprivate mutating func runbook(_ root: Node) -> Runbook? {
        guard let entries = mapping(root, "the runbook") else { return nil }
        checkKeys(entries, allowed: RunbookLoader.runbookKeys, in: "the runbook")
        let rootLocation = location(of: root)
        let value = { (key: String) in entries.first { $0.key == key } }

        if let apiVersion = value("apiVersion") {
            let found = apiVersion.value.scalar?.string
            if found != Runbook.apiVersion {
                error(at: location(of: apiVersion.value), "apiVersion is \(describe(apiVersion.value)); expected \(Runbook.apiVersion), the only version this drbook reads")
            }
        } else {
            error(at: rootLocation, "the runbook has no apiVersion; expected apiVersion: \(Runbook.apiVersion)")
        }
        if let kind = value("kind"), kind.value.scalar?.string != Runbook.kind {
            error(at: location(of: kind.value), "kind is \(describe(kind.value)); expected \(Runbook.kind) (or no kind at all)")
        }

        var metadata = Runbook.Metadata(name: "", title: "", doc: nil, tags: [], location: rootLocation)
        if let entry = value("metadata") {
            metadata = self.metadata(entry.value)
        } else {
            error(at: rootLocation, "the runbook has no metadata; expected metadata with at least a name")
        }

        let params = value("params").map { self.params($0.value) } ?? []

        var steps: [StepNode] = []
        if let entry = value("steps") {
            if let items = sequence(entry.value, "steps") {
                if items.isEmpty { error(at: location(of: entry.value), "steps is empty; expected at least one step") }
                steps = items.enumerated().compactMap { stepNode($1, index: $0 + 1) }
            }
        } else {
            error(at: rootLocation, "the runbook has no steps; expected a 'steps' list with at least one step")
        }
        var cleanup: [Step] = []
        if let entry = value("cleanup"), let items = sequence(entry.value, "cleanup") {
            if items.isEmpty { error(at: location(of: entry.value), "cleanup is empty; expected at least one step, or no cleanup key") }
            cleanup = items.enumerated().compactMap { cleanupStep($1, index: $0 + 1) }
        }
        return Runbook(
            file: file, apiVersion: value("apiVersion")?.value.scalar?.string ?? "", kind: value("kind")?.value.scalar?.string,
            metadata: metadata, params: params, steps: steps, cleanup: cleanup)
    }

    private mutating func metadata(_ node: Node) -> Runbook.Metadata {
        var metadata = Runbook.Metadata(name: "", title: "", doc: nil, tags: [], location: location(of: node))
        guard let entries = mapping(node, "metadata") else { return metadata }
        checkKeys(entries, allowed: RunbookLoader.metadataKeys, in: "metadata")
        for entry in entries {
            switch entry.key {
            case "name": metadata.name = string(entry.value, "metadata.name") ?? ""
            case "title": metadata.title = string(entry.value, "metadata.title") ?? ""
            case "doc": metadata.doc = docLink(entry.value, "metadata.doc")
            case "tags": metadata.tags = stringList(entry.value, "metadata.tags") ?? []
            default: break
            }
        }
        if metadata.name.isEmpty {
            error(at: metadata.location, "metadata has no name; expected a name such as restore-monitoring")
        }
        if metadata.title.isEmpty { metadata.title = metadata.name }
        return metadata
    }

    private mutating func docLink(_ node: Node, _ what: String) -> Located<DocLink>? {
        guard let text = string(node, what) else { return nil }
        let link = DocLink(parsing: text)
        guard !link.path.isEmpty, link.anchor?.isEmpty != true else {
            error(at: location(of: node), "\(what) is '\(text)'; expected a path under docs/ and an anchor, e.g. dr/alerting.md#restore-from-backup")
            return nil
        }
        return Located(link, at: location(of: node))
    }

    // MARK: params

    private mutating func params(_ node: Node) -> [ParamSpec] {
        guard let entries = mapping(node, "params") else { return [] }
        return entries.compactMap { param($0) }
    }

    private mutating func param(_ entry: Entry) -> ParamSpec? {
        let what = "param '\(entry.key)'"
        if !RunbookLoader.isValidName(entry.key) {
            error(at: entry.keyLocation, "\(what) has an invalid name; expected a letter or '_' followed by letters, digits, '_' or '-'")
        }
        guard let fields = mapping(entry.value, what) else { return nil }
        checkKeys(fields, allowed: RunbookLoader.paramKeys, in: what)
        let field = { (key: String) in fields.first { $0.key == key } }

        var kind = ParamSpec.Kind.string
        if let typeEntry = field("type") {
            let typeName = typeEntry.value.scalar?.string ?? ""
            switch typeName {
            case "string": kind = .string
            case "int": kind = .int
            case "bool": kind = .bool
            case "duration": kind = .duration
            case "enum":
                let values = field("values").flatMap { stringList($0.value, "values of \(what)") } ?? []
                if values.isEmpty {
                    error(at: typeEntry.keyLocation, "\(what) is an enum without values; expected values: [a, b, ...]")
                }
                kind = .enum(values)
            default:
                let hint = NameSuggestion.hint(for: typeName, among: RunbookLoader.paramTypes)
                error(at: location(of: typeEntry.value), "\(what) has type \(describe(typeEntry.value))\(hint); expected one of: \(RunbookLoader.paramTypes.joined(separator: ", "))")
            }
        } else {
            error(at: entry.keyLocation, "\(what) has no type; expected type: one of \(RunbookLoader.paramTypes.joined(separator: ", "))")
        }
        if let values = field("values"), kind.name != "enum" {
            error(at: values.keyLocation, "\(what) has values but is of type \(kind.name); values are only for type enum")
        }

        var spec = ParamSpec(
            name: entry.key, kind: kind, defaultValue: nil, required: true, description: nil, secret: false,
            location: entry.keyLocation)
        if let defaultEntry = field("default"), let raw = plainValue(defaultEntry.value), let path = Self.platformPath(raw) {
            if path.isEmpty {
                error(at: location(of: defaultEntry.value), "the default of \(what) names no value of the platform profile; expected ${{ platform.KEY[.KEY…] }}")
            }
            spec.platformDefault = Located(path, at: location(of: defaultEntry.value))
        } else if let defaultEntry = field("default"), let raw = plainValue(defaultEntry.value) {
            let at = location(of: defaultEntry.value)
            switch spec.convert(raw) {
            case let .success(value): spec.defaultValue = Located(value, at: at)
            case let .failure(failure):
                error(at: at, "\(what) of type \(kind.name) has default \(failure.message)")
            }
        } else if let defaultEntry = field("default") {
            error(at: location(of: defaultEntry.value), "the default of \(what) is \(describe(defaultEntry.value)); expected a single value")
        }
        spec.required = field("required").flatMap { bool($0.value, "required of \(what)") } ?? (spec.defaultValue == nil && spec.platformDefault == nil)
        spec.description = field("description").flatMap { string($0.value, "description of \(what)") }
        spec.secret = field("secret").flatMap { bool($0.value, "secret of \(what)") } ?? false
        return spec
    }

    /// `${{ platform.a.b }}`, the whole value: the path `[a, b]`; nil for any other value.
    static func platformPath(_ raw: Value) -> [String]? {
        guard case let .string(text) = raw else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("${{"), trimmed.hasSuffix("}}") else { return nil }
        let inner = trimmed.dropFirst(3).dropLast(2).trimmingCharacters(in: .whitespaces)
        guard inner == "platform" || inner.hasPrefix("platform.") else { return nil }
        let path = inner.split(separator: ".", omittingEmptySubsequences: false).dropFirst().map(String.init)
        return path.allSatisfy({ !$0.isEmpty && RunbookLoader.isValidName($0) }) ? path : []
    }

    // MARK: steps

    private mutating func stepNode(_ node: Node, index: Int) -> StepNode? {
        guard let entries = mapping(node, "step \(index)") else { return nil }
        guard let parallel = entries.first(where: { $0.key == "parallel" }) else {
            return step(entries, at: location(of: node), index: index).map(StepNode.step)
        }
        let what = "the parallel group at step \(index)"
        checkKeys(entries, allowed: RunbookLoader.groupKeys, in: what)
        var group = ParallelGroup(title: nil, maxConcurrency: nil, steps: [], location: location(of: node))
        for entry in entries {
            switch entry.key {
            case "title": group.title = string(entry.value, "title of \(what)")
            case "maxConcurrency":
                group.maxConcurrency = int(entry.value, "maxConcurrency of \(what)")
                if let limit = group.maxConcurrency, limit < 1 {
                    error(at: location(of: entry.value), "maxConcurrency of \(what) is \(limit); expected 1 or more")
                }
            default: break
            }
        }
        let items = sequence(parallel.value, "parallel") ?? []
        if items.isEmpty { error(at: parallel.keyLocation, "\(what) has no steps; expected a list of steps under parallel") }
        for item in items {
            guard let stepEntries = mapping(item, "a step in \(what)") else { continue }
            if let nested = stepEntries.first(where: { $0.key == "parallel" }) {
                error(at: nested.keyLocation, "parallel groups cannot be nested; expected plain steps inside \(what)")
                continue
            }
            if let step = step(stepEntries, at: location(of: item), index: index) { group.steps.append(step) }
        }
        return .parallel(group)
    }

    /// Cleanup steps run one at a time, whatever happened before: a group's concurrency would
    /// make the order in which things are put back depend on timing.
    private mutating func cleanupStep(_ node: Node, index: Int) -> Step? {
        guard let entries = mapping(node, "cleanup step \(index)") else { return nil }
        if let parallel = entries.first(where: { $0.key == "parallel" }) {
            error(at: parallel.keyLocation, "cleanup step \(index) is a parallel group; cleanup steps run one at a time, so list them one after another")
            return nil
        }
        return step(entries, at: location(of: node), index: index, cleanup: true)
    }

    private mutating func step(_ entries: [Entry], at location: SourceLocation, index: Int, cleanup: Bool = false) -> Step? {
        let field = { (key: String) in entries.first { $0.key == key } }
        var what = cleanup ? "cleanup step \(index)" : "step \(index)"
        var id = Located("", at: location)
        if let idEntry = field("id"), let text = string(idEntry.value, "id of \(what)") {
            id = Located(text, at: self.location(of: idEntry.value))
            what = "step '\(text)'"
            if !RunbookLoader.isValidName(text) {
                error(at: id.location, "\(what) has an invalid id; expected a letter or '_' followed by letters, digits, '_' or '-'")
            }
        } else if field("id") == nil {
            error(at: location, "\(what) has no id; expected id: a name unique in the runbook")
        }
        checkKeys(entries, allowed: RunbookLoader.stepKeys, in: what)

        var uses = Located("", at: location)
        if let usesEntry = field("uses"), let name = string(usesEntry.value, "uses of \(what)") {
            uses = Located(name, at: self.location(of: usesEntry.value))
        } else if field("uses") == nil {
            error(at: location, "\(what) has no 'uses'; expected the name of an action, e.g. uses: velero.latestBackup")
        }

        var step = Step(
            id: id, title: id.value, doc: nil, uses: uses, with: [], when: nil, timeout: nil, retry: nil,
            onFailure: .abort, destructive: false, location: location)
        for entry in entries {
            switch entry.key {
            case "title": step.title = string(entry.value, "title of \(what)") ?? step.title
            case "doc": step.doc = docLink(entry.value, "doc of \(what)")
            case "with": step.with = inputs(entry.value, what)
            case "when": step.when = condition(entry.value, what)
            case "timeout": step.timeout = duration(entry.value, "timeout of \(what)")
            case "retry": step.retry = retry(entry.value, what)
            case "onFailure":
                let text = entry.value.scalar?.string ?? ""
                if let policy = Step.FailurePolicy(rawValue: text) {
                    step.onFailure = policy
                } else {
                    error(at: self.location(of: entry.value), "onFailure of \(what) is \(describe(entry.value)); expected abort or continue")
                }
            case "destructive": step.destructive = bool(entry.value, "destructive of \(what)") ?? false
            case "undoes":
                guard cleanup else {
                    error(at: entry.keyLocation, "undoes of \(what): only a cleanup step undoes other steps; move the step under cleanup: or drop undoes")
                    break
                }
                for item in sequence(entry.value, "undoes of \(what)") ?? [] {
                    if let name = string(item, "an item of undoes of \(what)") { step.undoes.append(Located(name, at: self.location(of: item))) }
                }
            default: break
            }
        }
        return step
    }

    private mutating func inputs(_ node: Node, _ what: String) -> [Step.Input] {
        guard let entries = mapping(node, "with of \(what)") else { return [] }
        return entries.compactMap { entry in
            templateValue(entry.value, "input '\(entry.key)' of \(what)").map {
                Step.Input(name: Located(entry.key, at: entry.keyLocation), value: $0)
            }
        }
    }

    /// `when:` holds one expression, written bare (`params.mode == 'drill'`) or wrapped in `${{ }}`.
    private mutating func condition(_ node: Node, _ what: String) -> Expression? {
        let at = location(of: node)
        if case let .bool(flag)? = plainValue(node) { return .literal(.bool(flag), at) }
        guard let text = string(node, "when of \(what)") else { return nil }
        do {
            let template = try Template.parse(text, at: at, locator: source.find)
            if let expression = template.singleExpression { return expression }
            if !template.expressions.isEmpty {
                error(at: at, "when of \(what) mixes text and expressions; expected one expression, e.g. when: ${{ params.mode == 'drill' }}")
                return nil
            }
            let start = source.find(text, from: at) ?? at
            return try ExpressionParser.parse(text, at: start)
        } catch {
            report(error.diagnostic)
            return nil
        }
    }

    private mutating func retry(_ node: Node, _ what: String) -> Step.RetryPolicy? {
        guard let entries = mapping(node, "retry of \(what)") else { return nil }
        checkKeys(entries, allowed: RunbookLoader.retryKeys, in: "retry of \(what)")
        var policy = Step.RetryPolicy(attempts: 1, backoff: .zero)
        for entry in entries {
            switch entry.key {
            case "attempts":
                guard let attempts = int(entry.value, "retry.attempts of \(what)") else { continue }
                if attempts < 1 {
                    error(at: location(of: entry.value), "retry.attempts of \(what) is \(attempts); expected 1 or more (1 means no retry)")
                }
                policy.attempts = attempts
            case "backoff":
                policy.backoff = duration(entry.value, "retry.backoff of \(what)") ?? .zero
            default: break
            }
        }
        return policy
    }
}
