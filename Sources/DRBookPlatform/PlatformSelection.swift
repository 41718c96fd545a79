import Foundation

extension PlatformProfile {
    /// Reads a profile file; every problem in it is reported with file:line:column.
    public static func load(path: String) throws(PlatformProfileError) -> PlatformProfile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PlatformProfileError(at: ProfilePosition(file: path, line: 1, column: 1), "cannot read the platform profile \(path)",
                                       fix: "give the path of a platform profile file, or a built-in name: \(builtinNames.joined(separator: ", "))")
        }
        return try load(yaml: text, file: path)
    }

    public static func load(yaml: String, file: String) throws(PlatformProfileError) -> PlatformProfile {
        try PlatformProfileReader.load(yaml: yaml, file: file)
    }

    /// The text of a built-in profile, as `platforms/<name>.yaml` holds it.
    public static func builtinText(named name: String) -> String? {
        BuiltinProfiles.sources.first { $0.name == name }?.yaml
    }

    /// The profile a selection names: nil means the default; a built-in name (`head`); or a
    /// path to a profile file (anything with a `/` or a `.yaml`/`.yml` ending), relative to
    /// `directory` (drbook.yaml's folder). `selectedAt` is where the selection was written,
    /// so an unknown name points at it.
    public static func select(_ selection: String?, relativeTo directory: String = ".",
                              selectedAt: ProfilePosition? = nil) throws(PlatformProfileError) -> PlatformProfile {
        guard let selection, !selection.isEmpty else { return .default }
        if let builtin = named(selection) { return builtin }
        let looksLikePath = selection.contains("/") || selection.hasSuffix(".yaml") || selection.hasSuffix(".yml")
        guard looksLikePath else {
            throw PlatformProfileError(at: selectedAt ?? ProfilePosition(file: "platform", line: 1, column: 1),
                                       "there is no built-in platform profile '\(selection)'",
                                       fix: "name one of \(builtinNames.joined(separator: ", ")), or give a profile file's path (ending in .yaml)")
        }
        let path = selection.hasPrefix("/") ? selection : URL(fileURLWithPath: directory).appendingPathComponent(selection).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw PlatformProfileError(at: selectedAt ?? ProfilePosition(file: path, line: 1, column: 1),
                                       "the platform profile \(selection) does not exist (looked for \(path))",
                                       fix: "give the path of a profile file relative to drbook.yaml, or a built-in name: \(builtinNames.joined(separator: ", "))")
        }
        return try load(path: path)
    }
}
