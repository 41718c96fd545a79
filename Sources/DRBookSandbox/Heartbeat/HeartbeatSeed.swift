import DRBookKube
import Foundation

extension HeartbeatCheckConfig {
    /// The label that marks a seed ConfigMap as a check on the simulated heartbeat monitor.
    /// It exists only in the sandbox: the platform's real monitor is outside the cluster.
    public static let seedLabel = "sandbox.drbook.dev/heartbeat-check"

    /// The checks the seed configures: ConfigMaps labelled `seedLabel: "true"` with `data`
    /// keys `name`, `timeout` and `grace` (seconds), and optional `slug`, `tags`, `desc`.
    /// The names and periods stay in the seed file, not in code.
    public static func fromSeed(_ objects: [JSONValue], source: String) throws -> [HeartbeatCheckConfig] {
        try objects.filter {
            $0["apiVersion"] == "v1" && $0["kind"] == "ConfigMap"
                && $0[path: ["metadata", "labels", seedLabel]]?.stringValue == "true"
        }.map { object in
            let data = (object["data"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            let configMap = object[path: ["metadata", "name"]]?.stringValue ?? "?"
            guard let name = data["name"], let timeout = data["timeout"].flatMap(Int.init), let grace = data["grace"].flatMap(Int.init),
                  timeout > 0, grace > 0 else {
                throw KubeManifestError(file: source, message: "ConfigMap \(configMap) (\(seedLabel)) needs data.name, and data.timeout and data.grace as positive seconds")
            }
            return HeartbeatCheckConfig(name: name, slug: data["slug"], timeout: timeout, grace: grace,
                                        tags: data["tags"] ?? "", desc: data["desc"] ?? "")
        }
    }
}

extension HeartbeatMonitor {
    /// Writes the sandbox-generated API keys to `<directory>/heartbeat-api-keys` (mode 0600),
    /// so a person or a runbook reads them from a file rather than from the terminal.
    public func writeKeys(in directory: URL) throws -> URL {
        let file = directory.appendingPathComponent("heartbeat-api-keys")
        let text = """
        # The simulated heartbeat monitor's keys (random per sandbox start), sent as X-Api-Key.
        api_url=\(apiURL.absoluteString)
        read_write_key=\(keys.readWrite)
        read_only_key=\(keys.readOnly)
        ping_key=\(keys.pingKey)

        """
        _ = FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try Data(text.utf8).write(to: file)
        return file
    }
}
