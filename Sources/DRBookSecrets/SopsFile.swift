import DRBookYAML
import Foundation
import Yams

/// A SOPS-encrypted YAML or JSON file, read without any key: its documents and its `sops` metadata.
public struct SopsFile: Sendable {
    public enum Format: String, Sendable, Codable { case yaml, json }

    public var path: String
    public var format: Format
    /// The documents without their `sops` key (a multi-document YAML file has several).
    public var documents: [SopsTree]
    public var metadata: SopsMetadata

    /// Reads and parses `path`.
    public static func load(path: String) throws(SopsFileError) -> SopsFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (\(Self.reason(error)))" : "does not exist"
            throw SopsFileError(.unreadable, "the file \(reason)", at: SourcePosition(file: path),
                                fix: "give the path of the SOPS file (the platform profile names the platform's, under sops:)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SopsFileError(.unreadable, "the file is not UTF-8 text", at: SourcePosition(file: path),
                                fix: "give a SOPS YAML or JSON file (binary and dotenv files are not supported)")
        }
        return try parse(text, path: path)
    }

    /// Parses text already read; `path` names the file in positions and decides the format (.json, else YAML).
    public static func parse(_ text: String, path: String) throws(SopsFileError) -> SopsFile {
        let trimmed = text.drop { $0.isWhitespace }
        let format: Format = path.lowercased().hasSuffix(".json") || trimmed.first == "{" ? .json : .yaml
        // JSON is read by the YAML parser: a JSON document is YAML flow style, and one parser
        // gives both formats the same positions.
        do {
            try YAMLExpansionLimit.check(text)
        } catch {
            // Refused before it is read, as a file drbook cannot read: bad input, not a finding.
            throw SopsFileError(.unreadable, "not usable as \(format.rawValue.uppercased()): \(error.message)",
                                at: SourcePosition(file: path, line: error.line, column: error.column),
                                fix: "\(error.fix); if sops wrote the file, restore it with git checkout -- \(path)")
        }
        var nodes: [Node] = []
        do {
            // The sequence parses lazily and keeps a parse error instead of throwing it.
            var sequence = try Yams.compose_all(yaml: text)
            while let node = sequence.next() { nodes.append(node) }
            if let error = sequence.error { throw error }
        } catch let error as YamlError {
            throw syntaxError(error, path: path, format: format)
        } catch {
            throw SopsFileError(.syntax, "the file is not valid \(format.rawValue.uppercased()) (\(error))", at: SourcePosition(file: path),
                                fix: "repair the file, e.g. restore it with git checkout -- \(path)")
        }
        let trees = nodes.map { SopsTree.from($0, file: path) }
        guard let first = trees.first else {
            throw SopsFileError(.notSops, "the file is empty, so it is not SOPS-encrypted", at: SourcePosition(file: path, line: 1, column: 1),
                                fix: "encrypt it with sops encrypt --in-place \(path) (a .sops.yaml creation rule chooses the recipients)")
        }
        guard case let .mapping(entries, _) = first else {
            throw SopsFileError(.notSops, "the top level is not a mapping, so the file cannot be a SOPS file", at: first.position,
                                fix: "give a SOPS YAML or JSON file whose top level is a mapping with a sops key")
        }
        // sops reads the metadata of the first document only (reference §1.3).
        guard let metadataEntry = entries.first(where: { $0.key == "sops" }) else {
            throw SopsFileError(.notSops, "the file is not SOPS-encrypted: its first document has no top-level 'sops' key", at: first.position,
                                fix: "encrypt it with sops encrypt --in-place \(path), or check that you named the encrypted file (*.enc.yaml)")
        }
        guard case .mapping = metadataEntry.value else {
            throw SopsFileError(.malformedMetadata, "the 'sops' key holds \(shape(metadataEntry.value)), not the metadata mapping sops writes",
                                at: metadataEntry.keyPosition,
                                fix: "restore the file from git (git checkout -- \(path)); sops cannot decrypt it as it is")
        }
        let documents = trees.map { tree -> SopsTree in
            guard case let .mapping(entries, position) = tree else { return tree }
            return .mapping(entries.filter { $0.key != "sops" }, position)
        }
        return SopsFile(path: path, format: format, documents: documents, metadata: SopsMetadata.read(metadataEntry.value))
    }

    /// The node at `path` in the first document (sops's `--extract` and `set` work on the first document).
    public func node(at path: SopsKeyPath) -> SopsTree? {
        documents.first?.node(at: path)
    }

    static func shape(_ tree: SopsTree) -> String {
        switch tree {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case let .scalar(_, isNull, _): isNull ? "nothing (null)" : "a single value"
        }
    }

    private static func syntaxError(_ error: YamlError, path: String, format: Format) -> SopsFileError {
        let fix = "repair the file at that position; if sops wrote it, restore it with git checkout -- \(path)"
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text))" } ?? ""
            return SopsFileError(.syntax, "not valid \(format.rawValue.uppercased()): \(problem)\(during)",
                                 at: SourcePosition(file: path, line: mark.line, column: mark.column), fix: fix)
        case let .reader(problem, offset, value, _):
            let at = offset.map { " at byte \($0)" } ?? ""
            return SopsFileError(.syntax, "not readable as \(format.rawValue.uppercased()): \(problem)\(at) (character \(value))",
                                 at: SourcePosition(file: path), fix: fix)
        default:
            return SopsFileError(.syntax, "not valid \(format.rawValue.uppercased()): \(error)", at: SourcePosition(file: path), fix: fix)
        }
    }

    private static func reason(_ error: Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
