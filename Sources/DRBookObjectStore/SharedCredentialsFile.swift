import Foundation

/// An AWS shared-credentials file (`~/.aws/credentials`): INI sections named after
/// profiles, each with `aws_access_key_id`, `aws_secret_access_key` and optionally
/// `aws_session_token`. Read as botocore reads it (Python's `RawConfigParser`):
/// `#` and `;` start comment lines, keys are case-insensitive, `=` or `:` separate
/// key and value, an indented line continues the previous value, and a section or
/// key given twice is an error. Values never appear in errors or descriptions.
public struct SharedCredentialsFile: Sendable, CustomStringConvertible {
    public struct Section: Sendable {
        public var name: String
        /// Line of the `[name]` header, 1-based.
        public var line: Int
        /// Lower-cased key → (value, line).
        fileprivate var entries: [String: (value: String, line: Int)]
        public var keys: [String] { entries.keys.sorted() }
        public func value(_ key: String) -> String? { entries[key.lowercased()]?.value }
    }

    public var path: String
    public var sections: [Section]

    public var profiles: [String] { sections.map(\.name) }
    public func section(_ name: String) -> Section? { sections.first { $0.name == name } }
    public var description: String { "SharedCredentialsFile(\(path), profiles: \(profiles.joined(separator: ", ")))" }

    public static func load(path: String) throws(SharedCredentialsError) -> SharedCredentialsFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SharedCredentialsError(path: path, line: nil, what: "cannot be read (\(Self.reason(error)))",
                                         fix: "check the path (AWS_SHARED_CREDENTIALS_FILE) and its permissions")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SharedCredentialsError(path: path, line: nil, what: "is not UTF-8 text", fix: "save it as UTF-8 (aws configure writes it so)")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(SharedCredentialsError) -> SharedCredentialsFile {
        var sections: [Section] = []
        var lastKey: String?
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            // An indented line continues the previous key's value (RawConfigParser).
            if line.first == " " || line.first == "\t", let key = lastKey, !sections.isEmpty {
                sections[sections.count - 1].entries[key]?.value += "\n" + trimmed
                continue
            }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), trimmed.count > 2 else {
                    throw SharedCredentialsError(path: path, line: number, what: "a section header is not closed or names no profile",
                                                 fix: "write it as [PROFILE], e.g. [default]")
                }
                let name = String(trimmed.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if let earlier = sections.first(where: { $0.name == name }) {
                    throw SharedCredentialsError(path: path, line: number, what: "profile '\(name)' is defined again (first at line \(earlier.line))",
                                                 fix: "keep one [\(name)] section")
                }
                sections.append(Section(name: name, line: number, entries: [:]))
                lastKey = nil
                continue
            }
            guard let separator = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw SharedCredentialsError(path: path, line: number, what: "the line is neither [PROFILE], KEY = VALUE nor a comment",
                                             fix: "write settings as KEY = VALUE under a [PROFILE] header")
            }
            let key = trimmed[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw SharedCredentialsError(path: path, line: number, what: "a value has no key", fix: "write it as KEY = VALUE")
            }
            guard !sections.isEmpty else {
                throw SharedCredentialsError(path: path, line: number, what: "'\(key)' comes before any [PROFILE] header",
                                             fix: "put it under a header such as [default]")
            }
            if let earlier = sections[sections.count - 1].entries[key] {
                throw SharedCredentialsError(path: path, line: number,
                                             what: "'\(key)' is set twice in [\(sections[sections.count - 1].name)] (first at line \(earlier.line))",
                                             fix: "keep one \(key) line in the profile")
            }
            sections[sections.count - 1].entries[key] = (value, number)
            lastKey = key
        }
        return SharedCredentialsFile(path: path, sections: sections)
    }

    /// The profile's keys as credentials; an error naming the file and line when they are incomplete.
    public func credentials(profile: String) throws(SharedCredentialsError) -> S3Credentials {
        guard let section = section(profile) else {
            let known = profiles.isEmpty ? "it has no profiles" : "its profiles are \(profiles.map { "[\($0)]" }.joined(separator: ", "))"
            throw SharedCredentialsError(path: path, line: nil, what: "has no profile [\(profile)]; \(known)",
                                         fix: "choose one of them with --profile or AWS_PROFILE, or add [\(profile)] with aws_access_key_id and aws_secret_access_key")
        }
        let id = section.value("aws_access_key_id") ?? ""
        let secret = section.value("aws_secret_access_key") ?? ""
        let missing = [("aws_access_key_id", id), ("aws_secret_access_key", secret)].filter { $0.1.isEmpty }.map(\.0)
        guard missing.isEmpty else {
            throw SharedCredentialsError(path: path, line: section.line,
                                         what: "profile [\(profile)] has no \(missing.joined(separator: " and ")) (or an empty value)",
                                         fix: "add \(missing.map { "\($0) = …" }.joined(separator: " and ")) under [\(profile)] (for R2: an API token's access key pair)")
        }
        let token = section.value("aws_session_token").flatMap { $0.isEmpty ? nil : $0 }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    private static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let code = underlying?.code, underlying?.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(code))) }
        return (error as NSError).localizedDescription
    }
}

/// A shared-credentials file that cannot be used: the file, the line when one is at
/// fault, what is wrong and how to fix it. Never carries a value from the file.
public struct SharedCredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var what: String
    public var fix: String

    public var description: String {
        let place = line.map { "\(path):\($0)" } ?? path
        return "\(place): the AWS shared-credentials file \(what). Fix: \(fix)."
    }
}
