import ArgumentParser
import DRBookActions
import DRBookPlatform

/// Which platform profile a command serves: `--platform`, else drbook.yaml's `platform:`, else
/// the layout docs/dr/alerting.md describes. The same resolution the actions use (`PlatformChoice`).
struct PlatformOptions: ParsableArguments {
    @Option(name: .customLong("platform"),
            help: ArgumentHelp("The platform profile: a built-in name (\(PlatformProfile.builtinNames.joined(separator: ", "))) or a profile file. Default: drbook.yaml's platform:, else default.",
                               valueName: "name|file"))
    var name: String?

    func profile() throws -> PlatformProfile {
        do {
            return try PlatformChoice.resolve(override: name)
        } catch {
            throw BadInput(error.description)
        }
    }
}
