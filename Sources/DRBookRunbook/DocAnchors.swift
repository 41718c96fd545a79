import Foundation

/// The anchors GitHub gives a Markdown file's headings, so `doc:` links can be checked before anyone clicks them.
public enum MarkdownAnchors {
    /// Every anchor in `markdown`: heading slugs (duplicates numbered `-1`, `-2`, … as GitHub does) and explicit `<a id=…>`/`<a name=…>`.
    public static func anchors(in markdown: String) -> Set<String> {
        var anchors = Set<String>()
        var slugCounts: [String: Int] = [:]
        func add(heading: String) {
            let base = slug(heading)
            let count = slugCounts[base, default: 0]
            slugCounts[base] = count + 1
            anchors.insert(count == 0 ? base : "\(base)-\(count)")
        }

        var fence: String?
        var previousLine: String?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
                previousLine = nil
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix(3))
                previousLine = nil
                continue
            }
            anchors.formUnion(explicitAnchors(in: line))
            if let heading = atxHeading(line) {
                add(heading: heading)
                previousLine = nil
            } else if let previous = previousLine, isSetextUnderline(trimmed) {
                add(heading: previous)
                previousLine = nil
            } else {
                previousLine = trimmed.isEmpty ? nil : trimmed
            }
        }
        return anchors
    }

    /// GitHub's slug for a heading: its text lowercased, punctuation other than `-` and `_` dropped, each space a `-`.
    public static func slug(_ heading: String) -> String {
        var slug = ""
        for character in plainText(heading).lowercased() {
            if character == " " {
                slug.append("-")
            } else if character.isLetter || character.isNumber || character == "-" || character == "_" {
                slug.append(character)
            }
        }
        return slug
    }

    /// `## Restore from backup ##` → "Restore from backup".
    private static func atxHeading(_ line: String) -> String? {
        let indent = line.prefix { $0 == " " }
        guard indent.count <= 3 else { return nil }
        let rest = line.dropFirst(indent.count)
        let hashes = rest.prefix { $0 == "#" }
        guard (1...6).contains(hashes.count) else { return nil }
        let afterHashes = rest.dropFirst(hashes.count)
        guard afterHashes.isEmpty || afterHashes.first == " " || afterHashes.first == "\t" else { return nil }
        var text = afterHashes.trimmingCharacters(in: .whitespaces)
        // A closing run of #s is decoration, not text.
        if let closing = text.range(of: #"\s+#+$"#, options: .regularExpression) {
            text.removeSubrange(closing)
        } else if text.allSatisfy({ $0 == "#" }) {
            text = ""
        }
        return text
    }

    private static func isSetextUnderline(_ trimmed: String) -> Bool {
        !trimmed.isEmpty && (trimmed.allSatisfy { $0 == "=" } || trimmed.allSatisfy { $0 == "-" })
    }

    /// The text a reader sees: links and images reduced to their labels, HTML tags removed.
    private static func plainText(_ heading: String) -> String {
        var text = heading
        text = text.replacingOccurrences(of: #"!?\[([^\]]*)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
        text = text.replacingOccurrences(of: #"<[^>]+>"#, with: "", options: .regularExpression)
        return text
    }

    private static func explicitAnchors(in line: String) -> [String] {
        guard line.contains("<a ") else { return [] }
        let pattern = try! NSRegularExpression(pattern: #"<a\s[^>]*(?:id|name)\s*=\s*"([^"]+)""#)
        let range = NSRange(line.startIndex..., in: line)
        return pattern.matches(in: line, range: range).compactMap { match in
            Range(match.range(at: 1), in: line).map { String(line[$0]) }
        }
    }
}

/// Checks `doc:` links against the Markdown files under a docs root, reading each file once.
struct DocLinkChecker {
    let docsRoot: String
    private var anchorsByPath: [String: Set<String>?] = [:]

    init(docsRoot: String) {
        self.docsRoot = docsRoot
    }

    /// A diagnostic when the file or its anchor does not exist, else nil.
    mutating func check(_ link: Located<DocLink>, in what: String) -> Diagnostic? {
        let path = link.value.path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: docsRoot, isDirectory: &isFolder), isFolder.boolValue else {
            // Without the folder no link can be checked: that is not a pass.
            return .error(at: link.location, "\(what) links to \(path), but the docs folder \(docsRoot) does not exist",
                          fix: "run drbook from the repository that holds the docs, or give --docs DIR (the folder doc: paths are relative to)")
        }
        let fullPath = (docsRoot as NSString).appendingPathComponent(path)
        if anchorsByPath[path] == nil {
            let text = try? String(contentsOfFile: fullPath, encoding: .utf8)
            anchorsByPath[path] = .some(text.map(MarkdownAnchors.anchors(in:)))
        }
        guard let anchors = anchorsByPath[path] ?? nil else {
            return .error(at: link.location, "\(what) links to \(path), which does not exist under \(docsRoot); expected a Markdown file path relative to it")
        }
        guard let anchor = link.value.anchor, !anchors.contains(anchor) else { return nil }
        let hint = NameSuggestion.hint(for: anchor, among: Array(anchors))
        return .error(at: link.location, "\(what) links to #\(anchor), which is not a heading in \(path)\(hint); expected the GitHub anchor of one of its headings")
    }
}
