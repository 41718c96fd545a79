import Foundation

/// Finds and merges kubeconfig files the way kubectl does (client-go `loader.go`):
///
/// - `--kubeconfig FILE`: that file only, unmerged; it must exist.
/// - else `KUBECONFIG`: split on ':', de-duplicated, missing files skipped (an error
///   only when all are missing), unreadable or invalid files are errors.
/// - else `~/.kube/config`.
///
/// Merging: the first file to define a cluster, user or context name wins entirely;
/// the first file with a non-empty `current-context` sets it.
public struct KubeconfigLoader: Sendable {
    public var environment: [String: String]
    /// The home directory for `~/.kube/config`; from `HOME` unless given.
    public var home: String?
    /// The directory relative `KUBECONFIG` entries and `--kubeconfig` are resolved against.
    public var workingDirectory: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, home: String? = nil,
                workingDirectory: String = FileManager.default.currentDirectoryPath) {
        self.environment = environment
        self.home = home
        self.workingDirectory = workingDirectory
    }

    /// The files that would be read, in precedence order, and whether they came from `KUBECONFIG`.
    public func candidateFiles(explicitPath: String? = nil) -> (files: [String], fromEnvironment: Bool) {
        if let explicitPath { return ([absolute(explicitPath)], false) }
        if let variable = environment["KUBECONFIG"], !variable.isEmpty {
            var seen: Set<String> = []
            let files = variable.split(separator: ":").map { absolute(String($0)) }.filter { seen.insert($0).inserted }
            return (files, true)
        }
        let home = self.home ?? environment["HOME"] ?? NSHomeDirectory()
        return ([(home as NSString).appendingPathComponent(".kube/config")], false)
    }

    public func load(explicitPath: String? = nil) throws -> MergedKubeconfig {
        let (candidates, fromEnvironment) = candidateFiles(explicitPath: explicitPath)
        var configs: [Kubeconfig] = []
        var skipped: [String] = []
        for path in candidates {
            guard FileManager.default.fileExists(atPath: path) else {
                if explicitPath != nil { throw KubeconfigError.explicitFileMissing(path) }
                skipped.append(path)
                continue
            }
            configs.append(try Self.read(path))
        }
        if configs.isEmpty { throw KubeconfigError.noKubeconfigFiles(candidates, fromEnvironment: fromEnvironment) }
        return MergedKubeconfig(configs, skipped: skipped)
    }

    /// Reads and parses one file.
    public static func read(_ path: String) throws -> Kubeconfig {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw KubeconfigError.unreadable(path, reason: "it is a directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubeconfigError.unreadable(path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KubeconfigError.unreadable(path, reason: "it is not UTF-8 text")
        }
        return try KubeconfigParser(file: path).parse(text)
    }

    private func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : (workingDirectory as NSString).appendingPathComponent(path)
        return (full as NSString).standardizingPath
    }
}

/// Several kubeconfig files merged by kubectl's rules.
public struct MergedKubeconfig: Sendable, Equatable {
    /// The files read, in precedence order.
    public var files: [String]
    /// Files listed in `KUBECONFIG` that do not exist.
    public var skippedFiles: [String]
    public var clusters: [KubeconfigEntry<KubeconfigCluster>] = []
    public var users: [KubeconfigEntry<KubeconfigUser>] = []
    public var contexts: [KubeconfigEntry<KubeconfigContext>] = []
    /// Empty when no file sets it.
    public var currentContext = ""
    /// The file whose `current-context` won.
    public var currentContextFile: String?

    public init(_ configs: [Kubeconfig], skipped: [String] = []) {
        files = configs.map(\.file)
        skippedFiles = skipped
        for config in configs {
            Self.mergeFirstWins(&clusters, config.clusters)
            Self.mergeFirstWins(&users, config.users)
            Self.mergeFirstWins(&contexts, config.contexts)
            if currentContext.isEmpty, !config.currentContext.isEmpty {
                currentContext = config.currentContext
                currentContextFile = config.file
            }
        }
    }

    public func cluster(_ name: String) -> KubeconfigEntry<KubeconfigCluster>? { clusters.first { $0.name == name } }
    public func user(_ name: String) -> KubeconfigEntry<KubeconfigUser>? { users.first { $0.name == name } }
    public func context(_ name: String) -> KubeconfigEntry<KubeconfigContext>? { contexts.first { $0.name == name } }

    private static func mergeFirstWins<Value>(_ merged: inout [KubeconfigEntry<Value>], _ more: [KubeconfigEntry<Value>]) {
        for entry in more where !merged.contains(where: { $0.name == entry.name }) {
            merged.append(entry)
        }
    }
}
