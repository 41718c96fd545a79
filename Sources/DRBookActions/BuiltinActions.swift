import DRBookHTTP
import DRBookRunbook
import Foundation

/// What actions need from the world they run in: clients and the process environment.
public struct ActionEnvironment: Sendable {
    public var http: HTTPClient
    public var processEnvironment: [String: String]

    public init(http: HTTPClient = .shared, processEnvironment: [String: String] = ProcessInfo.processInfo.environment) {
        self.http = http
        self.processEnvironment = processEnvironment
    }
}

/// Every built-in action: the single source for lint, `drbook show` and docs/actions.md.
public enum BuiltinActions {
    public static func registry(_ environment: ActionEnvironment = ActionEnvironment()) -> ActionRegistry {
        ActionRegistry([
            // generic
            ManualAction(),
            ConfirmAction(),
            ExecAction(environment: environment),
            HTTPProbeAction(environment: environment),
            WaitAction(),
            // Velero
            VeleroVerifyStoreAction(environment: environment),
            // SOPS
            SopsKeysSetAction(environment: environment),
            SopsSetAction(environment: environment),
        ])
    }
}
