import DRBookPlatform
import DRBookRunbook
import Foundation

/// Which platform profile drbook serves: a `--platform` flag, else `platform:` in the
/// working directory's drbook.yaml, else the default (the layout docs/dr/alerting.md describes).
/// The CLI and the actions resolve it here, so both read the same key and agree.
public enum PlatformChoice {
    public static func resolve(override: String? = nil,
                               directory: String = FileManager.default.currentDirectoryPath) throws(PlatformProfileError) -> PlatformProfile {
        if let override, !override.isEmpty {
            return try PlatformProfile.select(override, relativeTo: directory)
        }
        // Named as the user knows it when it is the working directory's.
        let file = directory == FileManager.default.currentDirectoryPath
            ? Profile.fileName : URL(fileURLWithPath: directory).appendingPathComponent(Profile.fileName).path
        guard FileManager.default.fileExists(atPath: file) else { return .default }
        let profile: Profile
        do {
            profile = try Profile.load(path: file)
        } catch {
            // drbook.yaml's own errors keep their positions; the platform cannot be known past them.
            let problems = error.diagnostics.errors.map { diagnostic in
                PlatformProfileError.Problem(position: diagnostic.location.map { ProfilePosition(file: $0.file, line: $0.line, column: $0.column) }
                                                 ?? ProfilePosition(file: file, line: 1, column: 1),
                                             message: diagnostic.message)
            }
            throw PlatformProfileError(problems, fix: "correct \(Profile.fileName)")
        }
        guard let platform = profile.platform else { return .default }
        let at = ProfilePosition(file: platform.location.file, line: platform.location.line, column: platform.location.column)
        return try PlatformProfile.select(platform.value, relativeTo: directory, selectedAt: at)
    }
}

extension ActionEnvironment {
    /// The platform profile, or the reason it cannot be read as a step's failure.
    func platformProfile() throws(ActionError) -> PlatformProfile {
        switch platform {
        case let .success(profile): return profile
        case let .failure(error):
            throw ActionError("the platform profile cannot be read: \(error.problems.map(\.description).joined(separator: "; "))",
                              subject: error.problems.first?.position.description, fix: error.fix)
        }
    }
}
