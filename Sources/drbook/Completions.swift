import DRBookRunbook
import Foundation

// Shell completion (drbook --generate-completion-script bash|zsh|fish) calls these with the
// words typed so far; they read the same folders the command would, honouring --runbooks and
// --runs-dir when they were typed. They must never fail loudly: a completion prints nothing instead.

/// The value typed after `flag`, if any.
private func typedValue(of flag: String, in words: [String]) -> String? {
    for (index, word) in words.enumerated() {
        if word == flag, index + 1 < words.count { return words[index + 1] }
        if word.hasPrefix(flag + "=") { return String(word.dropFirst(flag.count + 1)) }
    }
    return nil
}

private func typedRunbookFolder(_ words: [String]) -> String { typedValue(of: "--runbooks", in: words) ?? "runbooks" }

/// Runbook names (metadata.name) starting with what is typed.
@Sendable func completeRunbookNames(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
    let folder = typedRunbookFolder(words)
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
    let names = files.compactMap { (try? RunbookLoader.load(path: "\(folder)/\($0)"))?.metadata.name }
    return names.filter { $0.hasPrefix(prefix) }.sorted()
}

/// `name=` for each param of the runbook typed after `run`.
@Sendable func completeParamNames(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
    let folder = typedRunbookFolder(words)
    let candidates = words.filter { !$0.hasPrefix("-") && $0 != "run" && $0 != "drbook" }
    for word in candidates {
        for path in [word, "\(folder)/\(word).yaml", "\(folder)/\(word).yml"] {
            guard let runbook = try? RunbookLoader.load(path: path) else { continue }
            return runbook.params.map { "\($0.name)=" }.filter { $0.hasPrefix(prefix) }
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        for file in files {
            guard let runbook = try? RunbookLoader.load(path: "\(folder)/\(file)"), runbook.metadata.name == word else { continue }
            return runbook.params.map { "\($0.name)=" }.filter { $0.hasPrefix(prefix) }
        }
    }
    return []
}

/// Run ids under the runs folder, newest first.
@Sendable func completeRunIDs(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
    let store = RunStore(root: URL(fileURLWithPath: typedValue(of: "--runs-dir", in: words) ?? RunStore.defaultRoot))
    return store.runs().reversed().map(\.rawValue).filter { $0.hasPrefix(prefix) }
}
